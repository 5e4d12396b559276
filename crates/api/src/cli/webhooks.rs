//! `clientela-api webhooks list|add|remove|replay`: the subscriptions of `/webhooks`, from
//! the command line, on the database the settings name (a running server delivers what
//! these change within a moment).

use anyhow::{Context, bail};
use clap::Subcommand;
use clientela_core::Timestamp;
use clientela_store::Store;

use crate::config::Settings;
use crate::webhooks::{Subscription, replay, signing, subscribe};

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// List subscriptions: id, state, events, cursor, URL.
    List,
    /// Subscribe a URL to the changes committed from now on; prints the subscription's id
    /// and its signing secret (shown only this once).
    Add {
        url: String,
        /// upsert, delete, or both (the default); repeatable or comma-separated.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// Send only upserts that changed one of these fields (e.g. country,metadata.tier).
        #[arg(long, value_delimiter = ',')]
        fields: Vec<String>,
    },
    /// Remove a subscription.
    Remove { id: String },
    /// Send a subscription's changes again after a feed cursor (from the oldest change kept
    /// when left out); also ends a pause.
    Replay {
        id: String,
        #[arg(long)]
        after: Option<String>,
    },
}

pub fn run(settings: &Settings, command: WebhookCommand) -> anyhow::Result<()> {
    let store = Store::open(&settings.store_options()).context("could not open the database")?;
    match command {
        WebhookCommand::List => {
            println!(
                "{:<27}  {:<7}  {:<13}  {:<21}  url",
                "id", "state", "events", "cursor"
            );
            for webhook in store.webhooks()? {
                let state = match (&webhook.paused_reason, webhook.attempts) {
                    (Some(_), _) => "paused",
                    (None, 0) => "active",
                    (None, _) => "failing",
                };
                println!(
                    "{:<27}  {state:<7}  {:<13}  {:<21}  {}",
                    webhook.id, webhook.events, webhook.cursor, webhook.url
                );
                if let Some(reason) = &webhook.paused_reason {
                    println!("    paused: {reason}");
                }
            }
        }
        WebhookCommand::Add {
            url,
            events,
            fields,
        } => {
            let subscription = Subscription {
                url,
                events: (!events.is_empty()).then_some(events),
                fields: (!fields.is_empty()).then_some(fields),
            };
            let (webhook, secret) = subscribe(&store, &settings.webhooks.options(), subscription)
                .map_err(|error| {
                anyhow::anyhow!("{}", error.problem().detail.unwrap_or_default())
            })?;
            println!("{}", webhook.id);
            println!("{}", signing::show_secret(&secret));
            eprintln!(
                "subscribed {} to {} from {} on; the secret is shown only this once",
                webhook.url,
                webhook.events,
                Timestamp(webhook.created_at).to_rfc3339()
            );
        }
        WebhookCommand::Remove { id } => {
            if !store.delete_webhook(&id)? {
                bail!("no webhook subscription `{id}`");
            }
            eprintln!("removed {id}");
        }
        WebhookCommand::Replay { id, after } => {
            let replayed = replay(&store, &id, after.as_deref())
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            if !replayed {
                bail!("no webhook subscription `{id}`");
            }
            eprintln!(
                "{id} sends again from after {}",
                after.as_deref().unwrap_or("the oldest change kept")
            );
        }
    }
    Ok(())
}
