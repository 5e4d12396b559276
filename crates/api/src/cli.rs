//! The command line: `serve` (the default), `migrate`, `key create|list|revoke`,
//! `geo resolve|reindex`, `import`, `export`, `changes`, `webhooks list|add|remove|replay`,
//! `healthcheck`.

mod changes;
pub mod export;
mod geo;
mod healthcheck;
pub mod import;
mod keys;
mod resolver;
mod serve;
mod webhooks;

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
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API keys.
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Create or update customers from a JSON array, JSON lines or CSV file, 100 at a time,
    /// exactly as POST /customers would; resumes where an interrupted run stopped.
    Import(import::ImportArgs),
    /// Write every customer as JSON lines.
    Export(export::ExportArgs),
    /// Write the change feed as JSON lines; with --follow, keep writing changes as they
    /// commit.
    Changes(changes::ChangesArgs),
    /// Manage webhook subscriptions (the change feed pushed to a URL).
    #[command(subcommand)]
    Webhooks(webhooks::WebhookCommand),
    /// Exit 0 when the local server answers GET /healthz (for container healthchecks).
    Healthcheck {
        /// Check this server instead of the one `server.bind` names, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        url: Option<String>,
    },
    /// Resolve places, or re-resolve stored customers.
    #[command(subcommand)]
    Geo(geo::GeoCommand),
    /// Print the database the settings name, as `sqlite://PATH` or the PostgreSQL URL
    /// (password included): how `cargo xtask db reset` finds the database to erase.
    #[command(hide = true)]
    DatabaseUrl,
}

#[derive(Debug, Default, clap::Args)]
struct ServeArgs {
    /// Listen on this address (host:port) instead of `server.bind`.
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = Settings::load(cli.config.as_deref()).and_then(|mut settings| {
        settings.geo.overlays.extend(cli.overlay);
        crate::logging::init(&settings.log);
        match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
            Command::Serve(args) => {
                if let Some(bind) = args.bind {
                    settings.server.bind = bind;
                }
                serve::serve(&settings)
            }
            Command::Migrate => migrate(&settings),
            Command::Key(command) => keys::run(&settings, command),
            Command::Import(args) => import::run(&settings, &args),
            Command::Export(args) => export::run(&settings, &args),
            Command::Changes(args) => changes::run(&settings, &args),
            Command::Webhooks(command) => webhooks::run(&settings, command),
            Command::Healthcheck { url } => healthcheck::run(&settings, url.as_deref()),
            Command::Geo(command) => geo::run(&settings, command),
            Command::DatabaseUrl => print_database_url(&settings),
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

/// The URL in one form per backend, read by the store's own parser, so a caller needs no
/// parser of its own (an unknown scheme fails here, as it would on `serve`).
fn print_database_url(settings: &Settings) -> anyhow::Result<()> {
    match clientela_store::Target::parse(&settings.database_url())? {
        clientela_store::Target::Sqlite(path) => println!("sqlite://{}", path.display()),
        clientela_store::Target::Postgres(url) => println!("{url}"),
    }
    Ok(())
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
