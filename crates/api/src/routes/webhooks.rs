//! `/webhooks`: subscriptions that push the change feed to a URL (admin scope). How they are
//! delivered, and what is guaranteed, is `crate::webhooks`.

use actix_web::{HttpResponse, delete, get, post, web};
use clientela_core::Timestamp;
use clientela_core::wire::Problem;
use clientela_store::{Cursor, Delivery, Webhook};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::http::authorized::{Admin, Authorized};
use crate::openapi::{DatabaseUnavailable, KeyRefused, NeedsAdmin};
use crate::state::AppState;
use crate::webhooks::{Subscription, replay, signing, subscribe};

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(post_webhook)
        .service(list_webhooks)
        .service(get_webhook)
        .service(delete_webhook)
        .service(replay_webhook)
        .service(resume_webhook)
        .service(list_deliveries);
}

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// Where batches are POSTed: `https://` or `http://`.
    #[schema(example = "https://example.com/clientela-hook")]
    url: String,
    /// What to send: `upsert`, `delete`, or both (the default).
    #[serde(default)]
    events: Option<Vec<String>>,
    /// Send only upserts that changed one of these fields (`country`, `metadata`, or one
    /// metadata key as `metadata.<key>`); deletes always go. Every upsert when absent.
    #[serde(default)]
    fields: Option<Vec<String>>,
}

/// Where to send from again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayInput {
    /// A feed cursor: changes after it are sent again, in order. From the oldest change kept
    /// when absent.
    after: Option<String>,
}

/// A subscription.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    id: String,
    url: String,
    events: Vec<String>,
    fields: Option<Vec<String>>,
    /// `active`; `failing` (the batch in flight is being retried); `paused` (see
    /// `pausedReason`: resume with `POST /webhooks/{id}/resume`).
    #[schema(example = "active")]
    state: &'static str,
    paused_reason: Option<String>,
    /// The feed cursor after which delivery goes on, as last recorded: a deliverer writes
    /// its progress every few batches (up to ten, at least once a second), so this can trail
    /// what the receiver got by that much.
    cursor: String,
    /// How far behind the feed delivery is.
    lag: Lag,
    /// Failed attempts of the batch in flight.
    attempts: i32,
    next_attempt_at: Option<String>,
    last_error: Option<String>,
    last_success_at: Option<String>,
    created_at: String,
    /// The signing secret (`whsec_…`): shown only in the answer that creates the
    /// subscription.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Lag {
    /// Changes not sent yet (counted up to 100000).
    changes: u64,
    /// Age of the oldest change not sent yet; 0 when none waits.
    seconds: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    items: Vec<WebhookView>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    /// When it was sent.
    at: String,
    /// The `webhook-id` it carried (the same on every attempt of one batch).
    message_id: String,
    items: i32,
    /// The receiver's status; null when no answer came.
    status: Option<i32>,
    duration_ms: i64,
    error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    items: Vec<DeliveryView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesParams {
    /// Attempts to show, newest first, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<i64>,
}

/// The most lag counted.
const LAG_CAP: i64 = 100_000;

impl AppState {
    /// A subscription as shown, with its lag read now.
    async fn view(
        &self,
        webhook: Webhook,
        secret: Option<String>,
    ) -> Result<WebhookView, ApiError> {
        let cursor = webhook.cursor.clone();
        let behind = self
            .read(move |store| {
                let after: Cursor = cursor.parse().unwrap_or_default();
                store.changes_behind(after, LAG_CAP)
            })
            .await?;
        let now = Timestamp::now().micros();
        let state = match (&webhook.paused_reason, webhook.attempts) {
            (Some(_), _) => "paused",
            (None, 0) => "active",
            (None, _) => "failing",
        };
        let time = |micros: i64| Timestamp(micros).to_rfc3339();
        Ok(WebhookView {
            events: webhook.events.split(',').map(str::to_owned).collect(),
            fields: webhook
                .fields
                .as_deref()
                .and_then(|fields| serde_json::from_str(fields).ok()),
            state,
            lag: Lag {
                changes: u64::try_from(behind.changes).unwrap_or(0),
                seconds: behind
                    .oldest_at
                    .map_or(0.0, |at| (now - at.micros()).max(0) as f64 / 1e6),
            },
            next_attempt_at: webhook.next_attempt_at.map(time),
            last_success_at: webhook.last_success_at.map(time),
            created_at: time(webhook.created_at),
            id: webhook.id,
            url: webhook.url,
            paused_reason: webhook.paused_reason,
            cursor: webhook.cursor,
            attempts: webhook.attempts,
            last_error: webhook.last_error,
            secret,
        })
    }

    async fn existing_webhook(&self, id: String) -> Result<Webhook, ApiError> {
        let shown = id.clone();
        self.read(move |store| store.webhook(&id))
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no webhook subscription `{shown}`")))
    }
}

