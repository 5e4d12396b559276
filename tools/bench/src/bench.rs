//! `clientela-bench ingest|read|scale|feed|compression|webhooks|geo`: the release server under real HTTP load, next to
//! a raw-database baseline measured in the same run, printed as a table of rates, ratios,
//! latency percentiles and memory.
//!
//! Machines here are shared and noisy: compare the ratios of one run, not absolute numbers
//! across runs.

mod data;
mod load;
mod pgbench;
mod raw;
mod server;
mod webhooks;

use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::Value;

use load::{LoadResult, Request};
use raw::Target;
use server::{Database, Server};

/// The options of `ingest`, `read` and `scale`, as given.
#[derive(Debug, Args)]
pub struct LoadArguments {
    /// Database.
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    backend: Backend,
    /// PostgreSQL server (with --backend postgres).
    #[arg(
        long,
        env = "CLIENTELA_TEST_PG",
        hide_env_values = true,
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    pg_url: String,
    /// Customers per POST (1 to 100).
    #[arg(long, default_value_t = 100)]
    batch: u64,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 4)]
    connections: u64,
    /// Length of each measured phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// scale: customers stored before measuring; feed: customers whose changes are read.
    #[arg(long, default_value_t = 1_000_000)]
    count: u64,
    /// Measure this clientela-api binary instead of building the workspace's (to compare
    /// two versions run after run; each run still measures its own raw baseline).
    #[arg(long, value_name = "PATH")]
    server: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A run's options, brought into range (a batch holds at most 100 customers).
#[derive(Debug, Clone)]
pub struct Options {
    postgres: Option<String>,
    batch: u64,
    connections: usize,
    duration: Duration,
    count: u64,
    server: Option<std::path::PathBuf>,
}

impl From<LoadArguments> for Options {
    fn from(arguments: LoadArguments) -> Options {
        Options {
            postgres: (arguments.backend == Backend::Postgres).then_some(arguments.pg_url),
            batch: arguments.batch.clamp(1, 100),
            connections: usize::try_from(arguments.connections.max(1)).unwrap_or(usize::MAX),
            duration: Duration::from_secs(arguments.seconds.max(1)),
            count: arguments.count,
            server: arguments.server,
        }
    }
}

