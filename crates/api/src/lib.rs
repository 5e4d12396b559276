//! clientela-api: the HTTP API (actix-web) over the store, plus its command line.
//!
//! [`run`] starts the server on a listener the caller bound, so tests bind `127.0.0.1:0`
//! and talk to the real thing.

pub mod auth;
pub mod body;
pub mod cli;
pub mod config;
pub mod error;
pub mod http;
pub mod ingest;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod rate_limit;
mod routes;
pub mod webhooks;

pub use routes::changes::FeedSignal;
pub use routes::document as openapi_document;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_service::{IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::rt::net::TcpStream;
use actix_web::{App, web};
use clientela_core::geo::Resolver;
use clientela_store::{Store, StoreOptions};

use crate::auth::KeyChecker;
use crate::http::connection::{self, HeadDeadlines, Watched};
use crate::http::refusals::{self, QueryParameters};
use crate::http::{access_log, request_id};
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
    /// Slots for large request bodies: how many may be read and parsed at once
    /// ([`limits::LARGE_BODY_SLOTS`]).
    pub large_bodies: Arc<tokio::sync::Semaphore>,
    /// Memory for decoding compressed bodies without a large-body slot
    /// ([`http::payload::DECODE_BUDGET_BYTES`]).
    pub decode_budget: Arc<tokio::sync::Semaphore>,
    /// Requests that write: at most this many hold a blocking thread at once (as many as
    /// the store has write connections), so writers queued behind a lock wait here, on the
    /// async workers, and never take the blocking threads reads need.
    pub write_slots: Arc<tokio::sync::Semaphore>,
    /// How long a write waits for a slot before answering 503 (`database.connect_timeout`).
    pub write_slot_timeout: Duration,
    /// Wakes `GET /changes` requests waiting for a change when this replica commits one.
    pub feed: Arc<routes::changes::FeedSignal>,
    /// The webhook settings (`[webhooks]`).
    pub webhooks: webhooks::WebhookOptions,
}

impl AppState {
    /// The state with every knob at its default (the settings' defaults are these).
    pub fn new(store: Store, resolver: Arc<Resolver>) -> AppState {
        AppState {
            store,
            resolver,
            keys: Arc::new(KeyChecker::default()),
            strict_geo: false,
            body_limit: limits::DEFAULT_BODY_LIMIT,
            body_timeout: limits::DEFAULT_BODY_TIMEOUT,
            max_header_bytes: limits::DEFAULT_MAX_HEADER_BYTES,
            metrics: Arc::new(Metrics::new()),
            large_bodies: Arc::new(tokio::sync::Semaphore::new(limits::LARGE_BODY_SLOTS)),
            decode_budget: Arc::new(http::payload::decode_budget()),
            write_slots: Arc::new(tokio::sync::Semaphore::new(
                StoreOptions::DEFAULT_WRITE_POOL_SIZE as usize,
            )),
            write_slot_timeout: StoreOptions::DEFAULT_CONNECT_TIMEOUT,
            feed: Arc::default(),
            webhooks: webhooks::WebhookOptions::default(),
        }
    }

    /// Reads the store on a blocking thread (never on the async workers); store errors map
    /// to HTTP once, here.
    pub async fn read<T, E>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, error::ApiError>
    where
        T: Send + 'static,
        E: Into<error::ApiError> + Send + 'static,
    {
        let store = self.store.clone();
        web::block(move || read(&store)).await?.map_err(Into::into)
    }

