//! `clientela-console`: parses the command line and runs the console until the user quits.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let settings = clientela_console::cli::Args::parse().settings()?;
    clientela_console::run::run(settings)
}
