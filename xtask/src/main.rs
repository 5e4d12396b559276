//! `cargo xtask`: the project's development tasks, run from the workspace root.
//!
//! One module per subcommand; each prints the commands it runs. The programs that are tools
//! in their own right (the gazetteer builder, the benchmarks and seeding) are crates under
//! `tools/`; their subcommands here only run them (`pass_through`).

mod ci;
mod command;
mod db;
mod fuzz;
mod pass_through;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "xtask",
    bin_name = "cargo xtask",
    about,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Everything CI checks: fmt, dependency graph, migrations, clippy, every test.
    ///
    /// Formatting, the dependency-graph and migration-name checks, clippy (-D warnings) and
    /// every test (PostgreSQL variants run when CLIENTELA_TEST_PG is set), ending with the
    /// tally `tests: N passed, N failed, N skipped`.
    Ci,
    /// The development database (as clientela-api would open it) and new migrations.
    #[command(subcommand)]
    Db(db::DbTask),
    /// The cargo-fuzz targets, each N seconds; needs `cargo install cargo-fuzz`.
    Fuzz(fuzz::FuzzArguments),
    /// [build | cases]: runs clientela-gazetteer (`cargo xtask gazetteer --help`).
    ///
    /// Rebuilds crates/core/data/gazetteer.bin from the pinned open-data packages, or
    /// rewrites the geo accuracy cases.
    #[command(disable_help_flag = true)]
    Gazetteer(pass_through::Arguments),
    /// ingest | read | scale | geo | feed: runs clientela-bench in release (`… bench --help`).
    ///
    /// The release server under HTTP load beside a raw-database baseline, or the geo
    /// accuracy report and lookup benchmarks.
    #[command(disable_help_flag = true)]
    Bench(pass_through::Arguments),
    /// --count N [--url URL] [--key KEY] [--seed S]: runs `clientela-bench seed`.
    ///
    /// Posts N realistic fake customers to a running API, 100 per request.
    #[command(disable_help_flag = true)]
    Seed(pass_through::Arguments),
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().task {
        Task::Ci => ci::run(),
        Task::Db(task) => db::run(task).map(|()| ExitCode::SUCCESS),
        Task::Fuzz(arguments) => fuzz::run(&arguments).map(|()| ExitCode::SUCCESS),
        Task::Gazetteer(arguments) => pass_through::gazetteer(&arguments),
        Task::Bench(arguments) => pass_through::bench(&arguments),
        Task::Seed(arguments) => pass_through::seed(&arguments),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}
