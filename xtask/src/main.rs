//! `cargo xtask`: development tasks for clientela, one module per subcommand.
//!
//! Run from anywhere in the workspace; every task works from the workspace root and logs
//! the commands it runs.

mod gazetteer;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  gazetteer          rebuild crates/core/data/gazetteer.bin from the pinned open-data packages
  gazetteer cases    rewrite the geo accuracy cases, crates/core/tests/data/geo-cases.tsv";

fn main() -> Result<()> {
    let mut arguments = std::env::args().skip(1);
    let Some(task) = arguments.next() else {
        println!("{USAGE}");
        return Ok(());
    };
    let rest: Vec<String> = arguments.collect();
    match task.as_str() {
        "gazetteer" => gazetteer::run(&workspace_root()?, &rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task `{other}`\n\n{USAGE}"),
    }
}

/// The workspace root: xtask's manifest directory is one level below it.
fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(PathBuf::from)
        .context("xtask has no parent directory")
}
