//! `clientela-api geo resolve` (JSON lines in, JSON lines out) and `geo reindex`.

use std::io::{BufRead, Write};

use anyhow::Context;
use clap::Subcommand;
use clientela_core::geo::{GeoInput, Resolver};
use clientela_core::wire::GeoResolveResponse;
use clientela_store::Store;
use serde::Deserialize;
use serde_json::Value;

use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub enum GeoCommand {
    /// Read `{"country","state","city"}` JSON lines on stdin; write one resolved line each.
    Resolve,
    /// Re-resolve the location of every stored customer (after a gazetteer change).
    Reindex,
}

pub fn run(settings: &Settings, command: GeoCommand) -> anyhow::Result<()> {
    let resolver = super::resolver::load(settings)?;
    match command {
        GeoCommand::Resolve => {
            let stdin = std::io::stdin();
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            resolve_lines(&resolver, stdin.lock(), &mut stdout)?;
            stdout.flush()?;
        }
        GeoCommand::Reindex => {
            let store =
                Store::open(&settings.store_options()).context("could not open the database")?;
            reindex(&store, &resolver)?;
        }
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceLine {
    country: Option<Value>,
    state: Option<String>,
    city: Option<String>,
}

/// One output line per input line, in order; a line that is not a place object gets
/// `{"error": …}` so outputs still line up with inputs.
pub fn resolve_lines(
    resolver: &Resolver,
    input: impl BufRead,
    output: &mut impl Write,
) -> anyhow::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<PlaceLine>(&line) {
            Ok(place) => {
                let country = match &place.country {
                    Some(Value::String(text)) => Some(text.clone()),
                    Some(Value::Number(number)) => Some(number.to_string()),
                    _ => None,
                };
                let input = GeoInput {
                    country: country.as_deref(),
                    state: place.state.as_deref(),
                    city: place.city.as_deref(),
                };
                serde_json::to_value(GeoResolveResponse::from(resolver.resolve(&input)))?
            }
            Err(error) => serde_json::json!({ "error": format!("not a place object: {error}") }),
        };
        serde_json::to_writer(&mut *output, &answer)?;
        output.write_all(b"\n")?;
    }
    Ok(())
}

fn reindex(store: &Store, resolver: &Resolver) -> anyhow::Result<()> {
    let resolve = |customer: &clientela_core::Customer| {
        resolver
            .resolve(&GeoInput {
                country: customer.country.as_deref(),
                state: customer.state.as_deref(),
                city: customer.city.as_deref(),
            })
            .location
    };
    let (mut seen, mut changed) = (0, 0);
    let mut after: Option<String> = None;
    loop {
        let page = store.reindex_page(after.as_deref(), 500, &resolve)?;
        seen += page.seen;
        changed += page.changed;
        match page.last {
            Some(last) => after = Some(last),
            None => break,
        }
    }
    println!("re-resolved {seen} customers; {changed} locations changed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_input_line_gets_one_output_line_in_order() {
        let input = "{\"country\":\"ES\",\"state\":\"Barcelona\"}\nnot json\n{\"country\":724}\n";
        let mut output = Vec::new();
        resolve_lines(&Resolver::builtin(), input.as_bytes(), &mut output).expect("resolve");
        let lines: Vec<Value> = String::from_utf8(output)
            .expect("utf-8")
            .lines()
            .map(|line| serde_json::from_str(line).expect("json line"))
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["state"]["code"], "ES-B");
        assert_eq!(lines[0]["status"], "resolved");
        assert!(lines[1]["error"].is_string());
        assert_eq!(lines[2]["country"]["alpha3"], "ESP");
    }
}
