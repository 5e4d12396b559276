//! Logs through `tracing`: human-readable text by default, one JSON object per line with
//! `log.format = "json"`. `RUST_LOG` overrides `log.level`.
//!
//! Personal data stays out of logs at info level: requests are logged by method, path
//! (which may hold a customer code) and status, never with bodies or metadata.

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(settings.level.as_str()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests) is harmless; the first subscriber stays.
    let _ = match settings.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
