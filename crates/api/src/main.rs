//! The `clientela-api` binary: see `clientela-api --help`.

/// mimalloc instead of the system allocator: the request path allocates and frees many small
/// JSON values, often on different threads (an actix worker parses, a blocking thread
/// merges), and under batch ingest glibc's malloc and free took about a third of the
/// server's CPU time (`perf`, see BENCHMARKS.md). Built with `no_thp`: otherwise mimalloc
/// asks for transparent huge pages on its arenas, and each touched 4 KiB page became 2 MiB
/// of resident memory (RSS under `cargo xtask bench read` 140-157 MiB; with it, 91 MiB).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    clientela_api::cli::main()
}