/// Subscribe a URL to the change feed.
///
/// Changes from now on are POSTed to `url` in feed order, in batches (`{"items": [...]}`,
/// each item as `GET /changes` shows it), signed by the Standard Webhooks convention with the
/// secret of this answer, which is shown only here.
#[utoipa::path(
    tag = "webhooks",
    request_body = WebhookInput,
    responses(
        (status = 201, description = "Subscribed; the answer holds the signing secret, shown only here", body = WebhookView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        NeedsAdmin,
        (status = 422, description = "A URL that is not http(s), names a private address, or an unknown event", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["admin"])),
)]
#[post("/webhooks")]
pub async fn post_webhook(
    _: Authorized<Admin>,
    state: web::Data<AppState>,
    input: web::Json<WebhookInput>,
) -> Result<HttpResponse, ApiError> {
    let input = input.into_inner();
    let subscription = Subscription {
        url: input.url,
        events: input.events,
        fields: input.fields,
    };
    let options = state.webhooks;
    let (webhook, secret) = state
        .write(move |store| subscribe(store, &options, subscription))
        .await?;
    let view = state
        .view(webhook, Some(signing::show_secret(&secret)))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Every subscription.
#[utoipa::path(
    tag = "webhooks",
    responses(
        (status = 200, description = "Every subscription, oldest first", body = WebhookList),
        NeedsAdmin,
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["admin"])),
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    _: Authorized<Admin>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let webhooks = state.read(|store| store.webhooks()).await?;
    let mut items = Vec::with_capacity(webhooks.len());
    for webhook in webhooks {
        items.push(state.view(webhook, None).await?);
    }
    Ok(HttpResponse::Ok().json(WebhookList { items }))
}

/// One subscription: its state, cursor, lag and last error.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "The subscription's id")),
    responses(
        (status = 200, description = "The subscription", body = WebhookView),
        NeedsAdmin,
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["admin"])),
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    _: Authorized<Admin>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let webhook = state.existing_webhook(id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(state.view(webhook, None).await?))
}

/// Remove a subscription (nothing more is sent to it).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "The subscription's id")),
    responses(
        (status = 204, description = "Removed"),
        NeedsAdmin,
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["admin"])),
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    _: Authorized<Admin>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let removed = id.clone();
    if state
        .write(move |store| store.delete_webhook(&removed))
        .await?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(format!(
            "no webhook subscription `{id}`"
        )))
    }
}

/// Send again from a cursor.
///
/// Delivery starts again after `after` (a feed cursor, as `GET /changes` gives them), in
/// order; the batch in flight is dropped and a pause ends.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "The subscription's id")),
    request_body = ReplayInput,
    responses(
        (status = 200, description = "Replaying from the cursor", body = WebhookView),
        (status = 400, description = "Malformed JSON, or a cursor this service did not give out", body = Problem, content_type = "application/problem+json"),
        NeedsAdmin,
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A body that is not `{\"after\": cursor}`", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["admin"])),
)]
#[post("/webhooks/{id}/replay")]
pub async fn replay_webhook(
    _: Authorized<Admin>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<ReplayInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let replayed = id.clone();
    let after = input.into_inner().after;
    state
        .write(move |store| replay(store, &replayed, after.as_deref()))
        .await?;
    let webhook = state.existing_webhook(id).await?;
    Ok(HttpResponse::Ok().json(state.view(webhook, None).await?))
}

/// Resume a paused subscription where it stopped.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "The subscription's id")),
    responses(
        (status = 200, description = "Delivering again, from where it stopped", body = WebhookView),
        NeedsAdmin,
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["admin"])),
)]
#[post("/webhooks/{id}/resume")]
pub async fn resume_webhook(
    _: Authorized<Admin>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let resumed = id.clone();
    state
        .write(move |store| store.resume_webhook(&resumed))
        .await?;
    let webhook = state.existing_webhook(id).await?;
    Ok(HttpResponse::Ok().json(state.view(webhook, None).await?))
}

/// The latest delivery attempts: when, the answer, how long, and the error.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "The subscription's id"), DeliveriesParams),
    responses(
        (status = 200, description = "The latest attempts, newest first", body = DeliveryList),
        (status = 400, description = "limit out of range", body = Problem, content_type = "application/problem+json"),
        NeedsAdmin,
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["admin"])),
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    _: Authorized<Admin>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    params: web::Query<DeliveriesParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = params.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 100".into()));
    }
    let webhook = state.existing_webhook(id.into_inner()).await?;
    let deliveries = state
        .read(move |store| store.webhook_deliveries(&webhook.id, limit))
        .await?;
    let items = deliveries
        .into_iter()
        .map(|delivery: Delivery| DeliveryView {
            at: Timestamp(delivery.at).to_rfc3339(),
            message_id: delivery.message_id,
            items: delivery.items,
            status: delivery.status,
            duration_ms: delivery.duration_ms,
            error: delivery.error,
        })
        .collect();
    Ok(HttpResponse::Ok().json(DeliveryList { items }))
}
