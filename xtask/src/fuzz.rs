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

use crate::command::root;

/// The targets in `fuzz/fuzz_targets`, and what each checks.
const TARGETS: [(&str, &str); 3] = [
    (
        "parse_customer",
        "request parsing and validation: accepted input obeys every limit",
    ),
    (
        "merge_patch",
        "the merge patch: idempotent, limits hold on the merged result",
    ),
    (
        "geo_resolve",
        "the location resolver: never panics, bounded time",
    ),
];

const DEFAULT_SECONDS: u64 = 600;
/// Seconds one input may take before libFuzzer reports it as a hang.
const INPUT_TIMEOUT_SECONDS: u64 = 5;

pub fn run(arguments: &[String]) -> anyhow::Result<()> {
    let mut target = None;
    let mut seconds = DEFAULT_SECONDS;
    let mut rest = arguments.iter();
    while let Some(argument) = rest.next() {
        match argument.as_str() {
            "--seconds" => {
                let value = rest.next().context("--seconds needs a number")?;
                seconds = value
                    .parse()
                    .with_context(|| format!("--seconds {value}: not a number"))?;
            }
            name if TARGETS.iter().any(|(known, _)| *known == name) => target = Some(name),
            other => bail!(
                "unknown fuzz target or option `{other}`; targets: {}",
                TARGETS.map(|(name, _)| name).join(", ")
            ),
        }
    }
    let chosen: Vec<&str> = match target {
        Some(name) => vec![name],
        None => TARGETS.iter().map(|(name, _)| *name).collect(),
    };
    for (name, checks) in TARGETS.iter().filter(|(name, _)| chosen.contains(name)) {
        println!("fuzzing {name} for {seconds} s: {checks}");
        fuzz(name, seconds)?;
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
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
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
