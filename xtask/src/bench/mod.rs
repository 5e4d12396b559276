//! `cargo xtask bench ingest|read|scale`: the release server under real HTTP load, next to
//! a raw-database baseline measured in the same run, printed as a table of rates, ratios,
//! latency percentiles and memory.
//!
//! Machines here are shared and noisy: compare the ratios of one run, not absolute numbers
//! across runs.

mod data;
mod load;
mod raw;
mod server;

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

use load::{LoadResult, Request};
use server::{Database, Server};

const USAGE: &str = "usage: cargo xtask bench <ingest|read|scale|geo> [options]

  geo prints the resolver's accuracy per kind of input (with the overlay in ../shared/geo/csc
  when present) and runs the criterion lookup benchmarks.

  --backend sqlite|postgres   database (default sqlite)
  --pg-url URL                PostgreSQL server (default $CLIENTELA_TEST_PG or
                              postgres://postgres@127.0.0.1:5432/test)
  --batch N                   customers per POST (default 100)
  --connections N             concurrent HTTP clients (default 4)
  --seconds N                 length of each measured phase (default 10)
  --count N                   scale: customers stored before measuring (default 1000000)";

#[derive(Debug, Clone)]
struct Options {
    postgres: Option<String>,
    batch: u64,
    connections: usize,
    duration: Duration,
    count: u64,
}

impl Options {
    fn parse(arguments: &[String]) -> anyhow::Result<Options> {
        let mut options = Options {
            postgres: None,
            batch: 100,
            connections: 4,
            duration: Duration::from_secs(10),
            count: 1_000_000,
        };
        let mut backend = "sqlite".to_owned();
        let mut pg_url = std::env::var("CLIENTELA_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let mut rest = arguments.iter();
        while let Some(flag) = rest.next() {
            let value = rest
                .next()
                .with_context(|| format!("{flag} needs a value\n\n{USAGE}"))?;
            let number = || {
                value
                    .parse::<u64>()
                    .with_context(|| format!("{flag} takes a number"))
            };
            match flag.as_str() {
                "--backend" => backend = value.clone(),
                "--pg-url" => pg_url = value.clone(),
                "--batch" => options.batch = number()?.clamp(1, 100),
                "--connections" => options.connections = number()?.max(1) as usize,
                "--seconds" => options.duration = Duration::from_secs(number()?.max(1)),
                "--count" => options.count = number()?,
                _ => bail!("unknown option {flag}\n\n{USAGE}"),
            }
        }
        options.postgres = match backend.as_str() {
            "sqlite" => None,
            "postgres" => Some(pg_url),
            other => bail!("--backend is sqlite or postgres, not {other}"),
        };
        Ok(options)
    }

    fn database(&self, name: &str) -> anyhow::Result<Database> {
        match &self.postgres {
            None => Database::sqlite(name),
            Some(url) => Database::postgres(url, name),
        }
    }

    fn backend(&self) -> &'static str {
        if self.postgres.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// Drives `server` with this run's connections for this run's duration.
    fn load(
        &self,
        server: &Server,
        next: impl Fn(u64) -> Request + Send + Sync + 'static,
    ) -> anyhow::Result<LoadResult> {
        load::run(
            &server.base,
            &server.key,
            self.connections,
            self.duration,
            next,
        )
    }

    /// Raw clients: SQLite has one writer however many connections ask, so one direct
    /// connection is its limit; PostgreSQL gets as many as the HTTP load.
    fn raw_connections(&self) -> usize {
        if self.postgres.is_some() {
            self.connections
        } else {
            1
        }
    }
}

pub fn run(arguments: &[String]) -> anyhow::Result<()> {
    let Some((task, rest)) = arguments.split_first() else {
        println!("{USAGE}");
        return Ok(());
    };
    if task == "geo" {
        return geo();
    }
    let options = Options::parse(rest)?;
    match task.as_str() {
        "ingest" => ingest(&options),
        "read" => read(&options),
        "scale" => scale(&options),
        other => bail!("unknown bench `{other}`\n\n{USAGE}"),
    }
}

fn ingest(options: &Options) -> anyhow::Result<()> {
    let binary = server::build_release()?;
    let raw_database = options.database("raw")?;
    server::migrate(&binary, &raw_database)?;
    let raw_insert = raw::upsert_rate(
        &raw_database,
        "raw",
        options.raw_connections(),
        options.batch,
        options.duration,
        None,
    )?;
    let raw_update = raw::upsert_rate(
        &raw_database,
        "raw",
        options.raw_connections(),
        options.batch,
        options.duration,
        Some(10_000),
    )?;
    drop(raw_database);

    let database = options.database("api")?;
    let server = Server::start(&binary, &database)?;
    let batch = options.batch;
    let inserts = options.load(&server, move |n| Request::Post {
        path: "/customers".into(),
        body: batch_of(batch, |i| data::customer("api", n * batch + i)),
    })?;
    let existing = (inserts.requests * batch).clamp(1, 10_000);
    let updates = options.load(&server, move |n| Request::Post {
        path: "/customers".into(),
        body: batch_of(batch, |i| {
            data::patch("api", (n * batch + i) % existing, n + 1)
        }),
    })?;
    let (rss, peak) = server.memory_mib();

    println!(
        "\n## ingest: {}, batches of {batch}, {} connections, {} s per phase\n",
        options.backend(),
        options.connections,
        options.duration.as_secs()
    );
    println!("| phase | API customers/s | raw customers/s | ratio | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    row("insert (new codes)", &inserts, batch, Some(raw_insert));
    row("update (merge patches)", &updates, batch, Some(raw_update));
    println!(
        "\nserver RSS {rss:.0} MiB (peak {peak:.0} MiB), start-up {} ms",
        server.startup.as_millis()
    );
    Ok(())
}

fn read(options: &Options) -> anyhow::Result<()> {
    let binary = server::build_release()?;
    let database = options.database("read")?;
    server::migrate(&binary, &database)?;
    let stored: u64 = 100_000;
    raw::preload(&database, "read", stored)?;
    let server = Server::start(&binary, &database)?;
    let singles = options.load(&server, |n| Request::Post {
        path: "/customers".into(),
        body: data::customer("single", n),
    })?;
    let gets = options.load(&server, move |n| Request::Get {
        path: format!("/customers/{}", data::code("read", (n * 7_919) % stored)),
    })?;
    let pages = options.load(&server, move |n| Request::Get {
        path: page_path("read", n),
    })?;
    let (rss, peak) = server.memory_mib();
    println!(
        "\n## read: {}, {stored} customers stored, {} connections, {} s per phase\n",
        options.backend(),
        options.connections,
        options.duration.as_secs()
    );
    println!("| request | requests/s | p50 ms | p99 ms | server answered within |");
    println!("|---|---:|---:|---:|---:|");
    let metrics = server.metrics()?;
    let within = |method, route, seconds: &str| -> anyhow::Result<String> {
        let share = server::answered_within(&metrics, method, route, seconds)?;
        Ok(format!(
            "{:.2}% ≤ {} ms",
            100.0 * share,
            seconds.parse::<f64>()? * 1000.0
        ))
    };
    latency_row(
        "POST one customer",
        &singles,
        &within("POST", "/customers", "0.002")?,
    );
    latency_row(
        "GET /customers/{code}",
        &gets,
        &within("GET", "/customers/{code}", "0.001")?,
    );
    latency_row(
        "GET /customers?limit=50&q=…",
        &pages,
        &within("GET", "/customers", "0.005")?,
    );
    println!(
        "\nserver RSS {rss:.0} MiB (peak {peak:.0} MiB), start-up {} ms",
        server.startup.as_millis()
    );
    Ok(())
}

fn scale(options: &Options) -> anyhow::Result<()> {
    let binary = server::build_release()?;
    let batch = options.batch;
    let mut results = Vec::new();
    for (name, stored) in [("empty", 0), ("full", options.count)] {
        let database = options.database(name)?;
        server::migrate(&binary, &database)?;
        raw::preload(&database, "scale", stored)?;
        let server = Server::start(&binary, &database)?;
        let inserts = options.load(&server, move |n| Request::Post {
            path: "/customers".into(),
            body: batch_of(batch, |i| data::customer("fresh", n * batch + i)),
        })?;
        let pages = options.load(&server, move |n| Request::Get {
            path: page_path("scale", n),
        })?;
        let (rss, peak) = server.memory_mib();
        results.push((stored, inserts, pages, rss, peak, server.startup));
    }
    println!(
        "\n## scale: {}, batches of {batch}, {} connections, {} s per phase\n",
        options.backend(),
        options.connections,
        options.duration.as_secs()
    );
    println!(
        "| stored | ingest customers/s | vs empty | page p50 ms | page p99 ms | RSS MiB (peak) | start-up ms |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let empty_rate = results
        .first()
        .map_or(1.0, |(_, inserts, ..)| inserts.per_second(batch));
    for (stored, inserts, pages, rss, peak, startup) in &results {
        let rate = inserts.per_second(batch);
        println!(
            "| {stored} | {rate:.0} | {:.0}% | {:.2} | {:.2} | {rss:.0} ({peak:.0}) | {} |",
            100.0 * rate / empty_rate,
            pages.percentile(0.5).as_secs_f64() * 1000.0,
            pages.percentile(0.99).as_secs_f64() * 1000.0,
            startup.as_millis(),
        );
    }
    Ok(())
}

/// A page of `GET /customers` somewhere in the stored codes: those starting with one of a
/// hundred prefixes, 50 at a time.
fn page_path(run: &str, n: u64) -> String {
    let code = data::code(run, (n * 7_919) % 1_000_000);
    let prefix = &code[..code.len() - 4];
    format!("/customers?limit=50&q={prefix}")
}

fn latency_row(request: &str, result: &LoadResult, server: &str) {
    println!(
        "| {request} | {:.0} | {:.2} | {:.2} | {server} |",
        result.per_second(1),
        result.percentile(0.5).as_secs_f64() * 1000.0,
        result.percentile(0.99).as_secs_f64() * 1000.0,
    );
}

/// The accuracy report (the accuracy test prints it) and the lookup benchmarks.
fn geo() -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    crate::command::run(
        &cargo,
        &[
            "test",
            "--release",
            "-p",
            "clientela-core",
            "--test",
            "accuracy",
            "--",
            "--nocapture",
            "--test-threads",
            "1",
        ],
    )?;
    crate::command::run(&cargo, &["bench", "-p", "clientela-core", "--bench", "geo"])
}

fn batch_of(size: u64, customer: impl Fn(u64) -> Value) -> Value {
    Value::Array((0..size).map(customer).collect())
}

fn row(phase: &str, result: &LoadResult, items_per_request: u64, raw: Option<f64>) {
    let rate = result.per_second(items_per_request);
    let (raw_text, ratio) = match raw {
        Some(raw) => (format!("{raw:.0}"), format!("{:.0}%", 100.0 * rate / raw)),
        None => ("–".to_owned(), "–".to_owned()),
    };
    println!(
        "| {phase} | {rate:.0} | {raw_text} | {ratio} | {:.2} | {:.2} |",
        result.percentile(0.5).as_secs_f64() * 1000.0,
        result.percentile(0.99).as_secs_f64() * 1000.0,
    );
}