impl Options {
    /// The server binary: the one given with `--server`, else the workspace's, built now.
    fn binary(&self) -> anyhow::Result<std::path::PathBuf> {
        match &self.server {
            Some(path) => Ok(path.clone()),
            None => server::build_release(),
        }
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

pub fn ingest(options: &Options) -> anyhow::Result<()> {
    let binary = options.binary()?;
    let raw_database = options.database("raw")?;
    server::migrate(&binary, &raw_database)?;
    raw::create_limit_table(&raw_database)?;
    let mut baselines = Vec::new();
    for target in [Target::Limit, Target::Schema] {
        for update_of in [None, Some(10_000)] {
            baselines.push(Baseline {
                target,
                update: update_of.is_some(),
                raw: raw::upsert_rate(
                    &raw_database,
                    target,
                    "raw",
                    options.raw_connections(),
                    options.batch,
                    options.duration,
                    update_of,
                )?,
                pgbench: match options.postgres {
                    Some(_) => pgbench::upsert_rate(
                        &raw_database,
                        target,
                        options.connections,
                        options.batch,
                        options.duration,
                        update_of,
                    )?,
                    None => None,
                },
            });
        }
    }
    // PostgreSQL: the API's own transaction, without the API ([`pgbench`]'s docs).
    let mut api_transaction = [None, None];
    if options.postgres.is_some() {
        for (rate, update_of) in api_transaction.iter_mut().zip([None, Some(10_000)]) {
            *rate = pgbench::api_transaction_rate(
                &raw_database,
                options.connections,
                options.batch,
                options.duration,
                update_of,
            )?;
        }
    }
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
    let group = server::mean_group(&server.metrics()?);

    println!(
        "\n## ingest: {}, batches of {batch}, {} connections, {} s per phase\n",
        options.backend(),
        options.connections,
        options.duration.as_secs()
    );
    println!(
        "Baselines (rows/s): `limit` is a table with the same columns and only the primary \
         key, `schema` is the server's tables (customers with its indexes, plus a feed row); \
         `raw` is a Rust client with statements prepared once, `pgbench` PostgreSQL's own \
         client generating the rows in the server. API / limit divides by the faster limit.\n"
    );
    println!(
        "| phase | API customers/s | p50 ms | p99 ms | limit raw | limit pgbench | schema raw | schema pgbench | API / limit | API / schema |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (phase, result, update) in [
        ("insert (new codes)", &inserts, false),
        ("update (merge patches)", &updates, true),
    ] {
        let rate = result.per_second(batch);
        let of = |target| {
            baselines
                .iter()
                .find(|b| b.target == target && b.update == update)
        };
        let (limit, schema) = (of(Target::Limit), of(Target::Schema));
        let cell = |rate: Option<f64>| rate.map_or("–".to_owned(), |rate| format!("{rate:.0}"));
        let ratio = |baseline: Option<&Baseline>| {
            baseline.map_or("–".to_owned(), |b| format!("{:.2}", rate / b.best()))
        };
        println!(
            "| {phase} | {rate:.0} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} |",
            result.percentile(0.5).as_secs_f64() * 1000.0,
            result.percentile(0.99).as_secs_f64() * 1000.0,
            cell(limit.map(|b| b.raw)),
            cell(limit.and_then(|b| b.pgbench)),
            cell(schema.map(|b| b.raw)),
            cell(schema.and_then(|b| b.pgbench)),
            ratio(limit),
            ratio(schema),
        );
    }
    if let [Some(insert), Some(update)] = api_transaction {
        println!(
            "\nthe API's own transaction in pgbench (advisory locks, suppression and stored-row \
             reads, upsert, feed; rows made in the server, no client work): insert {insert:.0}, \
             update {update:.0} rows/s; API / that: {:.2}, {:.2}",
            inserts.per_second(batch) / insert,
            updates.per_second(batch) / update,
        );
    }
    if let Some(group) = group {
        println!("\ngroup commit: {group:.2} write requests per commit on average");
    }
    println!(
        "\nserver RSS {rss:.0} MiB (peak {peak:.0} MiB), start-up {} ms",
        server.startup.as_millis()
    );
    Ok(())
}

/// A baseline's rates for one target and phase.
struct Baseline {
    target: Target,
    update: bool,
    raw: f64,
    pgbench: Option<f64>,
}

impl Baseline {
    /// The faster of the clients: the honest limit.
    fn best(&self) -> f64 {
        self.pgbench
            .map_or(self.raw, |pgbench| pgbench.max(self.raw))
    }
}

pub fn read(options: &Options) -> anyhow::Result<()> {
    let binary = options.binary()?;
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
    let group = server::mean_group(&server.metrics()?);
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
    if let Some(group) = group {
        println!("\ngroup commit: {group:.2} write requests per commit on average");
    }
    println!(
        "\nserver RSS {rss:.0} MiB (peak {peak:.0} MiB), start-up {} ms",
        server.startup.as_millis()
    );
    Ok(())
}

pub fn scale(options: &Options) -> anyhow::Result<()> {
    let binary = options.binary()?;
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
pub fn geo() -> anyhow::Result<()> {
    crate::cargo(&[
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
    ])?;
    crate::cargo(&["bench", "-p", "clientela-core", "--bench", "geo"])
}

/// What compressed bodies cost and save: 100-customer POSTs sent plain, gzipped and as
/// zstd (bodies encoded before the clock starts, as a loader streaming from compressed
/// files would have them), and a page of 100 customers read plain and compressed.
pub fn compression(options: &Options) -> anyhow::Result<()> {
    use std::io::Write;
    let binary = options.binary()?;
    let database = options.database("compression")?;
    let server = Server::start(&binary, &database)?;
    // Enough distinct batches for every phase to post fresh codes throughout.
    let batches: u64 = 3_000;
    let mut phases = Vec::new();
    for encoding in ["identity", "gzip", "zstd"] {
        let run = format!("c{encoding}");
        let bodies: Vec<Vec<u8>> = (0..batches)
            .map(|n| {
                let json =
                    serde_json::to_vec(&batch_of(100, |i| data::customer(&run, n * 100 + i)))?;
                Ok(match encoding {
                    "gzip" => {
                        let mut encoder = flate2::write::GzEncoder::new(
                            Vec::new(),
                            flate2::Compression::default(),
                        );
                        encoder.write_all(&json)?;
                        encoder.finish()?
                    }
                    "zstd" => zstd::encode_all(json.as_slice(), 3)?,
                    _ => json,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let sent = bodies.iter().map(Vec::len).sum::<usize>() as f64 / batches as f64;
        let bodies = std::sync::Arc::new(bodies);
        let result = options.load(&server, move |n| Request::PostEncoded {
            path: "/customers".into(),
            body: bodies[(n % batches) as usize].clone(),
            encoding,
        })?;
        phases.push((format!("POST 100 customers, {encoding}"), result, sent));
    }
    for accept in ["identity", "gzip", "zstd"] {
        let result = options.load(&server, move |n| Request::GetAccepting {
            path: {
                // Codes of the plain phase sharing all but their last four digits.
                let code = data::code("cidentity", (n * 7_919) % 100_000);
                format!("/customers?limit=100&q={}", &code[..code.len() - 4])
            },
            accept,
        })?;
        let received = result.bytes_received as f64 / result.requests.max(1) as f64;
        phases.push((
            format!("GET a page of 100, Accept-Encoding: {accept}"),
            result,
            received,
        ));
    }
    println!(
        "\n## compression: {}, {} connections, {} s per phase\n",
        options.backend(),
        options.connections,
        options.duration.as_secs()
    );
    println!("| request | requests/s | p50 ms | p99 ms | body bytes on the wire |");
    println!("|---|---:|---:|---:|---:|");
    for (name, result, bytes) in &phases {
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {bytes:.0} |",
            result.per_second(1),
            result.percentile(0.5).as_secs_f64() * 1000.0,
            result.percentile(0.99).as_secs_f64() * 1000.0,
        );
    }
    Ok(())
}

/// Reading the change feed: `count` customers are posted (100 per request), then a
/// follower reads every change from the start, 1,000 per page, as a sync job would.
pub fn feed(options: &Options) -> anyhow::Result<()> {
    let binary = options.binary()?;
    let database = options.database("feed")?;
    let server = Server::start(&binary, &database)?;
    let client = reqwest::blocking::Client::new();
    let batches = options.count.div_ceil(100);
    for n in 0..batches {
        let status = client
            .post(format!("{}/customers", server.base))
            .bearer_auth(&server.key)
            .json(&batch_of(100, |i| data::customer("feed", n * 100 + i)))
            .send()?
            .status();
        anyhow::ensure!(status.is_success(), "preload answered {status}");
    }
    let started = std::time::Instant::now();
    let (mut items, mut pages) = (0_u64, 0_u64);
    let mut after: Option<String> = None;
    loop {
        let mut url = format!("{}/changes?limit=1000", server.base);
        if let Some(cursor) = &after {
            url.push_str(&format!("&after={cursor}"));
        }
        let page: Value = client.get(url).bearer_auth(&server.key).send()?.json()?;
        let count = page["items"].as_array().map_or(0, Vec::len) as u64;
        if count == 0 {
            break;
        }
        items += count;
        pages += 1;
        after = page["next"].as_str().map(str::to_owned);
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "\n## feed: {}, {items} changes read in {pages} pages of up to 1,000\n\n\
         | changes/s | pages/s | ms per page |\n|---:|---:|---:|\n| {:.0} | {:.1} | {:.1} |",
        options.backend(),
        items as f64 / elapsed,
        pages as f64 / elapsed,
        elapsed * 1e3 / pages.max(1) as f64,
    );
    Ok(())
}

fn batch_of(size: u64, customer: impl Fn(u64) -> Value) -> Value {
    Value::Array((0..size).map(customer).collect())
}

/// `clientela-bench webhooks` (see `bench/webhooks.rs`).
pub fn webhooks(options: &Options) -> anyhow::Result<()> {
    webhooks::run(options)
}
