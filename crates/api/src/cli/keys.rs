//! `clientela-api key create|list|revoke`.

use anyhow::{Context, bail};
use clap::Subcommand;
use clientela_core::Timestamp;
use clientela_store::Store;

use crate::auth::{Scope, create_key};
use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key and print it (it is shown only this once).
    Create {
        /// What the key is for, e.g. "shop importer".
        #[arg(long)]
        name: String,
        /// read, write (implies read) or admin (implies both).
        #[arg(long, default_value = "write")]
        scope: String,
    },
    /// List keys (ids, names, scopes; never secrets).
    List,
    /// Revoke a key by id; replicas stop accepting it within 10 seconds.
    Revoke { id: String },
}

pub fn run(settings: &Settings, command: KeyCommand) -> anyhow::Result<()> {
    let store = Store::open(&settings.store_options()).context("could not open the database")?;
    match command {
        KeyCommand::Create { name, scope } => {
            let Some(scope) = Scope::parse(&scope) else {
                bail!("--scope must be read, write or admin, not `{scope}`");
            };
            let key = create_key(&store, &name, scope)?;
            println!("{}", key.token);
            eprintln!(
                "created {} key {} ({name}); it is shown only this once",
                scope.name(),
                key.id
            );
        }
        KeyCommand::List => {
            println!(
                "{:<16}  {:<6}  {:<25}  {:<9}  name",
                "id", "scope", "created", "state"
            );
            for key in store.list_keys()? {
                let state = if key.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let created = Timestamp(key.created_at).to_rfc3339();
                let created = created.get(..19).unwrap_or(&created);
                println!(
                    "{:<16}  {:<6}  {created:<25}  {state:<9}  {}",
                    key.id, key.scope, key.name
                );
            }
        }
        KeyCommand::Revoke { id } => {
            if !store.revoke_key(&id, Timestamp::now().micros())? {
                bail!("no active key has the id `{id}`");
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}
