//! `POST /customers`: one customer object, or an array of 1 to 100, each a merge patch.
//!
//! The handler reads the body and the headers; the work itself (parse, validate, merge,
//! per-item results) is [`crate::ingest`], shared with `clientela-api import`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use clientela_core::wire::Problem;
use clientela_core::wire::SingleResponse;
use clientela_store::{Precondition, Store};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::body::{BatchItems, CustomersBody, item_value, split_customers};
use crate::error::ApiError;
use crate::http::authorized::{Authorized, Write};
use crate::http::payload::read_body;
use crate::ingest::batch_response;
use crate::ingest::{Ingest, IngestedBatch};
use crate::openapi::{
    DatabaseUnavailable, KeyRefused, NeedsWrite, PostCustomersBody, PostCustomersResponse, examples,
};
use crate::state::AppState;

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
        ("Content-Encoding" = Option<String>, Header,
            description = "`gzip` or `zstd` for a compressed body. Every size limit applies to \
                           the decoded bytes; a body decoding past `server.body_limit` is 413"),
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
            headers(
                ("ETag" = String, description = "The customer's version (single object only)"),
                ("X-Clientela-Commit" = Option<String>, description = "With `database.read_url`: the commit token; send it back on a read to see this write"),
            ),
            body = PostCustomersResponse,
            examples(
                ("one" = (value = json!(examples::single_response()))),
                ("batch" = (value = json!(examples::batch_response()))),
            )),
        (status = 400, description = "Malformed JSON (an object holding one key twice included), a compressed body that does not decode, If-Match / If-None-Match with an array, or two `Authorization` headers", body = Problem, content_type = "application/problem+json"),
        NeedsWrite,
        (status = 408, description = "The body did not arrive within `server.body_timeout`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code was erased with `suppress=true`", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match named another version, or If-None-Match: * and the code exists", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over `server.body_limit`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A `Content-Encoding` other than gzip or zstd", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid customer (one over 262144 bytes as sent included); an empty array or more than 100 items; a body that is not an object or array; any failed item with `atomic=true`",
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
    _: Authorized<Write>,
) -> Result<HttpResponse, ApiError> {
    let precondition = parse_precondition(&request)?;
    // A large body waits for one of a few slots before it is read, so only that many are
    // in memory at once; the slot is held until its answer is ready.
    let (body, slot) = read_body(&request, payload, &state).await?;
    let strict_geo = params.strict || state.strict_geo;
    let atomic = params.atomic;
    let dry_run = params.dry_run;
    let resolver = state.resolver.clone();
    // Everything from here on is CPU work on the body, and a store transaction: off the
    // async workers, so `/healthz` and every other request keep being answered meanwhile.
    let work = move |store: &Store| {
        let ingest = Ingest {
            store,
            resolver: &resolver,
            strict_geo,
            dry_run,
        };
        let customers = match split_customers(&body) {
            Ok(customers) => customers,
            // A request refused as a whole counts once, however many items it held.
            Err(error) => return Ok::<_, ApiError>((Err(error), 1)),
        };
        let count = customers.count();
        let outcome = match customers {
            CustomersBody::One(raw) => {
                let value = item_value(raw);
                drop(body);
                value
                    .map_err(|error| ApiError::invalid_customer(None, &[error]))
                    .and_then(|value| Ok(ingest.one(value, precondition)?))
                    .map(|response| Posted::One(Box::new(response)))
            }
            CustomersBody::Many(_) if precondition.is_some() => Err(ApiError::BadRequest(
                "If-Match and If-None-Match apply to a single customer, not to an array".into(),
            )),
            CustomersBody::Many(items) => {
                // The body goes with the items: freed once they are all patches.
                let items = BatchItems::new(body.clone(), &items);
                drop(body);
                ingest
                    .batch(items, atomic)
                    .map(Posted::Many)
                    .map_err(ApiError::from)
            }
        };
        Ok((outcome, count))
    };
    // A dry run writes nothing: it reads in one snapshot and needs no write slot.
    let (outcome, customers) = match dry_run {
        true => state.read(work).await?,
        false => state.write(work).await?,
    };
    drop(slot);
    let posted = outcome.inspect_err(|error| {
        // A dry run leaves every metric alone, refusals included.
        if !dry_run && refuses_customers(error) {
            state.metrics.observe_refused(customers);
        }
    })?;
    match posted {
        Posted::One(response) => {
            if !dry_run {
                state
                    .metrics
                    .observe_single(response.result, response.customer.location.status);
            }
            Ok(HttpResponse::Ok()
                .insert_header((
                    header::ETAG,
                    format!("\"{}\"", state.store.etag(response.customer.version)),
                ))
                .json(*response))
        }
        Posted::Many(ingested) => {
            let response = batch_response(ingested.items);
            if !dry_run {
                state
                    .metrics
                    .observe_batch(&response, &ingested.written_locations);
            }
            Ok(HttpResponse::Ok().json(response))
        }
    }
}

/// What a POST did: one customer's answer, or a batch's.
enum Posted {
    One(Box<SingleResponse>),
    Many(IngestedBatch),
}

/// Whether an ingest error means the customers sent were refused (counted as `failed`), as
/// opposed to the service failing them (503, 500), which the request metrics already show.
fn refuses_customers(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Invalid { .. }
            | ApiError::Conflict(_)
            | ApiError::Suppressed { .. }
            | ApiError::PreconditionFailed(_)
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
        .and_then(|etag| etag.parse().ok())
        .map(|etag| Some(Precondition::Version(etag)))
        .ok_or_else(|| {
            ApiError::BadRequest(
                "If-Match must be one ETag as sent by GET /customers/{code}, like \"3\"".into(),
            )
        })
}
