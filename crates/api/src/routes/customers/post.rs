//! `POST /customers`: one customer object, or an array of 1 to 100, each a merge patch.
//!
//! The handler reads the body and the headers; the work itself (parse, validate, merge,
//! per-item results) is [`crate::ingest`], shared with `clientela-api import`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use clientela_core::wire::Problem;
use clientela_store::Precondition;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Scope;
use crate::error::ApiError;
use crate::ingest::Ingest;
use crate::limits::read_body;
use crate::openapi::{
    DatabaseUnavailable, KeyRefused, PostCustomersBody, PostCustomersResponse, examples,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostParams {
    /// Save all items or none: if any item fails, the answer is a 422 (or 409) problem
    /// document and nothing is written.
    #[serde(default)]
    atomic: bool,
    /// Refuse places that cannot be resolved instead of keeping them as sent (also the
    /// `geo.strict` setting).
    #[serde(default)]
    strict: bool,
    /// Validate, resolve places and answer what would happen to each item (created,
    /// updated, unchanged, warnings, errors) without writing anything, change feed included.
    #[serde(default, rename = "dryRun")]
    dry_run: bool,
}

/// Create or update customers.
///
/// The body is one customer object or an array of 1 to 100. A POST for an existing code is
/// a merge patch (RFC 7396): a field left out keeps its value, a field sent as null is
/// removed, `metadata` merges key by key. A patch that changes nothing is `unchanged`, so
/// retrying is always safe. With an array, each valid item is saved even when others fail
/// (unless `atomic=true`) and the answer has one result per item, in order.
#[utoipa::path(
    tag = "customers",
    params(
        PostParams,
        ("If-Match" = Option<String>, Header,
            description = "Apply a single-object POST only to this stored version, as \
                           `GET /customers/{code}` sent it in `ETag` (e.g. `\"3\"`); 412 otherwise"),
        ("If-None-Match" = Option<String>, Header,
            description = "`*`: create only; 412 when the code exists already (single object only)"),
    ),
    request_body(
        content = PostCustomersBody,
        description = "One customer object, or an array of 1 to 100 of them.",
        examples(
            ("one" = (summary = "Create or update one customer", value = json!(examples::customer_input()))),
            ("batch" = (summary = "Several at once", value = json!(examples::batch_input()))),
        ),
    ),
    responses(
        (status = 200, description = "Applied. One object: the customer as now stored; an array: one result per item.",
            headers(("ETag" = String, description = "The customer's version (single object only)")),
            body = PostCustomersResponse,
            examples(
                ("one" = (value = json!(examples::single_response()))),
                ("batch" = (value = json!(examples::batch_response()))),
            )),
        (status = 400, description = "Malformed JSON, or If-Match / If-None-Match with an array", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key's scope is below `write`", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive within `server.body_timeout`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code was erased with `suppress=true`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match named another version, or If-None-Match: * and the code exists", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over `server.body_limit`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid customer; an empty array or more than 100 items; a body that is not an object or array; any failed item with `atomic=true`",
            body = Problem, content_type = "application/problem+json",
            example = json!(examples::invalid_problem())),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["write"])),
)]
#[post("/customers")]
pub async fn post_customers(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PostParams>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    state
        .keys
        .authorize(&request, &state.store, Scope::Write)
        .await?;
    let body = read_body(payload, state.body_limit, state.body_timeout).await?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|error| ApiError::MalformedJson(format!("the body is not valid JSON: {error}")))?;
    let precondition = parse_precondition(&request)?;
    let strict_geo = params.strict || state.strict_geo;
    let atomic = params.atomic;
    let dry_run = params.dry_run;
    match value {
        Value::Object(_) => {
            let response = run_ingest(&state, strict_geo, dry_run, 1, move |ingest| {
                ingest.one(value, precondition)
            })
            .await?;
            if !dry_run {
                state
                    .metrics
                    .observe_single(response.result, response.customer.location.status);
                state.feed.changed();
            }
            Ok(HttpResponse::Ok()
                .insert_header((header::ETAG, format!("\"{}\"", response.customer.version)))
                .json(response))
        }
        Value::Array(_) if precondition.is_some() => Err(ApiError::BadRequest(
            "If-Match and If-None-Match apply to a single customer, not to an array".into(),
        )),
        Value::Array(items) => {
            let count = items.len();
            let ingested = run_ingest(&state, strict_geo, dry_run, count, move |ingest| {
                ingest.batch(items, atomic)
            })
            .await?;
            if !dry_run {
                state
                    .metrics
                    .observe_batch(&ingested.response, &ingested.written_locations);
                state.feed.changed();
            }
            Ok(HttpResponse::Ok().json(ingested.response))
        }
        _ => Err(ApiError::Invalid {
            detail: "the body must be a customer object or an array of 1 to 100 of them".into(),
            errors: Vec::new(),
        }),
    }
}

/// Runs `work` with this request's [`Ingest`] on a blocking thread (it runs a store
/// transaction); when the answer refuses the `customers` sent, counts them as `failed`.
async fn run_ingest<T: Send + 'static>(
    state: &web::Data<AppState>,
    strict_geo: bool,
    dry_run: bool,
    customers: usize,
    work: impl FnOnce(Ingest<'_>) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let worker = state.clone();
    let outcome = web::block(move || {
        work(Ingest {
            store: &worker.store,
            resolver: &worker.resolver,
            strict_geo,
            dry_run,
        })
    })
    .await?;
    outcome.inspect_err(|error| {
        if refuses_customers(error) {
            state.metrics.observe_refused(customers);
        }
    })
}

/// Whether an ingest error means the customers sent were refused (counted as `failed`), as
/// opposed to the service failing them (503, 500), which the request metrics already show.
fn refuses_customers(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Invalid { .. } | ApiError::Conflict(_) | ApiError::PreconditionFailed(_)
    )
}

/// `If-Match: "<version>"` (as `GET /customers/{code}` sent it in `ETag`): update only that
/// version. `If-None-Match: *`: create only, never merge into an existing customer.
fn parse_precondition(request: &HttpRequest) -> Result<Option<Precondition>, ApiError> {
    let header_text = |name| {
        request
            .headers()
            .get(name)
            .map(|value| value.to_str().map(str::trim).unwrap_or(""))
    };
    if let Some(text) = header_text(header::IF_NONE_MATCH) {
        return match text {
            "*" => Ok(Some(Precondition::Absent)),
            _ => Err(ApiError::BadRequest(
                "If-None-Match takes only `*` (create only)".into(),
            )),
        };
    }
    let Some(text) = header_text(header::IF_MATCH) else {
        return Ok(None);
    };
    text.strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .and_then(|version| version.parse().ok())
        .map(|version| Some(Precondition::Version(version)))
        .ok_or_else(|| {
            ApiError::BadRequest(
                "If-Match must be one ETag as sent by GET /customers/{code}, like \"3\"".into(),
            )
        })
}
