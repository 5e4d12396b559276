//! Webhooks: the change feed pushed to subscribers, signed, in order, retried.
//!
//! A subscription (`POST /webhooks`, admin scope) names a URL, the events it wants (`upsert`,
//! `delete`) and optionally the fields whose changes it cares about. Each has its own cursor
//! into the change feed (`GET /changes`), stored in the database; [`deliverer`] sends what
//! follows it and moves it only once the receiver has answered 2xx.
//!
//! # Guarantees
//! - **In order, at least once.** Changes go in feed order, in batches of up to
//!   `webhooks.batch_size` (a JSON body `{"items": [...]}`, each item as `GET /changes` shows
//!   it), one batch in flight per subscription. A batch is recorded (its message id and last
//!   cursor) before it is sent, so after a crash the next deliverer sends the same changes
//!   under the same `webhook-id`: receivers deduplicate on it.
//! - **Current data only.** A batch's customers are read just before it goes, while the
//!   batch before it is in flight (its feed rows may be read further ahead, never its
//!   customers), so a customer erased before then is not sent (the erasure removes its
//!   earlier feed items, and a batch drops the upserts of a customer no longer there).
//! - **One deliverer per subscription across replicas**, by a lease in the database
//!   (`clientela_store::webhooks`): renewed while delivering, taken over within [`LEASE`] of
//!   its holder dying.
//! - **Retries** on a timeout, a connection error or any answer but 2xx and 410: exponential
//!   backoff from `webhooks.first_retry_ms`, doubling up to [`MAX_RETRY_INTERVAL`], with
//!   jitter; a `Retry-After` is honoured. Past `webhooks.max_retry_age` of failing, or at once
//!   on 410 Gone, the subscription pauses with its reason until `POST /webhooks/{id}/resume`.
//! - **Signed** by the Standard Webhooks convention ([`signing`]).
//! - **No requests to private networks** unless `webhooks.allow_private_networks`: the
//!   address a URL resolves to is checked when connecting ([`address`]).

pub mod address;
mod attempt;
pub mod deliverer;
mod filter;
mod plan;
mod shared;
pub mod signing;
mod task;

use std::time::Duration;

use clientela_core::Timestamp;
use clientela_store::{Cursor, NewWebhook, Store, Webhook};
use rand::RngCore;

use crate::error::ApiError;

/// How long a deliverer's lease on a subscription lasts without renewal: a replica that dies
/// leaves its subscriptions to the others after this long.
pub const LEASE: Duration = Duration::from_secs(15);

/// The longest wait between two attempts of one batch.
pub const MAX_RETRY_INTERVAL: Duration = Duration::from_secs(600);

/// How long a receiver has to accept the connection, and to answer the whole request.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The most of a receiver's answer that is read.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The webhook settings (`[webhooks]`), as the deliverer and the routes use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookOptions {
    /// Changes per batch at most.
    pub batch_size: usize,
    /// How long a batch is retried before the subscription pauses.
    pub max_retry_age: Duration,
    /// The wait before the first retry; each next one doubles it.
    pub first_retry: Duration,
    /// Allow URLs that resolve to loopback, private, link-local or metadata addresses.
    pub allow_private_networks: bool,
    /// How long one of the deliverer's database calls may take before it is abandoned and
    /// the store fenced, as a request's would be (`database.read_timeout`).
    pub store_deadline: Duration,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        WebhookOptions {
            batch_size: 100,
            max_retry_age: Duration::from_secs(24 * 60 * 60),
            first_retry: Duration::from_secs(1),
            allow_private_networks: false,
            store_deadline: crate::limits::DEFAULT_READ_TIMEOUT,
        }
    }
}

/// The events a subscription may ask for.
pub const EVENTS: [&str; 2] = ["upsert", "delete"];

