//! clientela-api: the HTTP API (actix-web) over the store, plus its command line.
//!
//! [`run`] starts the server on a listener the caller bound, so tests bind `127.0.0.1:0`
//! and talk to the real thing.

pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod ingest;
pub mod limits;
pub mod logging;
pub mod metrics;
mod middleware;
pub mod openapi;
pub mod rate_limit;
mod routes;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use clientela_core::geo::Resolver;
use clientela_store::Store;

use crate::auth::KeyChecker;
use crate::metrics::Metrics;

/// What every request handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub resolver: Arc<Resolver>,
    pub keys: Arc<KeyChecker>,
    /// Refuse unresolvable places (`geo.strict`); `?strict=true` asks for it per request.
    pub strict_geo: bool,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// How long a client has to send the whole body.
    pub body_timeout: Duration,
    /// Largest total of header names and values, in bytes.
    pub max_header_bytes: usize,
    /// This server's Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Wakes `GET /changes` requests waiting for a change when this replica commits one.
    pub feed: Arc<routes::changes::FeedSignal>,
}

impl AppState {
    pub fn new(store: Store, resolver: Arc<Resolver>) -> AppState {
        AppState {
            store,
            resolver,
            keys: Arc::new(KeyChecker::default()),
            strict_geo: false,
            body_limit: config::DEFAULT_BODY_LIMIT,
            body_timeout: Duration::from_secs(60),
            max_header_bytes: 16 * 1024,
            metrics: Arc::new(Metrics::new()),
            feed: Arc::default(),
        }
    }
}

/// Server knobs that are not request handling: workers, shutdown and connection limits.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    pub workers: Option<usize>,
    /// How long in-flight requests get to finish after SIGTERM or Ctrl-C.
    pub shutdown_timeout: Duration,
    /// How long a client has to send the request line and headers (slowloris defence).
    pub request_head_timeout: Duration,
    /// How long an idle keep-alive connection stays open (zero: closed after each response).
    pub keep_alive: Duration,
    /// How long closing a connection may take before it is dropped.
    pub disconnect_timeout: Duration,
    /// Open connections per worker; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Threads per worker for blocking work (every database call). Each holds at most one
    /// database connection, so more threads than the pool has connections only wait. The
    /// actix default, 512 divided by the cores, would let a database outage (every request
    /// waiting `connect_timeout` for a connection) pile up hundreds of threads. The API sets
    /// it from the pool size.
    pub blocking_threads: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            workers: None,
            shutdown_timeout: Duration::from_secs(30),
            request_head_timeout: Duration::from_secs(5),
            keep_alive: Duration::from_secs(5),
            disconnect_timeout: Duration::from_secs(1),
            max_connections: 10_000,
            blocking_threads: 16,
        }
    }
}

/// Builds the server on `listener`. Awaiting the returned [`Server`] runs it until SIGTERM
/// or Ctrl-C, after which in-flight requests finish (up to the shutdown timeout).
pub fn run(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    run_with(listener, state, ServerOptions::default())
}

pub fn run_with(
    listener: TcpListener,
    state: AppState,
    options: ServerOptions,
) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(routes::query_config())
            .app_data(routes::path_config())
            // The last wrap runs first: request ID, then its span, then metrics inside it,
            // then the header limit (so refused requests are counted and logged too).
            .wrap(from_fn(limits::limit_headers))
            .wrap(from_fn(middleware::observe_request))
            .wrap(tracing_actix_web::TracingLogger::<middleware::RequestSpan>::new())
            .wrap(from_fn(middleware::assign_request_id))
            .configure(routes::configure)
            .default_service(web::to(routes::not_found))
    })
    .shutdown_timeout(options.shutdown_timeout.as_secs())
    .client_request_timeout(options.request_head_timeout)
    .client_disconnect_timeout(options.disconnect_timeout)
    .keep_alive(if options.keep_alive.is_zero() {
        actix_web::http::KeepAlive::Disabled
    } else {
        actix_web::http::KeepAlive::Timeout(options.keep_alive)
    })
    .max_connections(options.max_connections.max(1))
    .worker_max_blocking_threads(options.blocking_threads.max(1))
    .listen(listener)?;
    if let Some(workers) = options.workers {
        server = server.workers(workers.max(1));
    }
    Ok(server.run())
}
