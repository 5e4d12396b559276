//! `cargo xtask fuzz [TARGET] [--seconds N]`: runs the cargo-fuzz targets in `fuzz/`.
//!
//! Each target runs for N seconds (default 600, the ten minutes a change to parsing, merging
//! or the resolver deserves) starting from its committed seeds (`fuzz/seeds/TARGET`); what
//! libFuzzer learns goes to `fuzz/corpus/TARGET` (not committed) and a crash to
//! `fuzz/artifacts/TARGET`, which fails the task. Without TARGET, every target runs in turn.
//!
//! cargo-fuzz needs nightly compiler flags; `RUSTC_BOOTSTRAP=1` lets the stable toolchain
//! accept them, so no nightly toolchain is needed.

use std::process::Command;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use crate::command::{cargo, root};

#[derive(Debug, Args)]
pub struct FuzzArguments {
    /// One target; every target in turn when left out.
    #[arg(value_enum)]
    target: Option<Target>,
    /// How long each target runs.
    #[arg(long, default_value_t = 600)]
    seconds: u64,
}

/// The targets in `fuzz/fuzz_targets` (named as there), and what each checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
enum Target {
    /// Request parsing and validation: accepted input obeys every limit.
    ParseCustomer,
    /// The merge patch: idempotent, limits hold on the merged result.
    MergePatch,
    /// The location resolver: never panics, bounded time.
    GeoResolve,
    /// Pipelined requests to the real server: one answer each, in order.
    HttpPipeline,
}

impl Target {
    /// The target's name in `fuzz/Cargo.toml`, and what it checks (its doc comment above).
    fn describe(self) -> (String, String) {
        let value = self.to_possible_value();
        let name = value.as_ref().map(|value| value.get_name().to_owned());
        let checks = value.and_then(|value| value.get_help().map(ToString::to_string));
        (name.unwrap_or_default(), checks.unwrap_or_default())
    }
}

/// Seconds one input may take before libFuzzer reports it as a hang.
const INPUT_TIMEOUT_SECONDS: u64 = 5;

pub fn run(arguments: &FuzzArguments) -> anyhow::Result<()> {
    let chosen = match arguments.target {
        Some(target) => vec![target],
        None => Target::value_variants().to_vec(),
    };
    let seconds = arguments.seconds;
    for target in chosen {
        let (name, checks) = target.describe();
        println!("fuzzing {name} for {seconds} s: {checks}");
        fuzz(&name, seconds)?;
    }
    Ok(())
}

fn fuzz(target: &str, seconds: u64) -> anyhow::Result<()> {
    let folder = root().join("fuzz");
    let corpus = format!("corpus/{target}");
    std::fs::create_dir_all(folder.join(&corpus))?;
    let arguments = [
        "fuzz".to_owned(),
        "run".to_owned(),
        target.to_owned(),
        corpus,
        format!("seeds/{target}"),
        "--".to_owned(),
        format!("-max_total_time={seconds}"),
        format!("-timeout={INPUT_TIMEOUT_SECONDS}"),
        "-max_len=65536".to_owned(),
        "-print_final_stats=1".to_owned(),
    ];
    println!(
        "$ (cd fuzz && RUSTC_BOOTSTRAP=1 cargo {})",
        arguments.join(" ")
    );
    let status = Command::new(cargo())
        .args(&arguments)
        .current_dir(&folder)
        .env("RUSTC_BOOTSTRAP", "1")
        .status()
        .context("could not start cargo fuzz (install it with `cargo install cargo-fuzz`)")?;
    if !status.success() {
        bail!(
            "fuzz target {target} failed ({status}); the input is in fuzz/artifacts/{target}: \
             add it as a regression test"
        );
    }
    Ok(())
}
