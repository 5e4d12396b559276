//! `clientela-bench webhooks`: what pushing the feed costs and how late it arrives.
//!
//! Phases of `--seconds` each, on one server:
//! 1. ingest at full speed with no subscription, then with one subscription delivering to a
//!    local receiver, in turn: without, with, without, ... without
//!    ([`SUBSCRIBED_PHASES`] phases with). Each phase with is compared with the mean of the
//!    two without on either side of it, so that what the database's growth and the
//!    machine's drift do to the rate weighs on both sides alike; the ratio reported is the
//!    median of those comparisons. A phase with gives the changes delivered per second and
//!    the delivery lag;
//! 2. ingest at half the mean rate without a subscription, with one: the lag a receiver sees
//!    when the server is not saturated.
//!
//! Every phase with a subscription starts one (its cursor at the feed's head) and removes it
//! once the receiver has everything written during the phase, so no phase inherits another's
//! backlog. Before every phase the database is vacuumed and checkpointed
//! ([`Database::settle`](super::server::Database::settle)).
//!
//! The lag of a change is the time from its commit (the item's `at`) to the moment the
//! receiver holds its batch. Changes still undelivered when a phase ends are waited for (up to
//! a minute) and counted with their real lag.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::{Context, bail};
use serde_json::json;

use super::load::{self, Request};
use super::server::Server;
use super::{Options, batch_of, data};

/// What the receiver holds: for each change received, its commit time and receipt time
/// (microseconds since the epoch).
#[derive(Default)]
struct Deliveries {
    lags: Vec<(i64, i64)>,
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
        })
}

/// A receiver answering 204 to every batch, on its own thread.
fn start_receiver(
    deliveries: Arc<Mutex<Deliveries>>,
) -> anyhow::Result<(String, actix_web::dev::ServerHandle)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let (sender, handles) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let shared = web::Data::new(deliveries);
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(shared.clone())
                    .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                    .default_service(web::to(receive))
            })
            .workers(1)
            .listen(listener)
            .map(|server| server.run());
            match server {
                Ok(server) => {
                    let _ = sender.send(Ok(server.handle()));
                    let _ = server.await;
                }
                Err(error) => {
                    let _ = sender.send(Err(error));
                }
            }
        });
    });
    let handle = handles.recv().context("receiver thread")??;
    Ok((url, handle))
}

/// What the receiver reads of a batch: each item's commit time (the rest is skipped, so the
/// receiver, which shares the machine with the server, takes little of its CPU).
#[derive(serde::Deserialize)]
struct Batch<'a> {
    #[serde(borrow)]
    items: Vec<Item<'a>>,
}

#[derive(serde::Deserialize)]
struct Item<'a> {
    at: &'a str,
}

async fn receive(body: web::Bytes, deliveries: web::Data<Arc<Mutex<Deliveries>>>) -> HttpResponse {
    let received = now_micros();
    let Ok(batch) = serde_json::from_slice::<Batch<'_>>(&body) else {
        return HttpResponse::BadRequest().finish();
    };
    let committed: Vec<i64> = batch
        .items
        .iter()
        .filter_map(|item| parse_rfc3339_micros(item.at))
        .collect();
    if let Ok(mut deliveries) = deliveries.lock() {
        deliveries
            .lags
            .extend(committed.into_iter().map(|at| (at, received)));
    }
    HttpResponse::NoContent().finish()
}

/// `2026-12-05T10:00:00.123456Z` in microseconds since the epoch.
fn parse_rfc3339_micros(text: &str) -> Option<i64> {
    let parsed =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(parsed.unix_timestamp_nanos() / 1000).ok()
}

