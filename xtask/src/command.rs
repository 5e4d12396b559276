//! Running commands from the workspace root, saying each one first.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use anyhow::{Context, bail};

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The cargo that runs xtask (`CARGO`), else the one on PATH.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// A command for `program arguments…` in the workspace root, logged as it will run (by the
/// program's file name: `cargo`, not the toolchain path `CARGO` holds).
pub fn logged(program: &str, arguments: &[&str]) -> Command {
    let name = Path::new(program)
        .file_name()
        .map_or(program.into(), |name| name.to_string_lossy());
    println!("$ {name} {}", arguments.join(" "));
    let mut command = Command::new(program);
    command.args(arguments).current_dir(root());
    command
}

/// Runs `program arguments…` in the workspace root and returns how it ended.
pub fn status(program: &str, arguments: &[&str]) -> anyhow::Result<ExitStatus> {
    logged(program, arguments)
        .status()
        .with_context(|| format!("could not start {program}"))
}

/// Runs `program arguments…` in the workspace root; fails when it does.
pub fn run(program: &str, arguments: &[&str]) -> anyhow::Result<()> {
    let status = status(program, arguments)?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", arguments.join(" "));
    }
    Ok(())
}

/// Runs a command and returns its standard output.
pub fn output(program: &str, arguments: &[&str]) -> anyhow::Result<String> {
    let output = logged(program, arguments)
        .output()
        .with_context(|| format!("could not start {program}"))?;
    if !output.status.success() {
        bail!(
            "`{program} {}` failed: {}",
            arguments.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
