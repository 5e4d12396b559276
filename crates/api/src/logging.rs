//! Logs through `tracing`: human-readable text by default, one JSON object per line with
//! `log.format = "json"`. `RUST_LOG` overrides `log.level`.
//!
//! Personal data stays out of logs: requests are logged by method, path (which may hold a
//! customer code; codes may be logged) and status, never with bodies, query strings (which
//! may hold place names) or the details of a client error (which may echo a value sent).
//! API keys are never logged at any level; only a key's public id is. Server errors (5xx)
//! are logged with their detail by [`crate::error`].

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::{Level, RootSpanBuilder, root_span};
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

/// The span of each request, without the parts that may carry personal data: the query
/// string is dropped from `http.target`, and an error is recorded by status alone (the
/// default builder records the error's message, which may quote a customer's values).
#[derive(Debug)]
pub struct PrivateRootSpan;

impl RootSpanBuilder for PrivateRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let span = root_span!(level = Level::INFO, request);
        span.record("http.target", request.path());
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("http.status_code", i32::from(status.as_u16()));
        span.record(
            "otel.status_code",
            if status.is_server_error() {
                "ERROR"
            } else {
                "OK"
            },
        );
    }
}
