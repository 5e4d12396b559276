//! `clientela-api changes [--follow] [--after CURSOR]`: the change feed as JSON lines on
//! standard output, one item per line, shaped as `GET /changes` answers them, for a shell
//! pipeline or a small sync job. Reads the database directly, like `export`.
//!
//! Without `--follow` it stops once it has caught up; with it, it keeps waiting for changes.
//! Each line carries its `cursor`: a job that saves the last one it handled resumes with
//! `--after` and sees every later change once.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use clientela_store::{Cursor, Store};

use crate::config::Settings;
use crate::feed::ChangeItem;

/// Items read per query.
const PAGE: usize = 500;
/// How often `--follow` looks for new changes once caught up.
const POLL: Duration = Duration::from_millis(500);

#[derive(Debug, Args)]
pub struct ChangesArgs {
    /// Keep running and print changes as they commit.
    #[arg(long)]
    pub follow: bool,
    /// Start after this cursor (the `cursor` of the last line a previous run printed);
    /// from the oldest change kept when absent.
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
}

pub fn run(settings: &Settings, args: &ChangesArgs) -> anyhow::Result<()> {
    let store = Store::open(&settings.store_options()).context("could not open the database")?;
    let mut after: Option<Cursor> = args.after.as_deref().map(str::parse).transpose()?;
    let mut output = std::io::stdout().lock();
    loop {
        let page = store.changes(after, PAGE).map_err(|error| match error {
            clientela_store::StoreError::CursorExpired { resume } => anyhow::anyhow!(
                "the feed no longer holds the changes after this cursor: export every \
                 customer again, then run with --after {resume}"
            ),
            other => other.into(),
        })?;
        let caught_up = page.len() < PAGE;
        for change in page {
            after = Some(change.cursor);
            let line = serde_json::to_string(&ChangeItem::from(change))?;
            if let Err(error) = writeln!(output, "{line}") {
                // A reader that went away (`| head`) is a normal end.
                if error.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(());
                }
                return Err(error.into());
            }
        }
        output.flush().ok();
        if caught_up {
            if !args.follow {
                return Ok(());
            }
            std::thread::sleep(POLL);
        }
    }
}
