//! The command line: `serve` (the default), `migrate`, `key create|list|revoke`,
//! `geo resolve|reindex`.

mod geo;
mod keys;
mod resolver;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "clientela-api",
    version,
    about = "The clientela customer-profile API"
)]
struct Cli {
    /// A TOML settings file (also CLIENTELA_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A geo overlay folder (countries.csv, states.csv, cities.csv of the
    /// countries-states-cities export), added to `geo.overlays`; repeatable.
    #[arg(long, global = true, value_name = "PATH")]
    overlay: Vec<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API (the default when no command is given).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API keys.
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Resolve places, or re-resolve stored customers.
    #[command(subcommand)]
    Geo(geo::GeoCommand),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = Settings::load(cli.config.as_deref()).and_then(|mut settings| {
        settings.geo.overlays.extend(cli.overlay);
        crate::logging::init(&settings.log);
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve::serve(&settings),
            Command::Migrate => migrate(&settings),
            Command::Key(command) => keys::run(&settings, command),
            Command::Geo(command) => geo::run(&settings, command),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("clientela-api: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let mut options = settings.store_options();
    options.migrate = false;
    let store = clientela_store::Store::open(&options)?;
    let applied = store.migrate()?;
    if applied.is_empty() {
        println!("the {} database is up to date", store.kind());
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}
