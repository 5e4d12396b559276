//! clientela-api: the HTTP API (actix-web) over the store, plus its command line.
//!
//! The path of a request, outermost first: `server` (the listener, the connection and the
//! middleware, in [`server::run_with`]), `http` (each layer: the connection's deadlines, the
//! request ID, the access log, the refusals, reading a body), `auth`, `routes` (handlers
//! only), `state` (the one way a handler reaches the store), `ingest` (what a POST does),
//! `error` (the one mapping to HTTP). Beside them: `webhooks` (the change feed pushed to
//! subscribers), `metrics`, `config`, `logging`, `openapi`, `cli`.

pub mod auth;
pub mod body;
pub mod cli;
pub mod config;
mod deadline;
pub mod error;
pub mod feed;
pub mod http;
pub mod ingest;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod rate_limit;
pub mod readiness;
mod routes;
pub mod server;
pub mod state;
pub mod webhooks;

pub use feed::FeedSignal;
pub use routes::document as openapi_document;
pub use server::{ServerOptions, run, run_with};
pub use state::AppState;
