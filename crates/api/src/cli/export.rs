//! `clientela-api export [--output FILE]`: every customer as JSON lines, in code order, read a
//! page at a time (the representation `GET /customers/{code}` answers with).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use clientela_store::{ListQuery, Store};

use crate::config::Settings;

/// Customers read per query.
const PAGE: usize = 500;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(settings: &Settings, args: &ExportArgs) -> anyhow::Result<()> {
    let store = Store::open(&settings.store_options()).context("could not open the database")?;
    let count = match &args.output {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("could not write {}", path.display()))?;
            let mut writer = BufWriter::new(file);
            let count = export(&store, &mut writer)?;
            writer.into_inner()?.sync_all()?;
            count
        }
        None => match export(&store, &mut std::io::stdout().lock()) {
            Ok(count) => count,
            // `export | head`: the reader has all it wanted. A closed pipe is a normal end.
            Err(error) if is_closed_pipe(&error) => return Ok(()),
            Err(error) => return Err(error),
        },
    };
    eprintln!("exported {count} customers");
    Ok(())
}

fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|error| error.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Writes every customer, one JSON object per line; returns how many.
pub fn export(store: &Store, output: &mut impl Write) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut after = None;
    loop {
        let query = ListQuery {
            limit: PAGE,
            after: after.take(),
            before: None,
            ..ListQuery::default()
        };
        let (customers, more) = store.list_page(&query)?;
        for customer in &customers {
            serde_json::to_writer(&mut *output, customer).map_err(std::io::Error::from)?;
            output.write_all(b"\n")?;
        }
        count += customers.len();
        match customers.last() {
            Some(last) if more => after = Some(last.code.clone()),
            _ => break,
        }
    }
    output.flush()?;
    Ok(count)
}
