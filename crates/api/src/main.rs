//! The `clientela-api` binary: see `clientela-api --help`.

/// mimalloc instead of the system allocator: the request path allocates and frees many small
/// JSON values, often on different threads (an actix worker parses, a blocking thread
/// merges), and under batch ingest glibc's malloc and free took about a third of the
/// server's CPU time (`perf`, see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    clientela_api::cli::main()
}
