//! `cargo xtask gazetteer | bench | seed …`: the tools under `tools/`, run with every
//! argument passed on unchanged, so the tasks keep their old names.
//!
//! - `gazetteer …` → `cargo run -p clientela-gazetteer -- …`
//! - `bench …` → `cargo run --release -p clientela-bench -- …`
//! - `seed …` → `cargo run --release -p clientela-bench -- seed …`
//!
//! The benchmarks run in release because they measure; seeding, because it sends many
//! thousands of customers.

use std::process::ExitCode;

use crate::command;

/// Everything after the task's name, `--help` included, for the tool to read.
#[derive(Debug, clap::Args)]
pub struct Arguments {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    arguments: Vec<String>,
}

pub fn gazetteer(arguments: &Arguments) -> anyhow::Result<ExitCode> {
    run(&["run", "-p", "clientela-gazetteer", "--"], arguments)
}

pub fn bench(arguments: &Arguments) -> anyhow::Result<ExitCode> {
    run(
        &["run", "--release", "-p", "clientela-bench", "--"],
        arguments,
    )
}

pub fn seed(arguments: &Arguments) -> anyhow::Result<ExitCode> {
    run(
        &["run", "--release", "-p", "clientela-bench", "--", "seed"],
        arguments,
    )
}

/// Runs cargo with `prefix` then the task's arguments, and exits as the tool did (the tool
/// has said what went wrong).
fn run(prefix: &[&str], arguments: &Arguments) -> anyhow::Result<ExitCode> {
    let mut all: Vec<&str> = prefix.to_vec();
    all.extend(arguments.arguments.iter().map(String::as_str));
    let status = command::status(&command::cargo(), &all)?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