    /// Writes to the store: holds one of the write slots for the blocking call (503 when
    /// none frees up in time), and wakes the change feed's waiting followers once it is done.
    pub async fn write<T, E>(
        &self,
        write: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, error::ApiError>
    where
        T: Send + 'static,
        E: Into<error::ApiError> + Send + 'static,
    {
        let slot = self.write_slot().await?;
        let store = self.store.clone();
        let outcome = web::block(move || write(&store)).await;
        drop(slot);
        self.feed.changed();
        outcome?.map_err(Into::into)
    }

    /// Waits (asynchronously, up to `write_slot_timeout`) for one of the write slots; the
    /// request holds it until its write is done. 503 when none frees up in time: the writes
    /// before it are stuck (a lock held elsewhere, a database that does not answer).
    pub async fn write_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, error::ApiError> {
        actix_web::rt::time::timeout(
            self.write_slot_timeout,
            self.write_slots.clone().acquire_owned(),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| {
            error::ApiError::Unavailable("every write slot stayed busy: writes are waiting".into())
        })
    }
}

/// Server knobs that are not request handling: workers, shutdown and connection limits.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    pub workers: Option<usize>,
    /// How long in-flight requests get to finish after SIGTERM or Ctrl-C.
    pub shutdown_timeout: Duration,
    /// How long a client has to send each request's line and headers, on every request of a
    /// connection (slowloris defence; see `http::connection`).
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
    let openapi = routes::document();
    let query_parameters = web::Data::new(QueryParameters::from_document(&openapi));
    let document = web::Data::new(routes::docs::OpenApiJson(
        openapi
            .to_json()
            .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}")),
    ));
    let app = move || {
        App::new()
            .app_data(data.clone())
            .app_data(document.clone())
            .app_data(query_parameters.clone())
            .app_data(routes::query_config())
            .app_data(routes::path_config())
            .app_data(routes::json_config())
            // The last wrap runs first: the connection's head clock, the request ID, then
            // its span, then metrics inside it, then the refusals that need no handler
            // (header size, protocol switches, paths, query parameters), so refused
            // requests are counted and logged too. Innermost, responses are compressed when
            // the client asks (`Accept-Encoding: gzip` or `zstd`; see docs/api.md).
            .wrap(actix_web::middleware::Compress::default())
            .wrap(from_fn(refusals::refuse_unknown_query_parameters))
            .wrap(from_fn(refusals::refuse_undecodable_path))
            .wrap(from_fn(refusals::refuse_protocol_switches))
            .wrap(from_fn(refusals::limit_headers))
            .wrap(from_fn(access_log::observe_request))
            .wrap(tracing_actix_web::TracingLogger::<access_log::RequestSpan>::new())
            .wrap(from_fn(request_id::assign_request_id))
            .wrap(from_fn(connection::mark_requests))
            .configure(routes::configure_app)
            .default_service(web::to(routes::not_found))
    };
    // What `HttpServer::listen` does, with one addition: each connection is [`Watched`], so
    // every request head on it, not only the first, must arrive in time. Its bytes pass
    // untouched (see `http::connection`).
    let deadlines = HeadDeadlines {
        head: options.request_head_timeout,
        keep_alive: options.keep_alive,
    };
    let address = listener.local_addr()?;
    let builder = actix_server::Server::build();
    let shutdown_signal = builder.graceful_shutdown_signal();
    let mut builder = builder
        .shutdown_timeout(options.shutdown_timeout.as_secs())
        .max_concurrent_connections(options.max_connections.max(1))
        .worker_max_blocking_threads(options.blocking_threads.max(1));
    if let Some(workers) = options.workers {
        builder = builder.workers(workers.max(1));
    }
    let builder = builder.listen("clientela-api", listener, move || {
        let shutdown_signal = shutdown_signal.clone();
        let http = actix_http::HttpService::build()
            .graceful_shutdown_signal(move || {
                let signal = shutdown_signal.clone();
                async move { signal.notified().await }
            })
            .keep_alive(if options.keep_alive.is_zero() {
                actix_web::http::KeepAlive::Disabled
            } else {
                actix_web::http::KeepAlive::Timeout(options.keep_alive)
            })
            .client_request_timeout(options.request_head_timeout)
            .client_disconnect_timeout(options.disconnect_timeout)
            .local_addr(address)
            .on_connect_ext(|connection: &Watched<TcpStream>, data| {
                data.insert(connection.clock());
            })
            .h1(actix_service::map_config(
                app()
                    .into_factory()
                    .map_err(|error: actix_web::Error| error.error_response()),
                |_| actix_web::dev::AppConfig::default(),
            ));
        actix_service::fn_service(move |stream: TcpStream| async move {
            // As `HttpService::tcp` does: a response written in two parts (a compressed or
            // streamed body after its head) must not wait for the client's delayed ACK
            // (Nagle's algorithm: 40 ms a response).
            let _ = stream.set_nodelay(true);
            let peer = stream.peer_addr().ok();
            Ok::<_, actix_http::error::DispatchError>((Watched::new(stream, deadlines), peer))
        })
        .and_then(http)
    })?;
    Ok(builder.run())
}
