//! The access log and the request metrics: the tracing span every line of a request carries
//! (method, route pattern, status, request ID, key id; never the path), one line per request
//! answered, with refused requests (4xx) logged at most [`REFUSED_LINES_PER_SECOND`] lines a
//! second, and every request counted and timed in `/metrics` by route pattern.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

use crate::http::request_id::RequestId;
use crate::metrics::{UNMATCHED_ROUTE, method_label};
use crate::state::AppState;

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

/// The root span of every request: method, route pattern, status, the request ID and the
/// id of the API key that made it (never its secret), which every event logged while
/// handling the request inherits. The path itself is never logged: it may hold a customer
/// code (`/customers/{code}`, `/suppressions/{code}`), and a code that was erased or
/// suppressed must not stay behind in the logs; the route pattern says which operation ran.
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
        let span = tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.status_code = tracing::field::Empty,
            request_id = %request_id,
            key_id = tracing::field::Empty,
        );
        span
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
    let now = started + elapsed;
    if !status.is_client_error() {
        // A flood that ended inside its second has no next refused line to carry its count.
        log_left_out(REFUSED_LINES.take_overdue(now));
    }
    if QUIET_ROUTES.contains(&route.as_str()) {
        tracing::debug!(status = status.as_u16(), elapsed_ms, "{method} {route}");
    } else if !status.is_client_error() {
        tracing::info!(status = status.as_u16(), elapsed_ms, "{method} {route}");
    } else if let Some(not_logged) = REFUSED_LINES.admit(now) {
        log_left_out(not_logged);
        tracing::info!(status = status.as_u16(), elapsed_ms, "{method} {route}");
    }
    outcome
}

/// Logs how many refused requests were left out of the log, if any were.
fn log_left_out(not_logged: u64) {
    if not_logged > 0 {
        tracing::info!(
            not_logged,
            "refused requests left out of the log since the last line"
        );
    }
}

/// Logs the count of refused requests not logged yet; the server calls it as it stops, so a
/// flood in its last second is not lost from the log.
pub fn log_refused_left_out() {
    log_left_out(REFUSED_LINES.take_pending());
}

/// Refused requests (4xx) logged per second at most; the rest are counted, and the count is
/// logged with the next refused line, or with the first other request once the second is
/// over, or as the server stops. So a flood of bad requests cannot flood the log, and the
/// log still says how big it was. Every one is counted in `/metrics` too.
const REFUSED_LINES_PER_SECOND: u32 = 20;

static REFUSED_LINES: LineBudget = LineBudget::new(REFUSED_LINES_PER_SECOND);

/// A budget of log lines per second.
#[derive(Debug)]
struct LineBudget {
    per_second: u32,
    /// Whether lines were left out and not reported yet, so every other request need not
    /// take the lock to find out.
    pending: AtomicBool,
    state: Mutex<BudgetState>,
}

#[derive(Debug)]
struct BudgetState {
    window_start: Option<Instant>,
    used: u32,
    not_logged: u64,
}

impl LineBudget {
    const fn new(per_second: u32) -> LineBudget {
        LineBudget {
            per_second,
            pending: AtomicBool::new(false),
            state: Mutex::new(BudgetState {
                window_start: None,
                used: 0,
                not_logged: 0,
            }),
        }
    }

    /// `Some(lines left out before this one)` when a line may be logged now, else `None`
    /// (and the line is counted as left out).
    fn admit(&self, now: Instant) -> Option<u64> {
        let Ok(mut state) = self.state.lock() else {
            return Some(0);
        };
        if state.second_is_over(now) {
            state.window_start = Some(now);
            state.used = 0;
        }
        if state.used >= self.per_second {
            state.not_logged += 1;
            self.pending.store(true, Ordering::Relaxed);
            return None;
        }
        state.used += 1;
        Some(self.take(&mut state))
    }

    /// The lines left out in a second that is over, taken so they are logged once; 0 while
    /// the second lasts (its next refused line will carry them).
    fn take_overdue(&self, now: Instant) -> u64 {
        if !self.pending.load(Ordering::Relaxed) {
            return 0;
        }
        match self.state.lock() {
            Ok(mut state) if state.second_is_over(now) => self.take(&mut state),
            _ => 0,
        }
    }

    /// Every line left out so far, taken.
    fn take_pending(&self) -> u64 {
        self.state
            .lock()
            .map_or(0, |mut state| self.take(&mut state))
    }

    /// The count of lines left out, reset with its flag.
    fn take(&self, state: &mut BudgetState) -> u64 {
        self.pending.store(false, Ordering::Relaxed);
        std::mem::take(&mut state.not_logged)
    }
}

impl BudgetState {
    fn second_is_over(&self, now: Instant) -> bool {
        self.window_start
            .is_none_or(|start| now.duration_since(start) >= Duration::from_secs(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_budget_admits_its_lines_per_second_and_counts_the_rest() {
        let budget = LineBudget::new(2);
        let start = Instant::now();
        assert_eq!(budget.admit(start), Some(0));
        assert_eq!(budget.admit(start), Some(0));
        assert_eq!(budget.admit(start), None);
        assert_eq!(budget.admit(start), None);
        let later = start + Duration::from_secs(1);
        assert_eq!(
            budget.admit(later),
            Some(2),
            "the next line says how many were left out"
        );
        assert_eq!(budget.admit(later), Some(0));
    }

    #[test]
    fn lines_left_out_in_a_flood_that_ends_inside_its_second_are_still_reported() {
        let budget = LineBudget::new(1);
        let start = Instant::now();
        assert_eq!(budget.admit(start), Some(0));
        assert_eq!(budget.admit(start), None);
        assert_eq!(budget.admit(start), None);
        assert_eq!(
            budget.take_overdue(start + Duration::from_millis(500)),
            0,
            "within the second, the next refused line will carry the count"
        );
        assert_eq!(
            budget.take_overdue(start + Duration::from_secs(1)),
            2,
            "once the second is over, the next request of any kind reports it"
        );
        assert_eq!(budget.take_overdue(start + Duration::from_secs(2)), 0);
        assert_eq!(budget.admit(start + Duration::from_secs(2)), Some(0));
        assert_eq!(budget.admit(start + Duration::from_secs(2)), None);
        assert_eq!(budget.take_pending(), 1, "as the server stops, all of it");
    }
}
