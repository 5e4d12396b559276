//! The HTTP load generator: `connections` concurrent clients, each sending its next request
//! as soon as the previous one answered, for a fixed time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

/// What one run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    pub requests: u64,
    pub elapsed: Duration,
    /// Request latencies, sorted.
    pub latencies: Vec<Duration>,
    /// Body bytes received, as they came over the wire (compressed when the server did).
    pub bytes_received: u64,
}

impl LoadResult {
    pub fn percentile(&self, fraction: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() - 1) as f64 * fraction).round() as usize;
        self.latencies[index.min(self.latencies.len() - 1)]
    }

    pub fn per_second(&self, items_per_request: u64) -> f64 {
        (self.requests * items_per_request) as f64 / self.elapsed.as_secs_f64()
    }
}

/// One request to send: method, path and optional JSON body.
pub enum Request {
    Post {
        path: String,
        body: Value,
    },
    Get {
        path: String,
    },
    /// A JSON body already encoded, sent with this `Content-Encoding` (`identity`: plain).
    PostEncoded {
        path: String,
        body: Vec<u8>,
        encoding: &'static str,
    },
    /// A GET with this `Accept-Encoding`.
    GetAccepting {
        path: String,
        accept: &'static str,
    },
}

/// Sends requests made by `next(sequence)` from `connections` clients for `duration`.
/// `next` numbers requests 0, 1, 2… across all clients, so each is sent once.
pub fn run(
    base: &str,
    key: &str,
    connections: usize,
    duration: Duration,
    next: impl Fn(u64) -> Request + Send + Sync + 'static,
) -> anyhow::Result<LoadResult> {
    run_paced(base, key, connections, duration, None, next)
}

/// [`run`], at most `requests_per_second` in all when given (each client sends its next
/// request on a schedule instead of at once).
pub fn run_paced(
    base: &str,
    key: &str,
    connections: usize,
    duration: Duration,
    requests_per_second: Option<f64>,
    next: impl Fn(u64) -> Request + Send + Sync + 'static,
) -> anyhow::Result<LoadResult> {
    let interval = requests_per_second
        .filter(|rate| *rate > 0.0)
        .map(|rate| Duration::from_secs_f64(connections as f64 / rate));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
        .context("http client")?;
    let next = Arc::new(next);
    let sequence = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let outcome: anyhow::Result<Vec<(Vec<Duration>, u64)>> = runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let (client, next, sequence) = (client.clone(), next.clone(), sequence.clone());
            let (base, key) = (base.to_owned(), key.to_owned());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut received = 0_u64;
                let mut scheduled = started;
                while Instant::now() < deadline {
                    if let Some(interval) = interval {
                        tokio::time::sleep_until(scheduled.into()).await;
                        scheduled += interval;
                    }
                    let request = next(sequence.fetch_add(1, Ordering::Relaxed));
                    let builder = match request {
                        Request::Post { path, body } => {
                            client.post(format!("{base}{path}")).json(&body)
                        }
                        Request::Get { path } => client.get(format!("{base}{path}")),
                        Request::PostEncoded {
                            path,
                            body,
                            encoding,
                        } => client
                            .post(format!("{base}{path}"))
                            .header("content-type", "application/json")
                            .header("content-encoding", encoding)
                            .body(body),
                        Request::GetAccepting { path, accept } => client
                            .get(format!("{base}{path}"))
                            .header("accept-encoding", accept),
                    };
                    let sent = Instant::now();
                    let response = builder.bearer_auth(&key).send().await?;
                    let status = response.status();
                    let body = response.bytes().await?;
                    latencies.push(sent.elapsed());
                    received += body.len() as u64;
                    if !status.is_success() {
                        bail!("{status}: {}", String::from_utf8_lossy(&body));
                    }
                }
                Ok((latencies, received))
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.push(task.await.context("load task")??);
        }
        Ok(all)
    });
    let elapsed = started.elapsed();
    let outcome = outcome?;
    let bytes_received = outcome.iter().map(|(_, received)| received).sum();
    let mut latencies: Vec<Duration> = outcome
        .into_iter()
        .flat_map(|(latencies, _)| latencies)
        .collect();
    latencies.sort_unstable();
    Ok(LoadResult {
        requests: latencies.len() as u64,
        elapsed,
        latencies,
        bytes_received,
    })
}
