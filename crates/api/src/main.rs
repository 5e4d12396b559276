//! The `clientela-api` binary: see `clientela-api --help`.

fn main() -> std::process::ExitCode {
    clientela_api::cli::main()
}