pub fn run(options: &Options) -> anyhow::Result<()> {
    let binary = options.binary()?;
    let database = options.database("webhooks")?;
    let settings = [("CLIENTELA__WEBHOOKS__ALLOW_PRIVATE_NETWORKS", "true")];
    let server = Server::start_with(&binary, &database, &settings)?;
    let batch = options.batch;
    let ingest = |run: &'static str, pace: Option<f64>| {
        load::run_paced(
            &server.base,
            &server.key,
            options.connections,
            options.duration,
            pace,
            move |n| Request::Post {
                path: "/customers".into(),
                body: batch_of(batch, |i| data::customer(run, n * batch + i)),
            },
        )
    };

    let deliveries = Arc::new(Mutex::new(Deliveries::default()));
    let (url, receiver) = start_receiver(deliveries.clone())?;
    let alone = |run: &'static str| -> anyhow::Result<f64> {
        database.settle()?;
        Ok(ingest(run, None)?.per_second(batch))
    };
    let phase = |run: &'static str, pace: Option<f64>| -> anyhow::Result<Phase> {
        database.settle()?;
        let subscription = subscribe(&server, &url)?;
        if let Ok(mut deliveries) = deliveries.lock() {
            deliveries.lags.clear();
        }
        let started = Instant::now();
        let result = ingest(run, pace)?;
        let written = result.requests * batch;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let received = deliveries
                .lock()
                .map_or(0, |deliveries| deliveries.lags.len());
            if received as u64 >= written {
                break;
            }
            if Instant::now() > deadline {
                bail!("{received} of {written} changes delivered a minute after the load ended");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        unsubscribe(&server, &subscription)?;
        let mut lags: Vec<i64> = deliveries
            .lock()
            .map(|deliveries| deliveries.lags.iter().map(|(at, got)| got - at).collect())
            .unwrap_or_default();
        lags.sort_unstable();
        Ok(Phase {
            ingest: result.per_second(batch),
            delivered: written as f64 / started.elapsed().as_secs_f64(),
            lags,
        })
    };

    // Without, with, without, with, ... without: each subscribed phase is compared with the
    // mean of the phases on either side of it.
    let mut rates = vec![alone(ALONE[0])?];
    let mut compared = Vec::with_capacity(SUBSCRIBED_PHASES);
    for n in 0..SUBSCRIBED_PHASES {
        let saturated = phase(SUBSCRIBED[n], None)?;
        rates.push(alone(ALONE[n + 1])?);
        let ratio = saturated.ingest / f64::midpoint(rates[n], rates[n + 1]);
        compared.push((saturated, ratio));
    }
    let alone_rate = rates.iter().sum::<f64>() / rates.len() as f64;
    let half = phase("half", Some(alone_rate / batch as f64 / 2.0))?;
    drop(server);
    actix_web::rt::System::new().block_on(receiver.stop(false));

    println!(
        "\n## webhooks: {}, batches of {batch}, {} connections, {} s per phase, one subscription \
         (webhook batches of 100)\n",
        options.backend(),
        options.connections,
        options.duration.as_secs()
    );
    println!(
        "| phase | ingest customers/s | with / without | delivered changes/s | lag p50 ms | lag p99 ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let each: Vec<String> = rates.iter().map(|rate| format!("{rate:.0}")).collect();
    println!(
        "| no subscription (mean; each phase) | {alone_rate:.0} ({}) | – | – | – | – |",
        each.join(", ")
    );
    for (n, (phase, ratio)) in compared.iter().enumerate() {
        phase.print(&format!("full speed, subscribed ({})", n + 1), Some(*ratio));
    }
    half.print("half speed, subscribed", None);
    let mut ratios: Vec<f64> = compared.iter().map(|(_, ratio)| *ratio).collect();
    ratios.sort_unstable_by(f64::total_cmp);
    println!(
        "\ningest with one subscription / without (each subscribed phase against the mean of \
         the phases either side of it), median of {SUBSCRIBED_PHASES}: {:.2}",
        ratios[ratios.len() / 2]
    );
    Ok(())
}

/// Subscribes the receiver at `url`; returns the subscription's id.
fn subscribe(server: &Server, url: &str) -> anyhow::Result<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let subscription: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/webhooks", server.base))
            .bearer_auth(&server.key)
            .json(&json!({"url": url}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        subscription["id"]
            .as_str()
            .map(str::to_owned)
            .context("a subscription without an id")
    })
}

fn unsubscribe(server: &Server, id: &str) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        reqwest::Client::new()
            .delete(format!("{}/webhooks/{id}", server.base))
            .bearer_auth(&server.key)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    })
}

/// How many times the full-speed phase runs subscribed, each between two phases without a
/// subscription: a 10% effect is near what one pair of 8-second phases resolves on a shared
/// machine (a checkpoint of the database lands in one phase and not the other), so the
/// ratio reported is the median of these comparisons.
const SUBSCRIBED_PHASES: usize = 3;

/// The runs' names (each phase writes customers of its own).
const ALONE: [&str; SUBSCRIBED_PHASES + 1] = ["alone-1", "alone-2", "alone-3", "alone-4"];
const SUBSCRIBED: [&str; SUBSCRIBED_PHASES] = ["full-1", "full-2", "full-3"];

/// One subscribed phase.
struct Phase {
    ingest: f64,
    delivered: f64,
    /// Each change's lag in microseconds, sorted.
    lags: Vec<i64>,
}

impl Phase {
    fn print(&self, name: &str, ratio: Option<f64>) {
        println!(
            "| {name} | {:.0} | {} | {:.0} | {:.0} | {:.0} |",
            self.ingest,
            ratio.map_or_else(|| "–".to_owned(), |ratio| format!("{ratio:.2}")),
            self.delivered,
            self.percentile(0.5) / 1000.0,
            self.percentile(0.99) / 1000.0
        );
    }

    /// The lag at `fraction` of the changes, in microseconds.
    fn percentile(&self, fraction: f64) -> f64 {
        if self.lags.is_empty() {
            return 0.0;
        }
        let index = ((self.lags.len() - 1) as f64 * fraction).round() as usize;
        self.lags[index.min(self.lags.len() - 1)] as f64
    }
}
