//! What wraps every request, outermost first: the request ID, the tracing span that carries
//! it into every log line, and the metrics and access log.
//!
//! A client may send `X-Request-Id` (1 to 128 visible ASCII characters) to follow its request
//! through our logs; anything else, or none, gets a fresh UUID v4. Either way the response
//! carries the ID back, errors included.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

use crate::AppState;
use crate::metrics::{UNMATCHED_ROUTE, method_label};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest `X-Request-Id` taken from a client.
const MAX_REQUEST_ID_LEN: usize = 128;

/// The request's ID, in its extensions from the outermost middleware on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Takes the client's `X-Request-Id` or makes one, and returns it on the response.
pub async fn assign_request_id(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|text| is_acceptable_id(text))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    request.extensions_mut().insert(RequestId(id.clone()));
    // Handlers' errors arrive here as responses already (problem documents), so they get the
    // header too. (Holding a clone of the request across the call is not an option: routing
    // needs it unshared.)
    let mut response = next.call(request).await?.map_into_boxed_body();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

/// A UUID v4 from the thread's generator, not one `getrandom` system call per request (an
/// ID needs to be unique, not secret).
fn new_request_id() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

/// The request's route pattern (`/customers/{code}`), or [`UNMATCHED_ROUTE`]. Middleware asks
/// before routing, when actix matches the path against every route again (a regular
/// expression each), so the first answer is kept in the request's extensions.
fn route_of(request: &ServiceRequest) -> String {
    if let Some(MatchedRoute(route)) = request.extensions().get::<MatchedRoute>() {
        return route.clone();
    }
    let route = request
        .match_pattern()
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
    request.extensions_mut().insert(MatchedRoute(route.clone()));
    route
}

#[derive(Debug, Clone)]
struct MatchedRoute(String);

/// Visible ASCII only, so an ID cannot forge log lines or break a header.
fn is_acceptable_id(text: &str) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic())
}

/// The root span of every request: method, route pattern, path, status and the request ID,
/// which every event logged while handling the request inherits.
#[derive(Debug)]
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        let route = route_of(request);
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %request.path(),
            http.status_code = tracing::field::Empty,
            request_id = %request_id,
        )
    }

    /// The status alone: the default builder also records the error's message and debug
    /// form, and a client error's may quote the values a customer was sent with (personal
    /// data; see `crate::logging`). Server errors are logged with their detail by
    /// `crate::error`.
    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("http.status_code", i32::from(status.as_u16()));
    }
}

/// Routes probes and scrapers call every few seconds: logged at debug, not info.
const QUIET_ROUTES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Counts and times every request by route pattern and status, and logs one line for it
/// (inside the request's span, so with its ID).
pub async fn observe_request(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = route_of(&request);
    let metrics = request
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone());
    let outcome = next.call(request).await;
    let status = match &outcome {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    let elapsed = started.elapsed();
    if let Some(metrics) = metrics {
        metrics.observe_request(method, &route, status.as_u16(), elapsed);
    }
    let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    if QUIET_ROUTES.contains(&route.as_str()) {
        tracing::debug!(status = status.as_u16(), elapsed_ms, "{method} {route}");
    } else {
        tracing::info!(status = status.as_u16(), elapsed_ms, "{method} {route}");
    }
    outcome
}
