//! `clientela-bench` (`cargo xtask bench …` and `cargo xtask seed …` run it in release mode):
//! the server under HTTP load beside a raw-database baseline (`ingest`, `read`, `scale`),
//! the geo accuracy report and lookup benchmarks (`geo`), and seeding a running API with
//! realistic fake customers (`seed`). Paths are relative to the workspace root.

mod bench;
mod seed;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, ensure};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "clientela-bench", about, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Batches of new customers, then merge patches, against the raw baseline.
    Ingest(bench::LoadArguments),
    /// Single POSTs, GET one customer and GET a page, with 100,000 customers stored.
    Read(bench::LoadArguments),
    /// Ingest and paging with an empty database and with --count customers stored.
    Scale(bench::LoadArguments),
    /// Reading the change feed from the start after --count customers were posted.
    Feed(bench::LoadArguments),
    /// POSTs sent plain, gzipped and as zstd; a page read plain and compressed.
    Compression(bench::LoadArguments),
    /// Ingest with and without a webhook subscription delivering to a local receiver: the
    /// ingest it costs, changes delivered per second, and the delivery lag.
    Webhooks(bench::LoadArguments),
    /// The resolver's accuracy per kind of input (with the reference overlay where
    /// CLIENTELA_GEO_REFERENCE names its folder) and the criterion lookup benchmarks.
    Geo,
    /// Post --count realistic fake customers to a running API, 100 per request.
    Seed(seed::SeedArguments),
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().task {
        Task::Ingest(arguments) => bench::ingest(&arguments.into()),
        Task::Read(arguments) => bench::read(&arguments.into()),
        Task::Scale(arguments) => bench::scale(&arguments.into()),
        Task::Feed(arguments) => bench::feed(&arguments.into()),
        Task::Compression(arguments) => bench::compression(&arguments.into()),
        Task::Webhooks(arguments) => bench::webhooks(&arguments.into()),
        Task::Geo => bench::geo(),
        Task::Seed(arguments) => seed::run(arguments),
    };
    outcome.map_or_else(
        |error| {
            eprintln!("clientela-bench: {error:#}");
            ExitCode::FAILURE
        },
        |()| ExitCode::SUCCESS,
    )
}

/// The workspace root, two folders above this crate (`tools/bench`).
fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Runs `cargo arguments…` in the workspace root, saying it first; fails when it does.
fn cargo(arguments: &[&str]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let line = arguments.join(" ");
    println!("$ cargo {line}");
    let status = Command::new(cargo)
        .args(arguments)
        .current_dir(root())
        .status()
        .context("could not start cargo")?;
    ensure!(status.success(), "`cargo {line}` failed ({status})");
    Ok(())
}
