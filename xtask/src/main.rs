//! `cargo xtask`: the project's development tasks, run from the workspace root.
//!
//! One module per subcommand; each prints the commands it runs.

mod ci;
mod command;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci      formatting, clippy (-D warnings), the dependency-graph check and every test
          (PostgreSQL variants run when CLIENTELA_TEST_PG is set)";

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match arguments.first().map(String::as_str) {
        Some("ci") => ci::run(),
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