/// A new random identifier: `prefix` and 24 hexadecimal digits.
pub fn new_id(prefix: &str) -> String {
    let mut bytes = [0_u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    let digits: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{prefix}_{digits}")
}

/// Checks a subscription's URL: `http://` or `https://` with a host, and not a private
/// address written out unless allowed (names are checked when connecting).
pub fn check_url(text: &str, options: &WebhookOptions) -> Result<reqwest::Url, ApiError> {
    let invalid = |why: &str| ApiError::invalid_field("url", why);
    let url = reqwest::Url::parse(text).map_err(|error| invalid(&format!("not a URL: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("only http:// and https:// URLs are delivered to"));
    }
    let Some(host) = url.host() else {
        return Err(invalid("the URL has no host"));
    };
    if !options.allow_private_networks
        && let Some(reason) = address::refused_host(&host)
    {
        return Err(invalid(&format!(
            "{reason}; set webhooks.allow_private_networks = true to deliver there"
        )));
    }
    Ok(url)
}

/// What a subscriber asks for (`POST /webhooks`, `clientela-api webhooks add`).
#[derive(Debug, Clone)]
pub struct Subscription {
    pub url: String,
    /// `upsert`, `delete`; both when `None`.
    pub events: Option<Vec<String>>,
    /// Only upserts that changed one of these fields; every upsert when `None`.
    pub fields: Option<Vec<String>>,
}

/// Checks and stores a new subscription, delivering the changes committed from now on;
/// returns it with its signing secret (shown to the subscriber this once).
pub fn subscribe(
    store: &Store,
    options: &WebhookOptions,
    subscription: Subscription,
) -> Result<(Webhook, [u8; 32]), ApiError> {
    let url = check_url(&subscription.url, options)?;
    let asked = subscription
        .events
        .unwrap_or_else(|| EVENTS.map(str::to_owned).to_vec());
    if asked.is_empty() {
        return Err(ApiError::invalid_field("events", "name at least one event"));
    }
    if let Some(unknown) = asked.iter().find(|event| !EVENTS.contains(&event.as_str())) {
        return Err(ApiError::invalid_field(
            "events",
            &format!("`{unknown}` is not an event; the events are `upsert` and `delete`"),
        ));
    }
    let events: Vec<&str> = EVENTS
        .into_iter()
        .filter(|event| asked.iter().any(|wanted| wanted == event))
        .collect();
    if subscription.fields.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::invalid_field(
            "fields",
            "name at least one field, or leave `fields` out for every upsert",
        ));
    }
    if let Some(unknown) = subscription
        .fields
        .iter()
        .flatten()
        .find(|name| !filter::is_field(name))
    {
        return Err(ApiError::invalid_field(
            "fields",
            &format!("`{unknown}` is not a field; {}", filter::FIELDS_HELP),
        ));
    }
    let new = NewWebhook {
        id: new_id("wh"),
        url: url.to_string(),
        events: events.join(","),
        fields: subscription
            .fields
            .map(|fields| serde_json::to_string(&fields).unwrap_or_default()),
        // From now on: after the newest change visible now.
        cursor: store.changes_head()?.unwrap_or_default().to_string(),
        created_at: Timestamp::now().micros(),
    };
    let secret = store.create_webhook(&new)?;
    let webhook = store
        .webhook(&new.id)?
        .ok_or_else(|| ApiError::Internal("a new webhook subscription vanished".into()))?;
    Ok((webhook, secret))
}

/// Sends a subscription's changes again after `after` (a feed cursor; from the oldest change
/// kept when `None`). Whether the subscription exists.
pub fn replay(store: &Store, id: &str, after: Option<&str>) -> Result<bool, ApiError> {
    let cursor: Cursor = match after {
        Some(text) => text
            .parse()
            .map_err(|error: clientela_store::BadCursor| ApiError::BadRequest(error.to_string()))?,
        None => Cursor::default(),
    };
    Ok(store.replay_webhook(id, &cursor.to_string())?)
}
