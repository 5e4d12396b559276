//! Logs through `tracing`: human-readable text by default, one JSON object per line with
//! `log.format = "json"`. `RUST_LOG` overrides `log.level`.
//!
//! Personal data stays out of logs: requests are logged by method, route pattern
//! (`/customers/{code}`, never the path with the code in it), status, request ID and the API
//! key's id (the request span in `crate::http::access_log`), never with bodies, query strings
//! (which may hold place names) or the details of a client error (which may echo a value
//! sent). So no customer code is logged, an erased or suppressed one included. API keys are
//! never logged at any level; only a key's public id is. Server errors (5xx) are logged with
//! their detail by [`crate::error`].
//!
//! What a client sends cannot make the log large: no path is logged, refused requests (4xx)
//! are logged up to a number of lines per second (`crate::http::access_log`), and client errors are
//! never logged at ERROR.
//! actix-http logs every malformed or cut-off request (`stream error: …`) at ERROR from its
//! HTTP/1 dispatcher; those are the client's errors, answered with 4xx or a closed
//! connection, so that module is silenced unless `RUST_LOG` asks for it.

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// actix-http's HTTP/1 dispatcher, which logs client errors (malformed requests, timeouts,
/// resets) at ERROR.
const QUIET_DISPATCHER: &str = "actix_http::h1::dispatcher=off";

pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!("{},{QUIET_DISPATCHER}", settings.level.as_str()))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a file or a pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    // A second init (tests) is harmless; the first subscriber stays.
    let _ = match settings.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
