//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.

use anyhow::bail;

use crate::command::{self, output};

/// Crates whose dependency graph must not contain diesel: the architecture says the console
/// talks to the API over HTTP only, and core does no I/O.
const NO_DATABASE_CRATES: [&str; 2] = ["clientela-core", "clientela-console"];

pub fn run() -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    command::run(&cargo, &["fmt", "--all", "--check"])?;
    command::run(
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    for package in NO_DATABASE_CRATES {
        let tree = output(
            &cargo,
            &[
                "tree",
                "--edges",
                "normal,build,dev",
                "-p",
                package,
                "-i",
                "diesel",
            ],
        );
        // `cargo tree -i` fails when the package does not depend on diesel at all.
        if let Ok(tree) = tree
            && !tree.trim().is_empty()
        {
            bail!("{package} must not depend on diesel:\n{tree}");
        }
    }
    if std::env::var_os("CLIENTELA_TEST_PG").is_none() {
        println!("note: CLIENTELA_TEST_PG is not set; the PostgreSQL variants will be skipped");
    }
    command::run(&cargo, &["test", "--workspace", "--all-targets"])?;
    Ok(())
}
