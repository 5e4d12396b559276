//! The server: [`run_with`] serves the app on a listener the caller bound (tests bind
//! `127.0.0.1:0` and talk to the real thing), and [`app`] is the request pipeline, every
//! layer in the order a request meets it.

use std::net::TcpListener;
use std::time::Duration;

use actix_service::{IntoServiceFactory, ServiceFactoryExt};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::rt::net::TcpStream;
use actix_web::{App, web};

use crate::http::connection::{self, HeadDeadlines, Watched};
use crate::http::refusals::{self, QueryParameters};
use crate::http::{access_log, commit_token, request_id};
use crate::routes;
use crate::state::AppState;

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
    let shared = Shared::new(state);
    let app = move || app(shared.clone());
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

/// What the app of every worker shares: the handlers' state, the OpenAPI document as served,
/// and the query parameters each route takes (read from that document).
#[derive(Clone)]
struct Shared {
    state: web::Data<AppState>,
    document: web::Data<routes::docs::OpenApiJson>,
    query_parameters: web::Data<QueryParameters>,
}

impl Shared {
    fn new(state: AppState) -> Shared {
        let openapi = routes::document();
        let query_parameters = web::Data::new(QueryParameters::from_document(&openapi));
        let document = web::Data::new(routes::docs::OpenApiJson(
            openapi
                .to_json()
                .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}")),
        ));
        Shared {
            state: web::Data::new(state),
            document,
            query_parameters,
        }
    }
}

/// The request pipeline. A request meets the layers in the order numbered here; actix runs
/// the last `wrap` first, so they are written from the innermost up.
fn app(
    shared: Shared,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(shared.state)
        .app_data(shared.document)
        .app_data(shared.query_parameters)
        // How extractors refuse: every refusal is a problem document (`crate::error`).
        .app_data(routes::query_config())
        .app_data(routes::path_config())
        .app_data(routes::json_config())
        // 10. The handlers, one module per resource; anything else is a 404 problem.
        .configure(routes::configure_app)
        .default_service(web::to(routes::not_found))
        // 10. A write's answer carries its commit token when reads may go to a standby.
        .wrap(from_fn(commit_token::add_commit_token))
        // 9. Answers compressed when the client asks (`Accept-Encoding: gzip` or `zstd`).
        .wrap(actix_web::middleware::Compress::default())
        // 8. A query parameter the matched route does not take: 400 naming it.
        .wrap(from_fn(refusals::refuse_unknown_query_parameters))
        // 7. A path that is not UTF-8 once percent-decoded: 400.
        .wrap(from_fn(refusals::refuse_undecodable_path))
        // 6. `CONNECT` and `Upgrade`: 400, connection closed, before any body is read.
        .wrap(from_fn(refusals::refuse_protocol_switches))
        // 5. Headers over `server.max_header_bytes`: 431.
        .wrap(from_fn(refusals::limit_headers))
        // 4. Counted and timed in `/metrics`, and one access-log line when answered (so the
        //    refusals above are counted and logged too).
        .wrap(from_fn(access_log::observe_request))
        // 3. The tracing span every log line of the request carries (never its path).
        .wrap(tracing_actix_web::TracingLogger::<access_log::RequestSpan>::new())
        // 2. The request ID, taken from `X-Request-Id` or made, and sent back.
        .wrap(from_fn(request_id::assign_request_id))
        // 1. The request marked in progress on its connection's head clock.
        .wrap(from_fn(connection::mark_requests))
}
