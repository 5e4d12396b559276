//! Prometheus metrics, served as text at `GET /metrics`.
//!
//! Requests are counted by route pattern (`/customers/{code}`), never by raw path: a path
//! holds a customer code, which is personal data and unbounded. Unknown routes count as
//! `unmatched`. Each server (each replica) has its own registry: Prometheus scrapes every
//! replica and sums them.

use std::time::Duration;

use clientela_core::geo::LocationStatus;
use clientela_core::merge::MergeResult;
use clientela_core::wire::BatchResponse;
use clientela_store::{PoolUsage, WriteGroups};
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The route label of requests that matched no route.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Where a place was resolved: while writing a customer, or for `GET /geo/resolve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolutionSource {
    Write,
    Lookup,
}

/// Every metric the API exports, in one registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    customers_written: IntCounterVec,
    geo_resolutions: IntCounterVec,
    pool_connections: IntGaugeVec,
    pool_max: IntGaugeVec,
    /// SQLite only: commits of the writer, and the write transactions they held.
    write_commits: IntCounter,
    write_transactions: IntCounter,
    webhook_deliveries: IntCounterVec,
    webhooks_paused: IntGauge,
    webhook_lag_changes: IntGaugeVec,
    webhook_lag_seconds: GaugeVec,
    standby_reads: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    #[allow(
        clippy::expect_used,
        reason = "the names and labels are constants, valid in every build the tests pass"
    )]
    pub fn new() -> Metrics {
        Metrics::build().expect("valid metric definitions")
    }

    fn build() -> prometheus::Result<Metrics> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "clientela_http_requests_total",
                "HTTP requests answered, by method, route pattern and status.",
            ),
            &["method", "route", "status"],
        )?;
        let request_seconds = HistogramVec::new(
            HistogramOpts::new(
                "clientela_http_request_duration_seconds",
                "Time from a request's arrival to its answer, by method, route pattern and status.",
            )
            .buckets(vec![
                0.001, 0.002, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route", "status"],
        )?;
        let customers_written = IntCounterVec::new(
            Opts::new(
                "clientela_customers_written_total",
                "Customers sent to POST /customers, by result: created, updated, unchanged \
                 (nothing written) or failed (refused).",
            ),
            &["result"],
        )?;
        let geo_resolutions = IntCounterVec::new(
            Opts::new(
                "clientela_geo_resolutions_total",
                "Place resolutions by outcome (resolved, partial, unresolved, empty) and \
                 source (write: a created or updated customer; lookup: GET /geo/resolve).",
            ),
            &["status", "source"],
        )?;
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "clientela_db_pool_connections",
                "Database connections by pool and state (in_use, idle), read at scrape time.",
            ),
            &["pool", "state"],
        )?;
        let pool_max = IntGaugeVec::new(
            Opts::new(
                "clientela_db_pool_max_connections",
                "The most connections each database pool opens.",
            ),
            &["pool"],
        )?;
        let write_commits = IntCounter::new(
            "clientela_db_write_commits_total",
            "SQLite: commits of the writer, each of one or more write requests' transactions \
             (group commit); transactions / commits is the mean group size.",
        )?;
        let write_transactions = IntCounter::new(
            "clientela_db_write_transactions_total",
            "SQLite: write requests' transactions committed, alone or in a group.",
        )?;
        let webhook_deliveries = IntCounterVec::new(
            Opts::new(
                "clientela_webhook_deliveries_total",
                "Webhook batches sent by this replica, by outcome: delivered (2xx), retried \
                 (failed, to be sent again) or paused (failed for good: 410, or past \
                 webhooks.max_retry_age).",
            ),
            &["outcome"],
        )?;
        let webhooks_paused = IntGauge::new(
            "clientela_webhooks_paused",
            "Webhook subscriptions paused (until POST /webhooks/{id}/resume).",
        )?;
        let webhook_lag_changes = IntGaugeVec::new(
            Opts::new(
                "clientela_webhook_lag_changes",
                "Changes of the feed a webhook subscription has not been sent yet (counted up \
                 to 10000), on the replica delivering it.",
            ),
            &["webhook"],
        )?;
        let webhook_lag_seconds = GaugeVec::new(
            Opts::new(
                "clientela_webhook_lag_seconds",
                "Age of the oldest change a webhook subscription has not been sent yet, on \
                 the replica delivering it (0 when it is up to date).",
            ),
            &["webhook"],
        )?;
        let standby_reads = IntCounterVec::new(
            Opts::new(
                "clientela_standby_reads_total",
                "With database.read_url: reads answered by the standby, and by the primary \
                 (the standby had not replayed the client's commit token in time, or failed).",
            ),
            &["server"],
        )?;
        let build_info = IntGaugeVec::new(
            Opts::new(
                "clientela_build_info",
                "Always 1; the labels say which build is running.",
            ),
            &["version"],
        )?;
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(request_seconds.clone()))?;
        registry.register(Box::new(customers_written.clone()))?;
        registry.register(Box::new(geo_resolutions.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        registry.register(Box::new(write_commits.clone()))?;
        registry.register(Box::new(write_transactions.clone()))?;
        registry.register(Box::new(webhook_deliveries.clone()))?;
        registry.register(Box::new(webhooks_paused.clone()))?;
        registry.register(Box::new(webhook_lag_changes.clone()))?;
        registry.register(Box::new(webhook_lag_seconds.clone()))?;
        registry.register(Box::new(standby_reads.clone()))?;
        registry.register(Box::new(build_info))?;
        Ok(Metrics {
            registry,
            requests,
            request_seconds,
            customers_written,
            geo_resolutions,
            pool_connections,
            pool_max,
            write_commits,
            write_transactions,
            webhook_deliveries,
            webhooks_paused,
            webhook_lag_changes,
            webhook_lag_seconds,
            standby_reads,
        })
    }

    /// A read that could go to the standby: answered there (`true`) or by the primary.
    pub fn count_standby_read(&self, on_standby: bool) {
        let server = if on_standby { "standby" } else { "primary" };
        self.standby_reads.with_label_values(&[server]).inc();
    }

    /// A webhook batch sent: `delivered`, `retried` or `paused`.
    pub fn observe_webhook_delivery(&self, outcome: &str) {
        self.webhook_deliveries.with_label_values(&[outcome]).inc();
    }

    pub fn set_webhooks_paused(&self, paused: usize) {
        self.webhooks_paused
            .set(i64::try_from(paused).unwrap_or(i64::MAX));
    }

    /// How far behind the feed a subscription this replica delivers is.
    pub fn set_webhook_lag(&self, webhook: &str, changes: u64, seconds: f64) {
        self.webhook_lag_changes
            .with_label_values(&[webhook])
            .set(i64::try_from(changes).unwrap_or(i64::MAX));
        self.webhook_lag_seconds
            .with_label_values(&[webhook])
            .set(seconds);
    }

    /// Forgets a subscription's lag (it was removed, or another replica delivers it now).
    pub fn forget_webhook_lag(&self, webhook: &str) {
        let _ = self.webhook_lag_changes.remove_label_values(&[webhook]);
        let _ = self.webhook_lag_seconds.remove_label_values(&[webhook]);
    }

    /// One answered request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.request_seconds
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// A single-object POST that was applied.
    pub fn observe_single(&self, result: MergeResult, location: LocationStatus) {
        self.count_written(result_label(result), 1);
        if result != MergeResult::Unchanged {
            self.observe_resolution(location, ResolutionSource::Write);
        }
    }

    /// An array POST that was answered item by item.
    pub fn observe_batch(&self, response: &BatchResponse, written: &[LocationStatus]) {
        self.count_written("created", response.created);
        self.count_written("updated", response.updated);
        self.count_written("unchanged", response.unchanged);
        self.count_written("failed", response.failed);
        for status in written {
            self.observe_resolution(*status, ResolutionSource::Write);
        }
    }

    /// Customers refused as a whole request (an invalid single object, an atomic batch).
    pub fn observe_refused(&self, customers: usize) {
        self.count_written("failed", customers);
    }

    pub fn observe_resolution(&self, status: LocationStatus, source: ResolutionSource) {
        let status = match status {
            LocationStatus::Resolved => "resolved",
            LocationStatus::Partial => "partial",
            LocationStatus::Unresolved => "unresolved",
            LocationStatus::Empty => "empty",
        };
        let source = match source {
            ResolutionSource::Write => "write",
            ResolutionSource::Lookup => "lookup",
        };
        self.geo_resolutions
            .with_label_values(&[status, source])
            .inc();
    }

    /// The Prometheus text exposition, with the pool gauges and the store's group commit
    /// counts read now.
    pub fn render(&self, pools: &[PoolUsage], groups: Option<WriteGroups>) -> String {
        if let Some(groups) = groups {
            // The store counts; the counters catch up with it (they only ever grow).
            let catch_up = |counter: &IntCounter, total: u64| {
                counter.inc_by(total.saturating_sub(counter.get()));
            };
            catch_up(&self.write_commits, groups.commits);
            catch_up(&self.write_transactions, groups.transactions);
        }
        for usage in pools {
            let in_use = i64::from(usage.open.saturating_sub(usage.idle));
            self.pool_connections
                .with_label_values(&[usage.pool, "in_use"])
                .set(in_use);
            self.pool_connections
                .with_label_values(&[usage.pool, "idle"])
                .set(i64::from(usage.idle));
            self.pool_max
                .with_label_values(&[usage.pool])
                .set(i64::from(usage.max));
        }
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::error!(%error, "metrics could not be encoded");
        }
        String::from_utf8_lossy(&text).into_owned()
    }

    fn count_written(&self, result: &str, count: usize) {
        if count > 0 {
            self.customers_written
                .with_label_values(&[result])
                .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
        }
    }
}

fn result_label(result: MergeResult) -> &'static str {
    match result {
        MergeResult::Created => "created",
        MergeResult::Updated => "updated",
        MergeResult::Unchanged => "unchanged",
    }
}

/// The method label: the standard methods as they are, anything else as `other`, so a client
/// cannot grow the label set.
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
