//! `cargo xtask`: the project's development tasks, run from the workspace root.
//!
//! One module per subcommand; each prints the commands it runs.

mod bench;
mod ci;
mod command;
mod fuzz;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci      formatting, clippy (-D warnings), the dependency-graph check and every test
          (PostgreSQL variants run when CLIENTELA_TEST_PG is set)
  bench   ingest | read | scale: the release server under HTTP load beside a raw-database
          baseline (cargo xtask bench for the options)
  fuzz    [TARGET] [--seconds N]: the cargo-fuzz targets (parse_customer, merge_patch,
          geo_resolve), each N seconds (default 600); needs `cargo install cargo-fuzz`";

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match arguments.first().map(String::as_str) {
        Some("ci") => ci::run(),
        Some("bench") => bench::run(&arguments[1..]),
        Some("fuzz") => fuzz::run(&arguments[1..]),
        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown task `{other}`\n\n{USAGE}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}
