//! `GET /changes`: the change feed, for a downstream tool to follow every committed change
//! exactly once, in commit order (the guarantees and their argument are in
//! `clientela_store::changes`).
//!
//! A follower calls with the `next` of the page before; with `wait`, an empty page is held
//! until a change commits or the wait is over (long poll). This replica's own writes wake the
//! waiters at once ([`FeedSignal`]); writes through other replicas are seen by polling the
//! database every [`POLL`].

use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, get, web};
use clientela_core::wire::Problem;
use clientela_store::Cursor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::feed::ChangeItem;
use crate::http::authorized::{Authorized, Read};
use crate::http::commit_token;
use crate::openapi::{DatabaseUnavailable, KeyRefused, NeedsRead};
use crate::state::AppState;

/// How often a waiting request looks for changes other replicas committed.
const POLL: Duration = Duration::from_millis(250);
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;
const MAX_WAIT_SECONDS: u64 = 30;
/// The `after` that means "the newest change committed so far".
const NOW: &str = "now";

pub fn configure(config: &mut ServiceConfig) {
    config.service(get_changes);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// The `next` of the previous page; `now` for after the newest change visible now; from
    /// the oldest change kept when absent.
    after: Option<String>,
    /// Items per page, 1 to 1000.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<usize>,
    /// Seconds to wait for a change when there is none yet, 0 to 30.
    #[param(minimum = 0, maximum = 30, default = 0)]
    wait: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesPage {
    items: Vec<ChangeItem>,
    /// Where the next call starts (`after`); the `after` sent when the page is empty.
    next: Option<String>,
}

/// Follow every change of every customer.
///
/// Changes come in commit order, each committed change exactly once, across replicas: a
/// follower that always sends the `next` of the last page sees every change once and skips
/// none. A POST that changes nothing adds nothing; a DELETE adds a `delete` item with only
/// the code, and the erased customer's earlier items leave the feed. Changes older than
/// `changes.retention` are removed: a cursor before them is answered 410 with the cursor to
/// resume from after copying every customer again (`GET /customers`).
#[utoipa::path(
    tag = "changes",
    params(
        ChangesParams,
        ("X-Clientela-Commit" = Option<String>, Header,
            description = "With `database.read_url`: the commit token a write's answer carried; the read then sees that write (docs/postgres.md)"),
    ),
    responses(
        (status = 200, description = "The changes after the cursor (possibly none)", body = ChangesPage),
        (status = 400, description = "A cursor this service did not give out, or limit / wait out of range", body = Problem, content_type = "application/problem+json"),
        NeedsRead,
        (status = 410, description = "The cursor is older than what retention kept: copy every customer again, then resume from the `resume` cursor of this problem document; or (type `cursor-forked`) it is from a database history that forked at a failover: resume from `resume`, the fork point", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["read"])),
)]
#[get("/changes")]
pub async fn get_changes(
    state: web::Data<AppState>,
    params: web::Query<ChangesParams>,
    request: HttpRequest,
    _: Authorized<Read>,
) -> Result<HttpResponse, ApiError> {
    let token = commit_token::presented(&request)?;
    let after = match params.after.as_deref() {
        // After the newest change visible now: a follower that has just copied every
        // customer, or a screen that only shows what is new.
        Some(NOW) => Some(
            state
                .read(|store| store.changes_head())
                .await?
                .unwrap_or_default(),
        ),
        Some(text) => Some(
            text.parse::<Cursor>()
                .map_err(|bad| ApiError::BadRequest(bad.to_string()))?,
        ),
        None => None,
    };
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}, not {limit}"
        )));
    }
    let wait = params.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECONDS {
        return Err(ApiError::BadRequest(format!(
            "wait must be 0 to {MAX_WAIT_SECONDS} seconds, not {wait}"
        )));
    }
    let deadline = Instant::now() + Duration::from_secs(wait);
    loop {
        // Listen before reading, so a commit between the read and the wait still wakes us.
        let woken = state.feed.next_change();
        let changes = state
            .read_recent(token, move |store| store.changes(after, limit))
            .await?;
        let now = Instant::now();
        if !changes.is_empty() || now >= deadline {
            let next = changes
                .last()
                .map(|change| change.cursor)
                .or(after)
                .map(|cursor| cursor.to_string());
            let items = changes.into_iter().map(ChangeItem::from).collect();
            return Ok(HttpResponse::Ok().json(ChangesPage { items, next }));
        }
        let _ = tokio::time::timeout((deadline - now).min(POLL), woken).await;
    }
}
