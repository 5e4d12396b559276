//! `POST /customers`: one customer object, or an array of 1 to 100, each a merge patch.
//!
//! Parsing and validation happen here, before the store is touched, so a request rejected
//! as a whole (malformed JSON, too many items, an invalid item with `?atomic=true`) writes
//! nothing. Valid items of a batch go to the store in one transaction.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use clientela_core::merge::MergeContext;
use clientela_core::wire::{BatchItem, BatchResponse, ItemError, ProblemField, SingleResponse};
use clientela_core::{
    CustomerPatch, FieldError, MAX_BATCH, MergeResult, Timestamp, parse_customer,
};
use clientela_store::{BatchRequest, ItemFailure, ItemOutcome, Precondition};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::auth::Scope;
use crate::error::{ApiError, problem_fields};

#[derive(Debug, Deserialize)]
struct PostParams {
    /// Save all items or none.
    #[serde(default)]
    atomic: bool,
    /// Refuse places that cannot be resolved (also `geo.strict`).
    #[serde(default)]
    strict: bool,
}

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
    let limit = state.body_limit;
    let body = payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge { limit })?
        .map_err(|error| ApiError::BadRequest(format!("could not read the body: {error}")))?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|error| ApiError::MalformedJson(format!("the body is not valid JSON: {error}")))?;
    let precondition = parse_precondition(&request)?;
    let strict = params.strict || state.strict_geo;
    match value {
        Value::Object(_) => post_one(&state, value, precondition, strict).await,
        Value::Array(_) if precondition.is_some() => Err(ApiError::BadRequest(
            "If-Match and If-None-Match apply to a single customer, not to an array".into(),
        )),
        Value::Array(items) => post_batch(&state, items, params.atomic, strict).await,
        _ => Err(ApiError::Invalid {
            detail: "the body must be a customer object or an array of 1 to 100 of them".into(),
            errors: Vec::new(),
        }),
    }
}

async fn post_one(
    state: &AppState,
    value: Value,
    precondition: Option<Precondition>,
    strict: bool,
) -> Result<HttpResponse, ApiError> {
    let patch = parse_customer(value)
        .map_err(|invalid| ApiError::invalid_customer(None, &invalid.errors))?;
    let code = patch.code.clone();
    let outcomes = upsert(state, vec![(0, patch)], precondition, true, strict).await?;
    match outcomes.into_iter().next() {
        Some(Ok(applied)) => Ok(HttpResponse::Ok()
            .insert_header((header::ETAG, format!("\"{}\"", applied.customer.version)))
            .json(SingleResponse {
                code,
                result: applied.result,
                customer: applied.customer,
                warnings: applied.warnings,
            })),
        Some(Err(ItemFailure::Invalid(errors))) => Err(ApiError::invalid_customer(None, &errors)),
        Some(Err(ItemFailure::Suppressed)) => Err(ApiError::Conflict(suppressed_message(&code))),
        Some(Err(ItemFailure::PreconditionFailed { current })) => {
            Err(ApiError::PreconditionFailed(match current {
                Some(version) => format!("`{code}` exists at version {version}"),
                None => format!("no customer has the code `{code}`"),
            }))
        }
        None => Err(ApiError::Internal("the store returned no outcome".into())),
    }
}

async fn post_batch(
    state: &AppState,
    items: Vec<Value>,
    atomic: bool,
    strict: bool,
) -> Result<HttpResponse, ApiError> {
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ApiError::Invalid {
            detail: format!(
                "the array holds {} customers; send 1 to {MAX_BATCH} per request",
                items.len()
            ),
            errors: Vec::new(),
        });
    }
    let total = items.len();
    let mut results: Vec<Option<BatchItem>> = vec![None; total];
    let mut valid: Vec<(usize, CustomerPatch)> = Vec::with_capacity(total);
    let mut refused: Vec<ProblemField> = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match parse_customer(item) {
            Ok(patch) => valid.push((index, patch)),
            Err(invalid) => {
                refused.extend(problem_fields(Some(index), &invalid.errors));
                results[index] = Some(failed(index, invalid.code, invalid_error(&invalid.errors)));
            }
        }
    }
    if atomic && !refused.is_empty() {
        return Err(nothing_saved(total, refused, false));
    }

    let outcomes = upsert(state, valid.clone(), None, atomic, strict).await?;
    if atomic && outcomes.iter().any(Result::is_err) {
        let only_suppressed = outcomes
            .iter()
            .all(|outcome| !matches!(outcome, Err(ItemFailure::Invalid(_))));
        for ((index, patch), outcome) in valid.iter().zip(&outcomes) {
            if let Err(failure) = outcome {
                let error = failure_error(&patch.code, failure);
                refused.extend(error.errors.into_iter().map(|field| ProblemField {
                    index: Some(*index),
                    ..field
                }));
            }
        }
        return Err(nothing_saved(total, refused, only_suppressed));
    }

    for ((index, patch), outcome) in valid.into_iter().zip(outcomes) {
        results[index] = Some(match outcome {
            Ok(applied) => BatchItem {
                index,
                code: Some(patch.code),
                result: Some(applied.result),
                warnings: Some(applied.warnings),
                error: None,
            },
            Err(failure) => {
                let error = failure_error(&patch.code, &failure);
                failed(index, Some(patch.code), error)
            }
        });
    }
    let results: Vec<BatchItem> = results.into_iter().flatten().collect();
    let count = |wanted: MergeResult| results.iter().filter(|r| r.result == Some(wanted)).count();
    let response = BatchResponse {
        created: count(MergeResult::Created),
        updated: count(MergeResult::Updated),
        unchanged: count(MergeResult::Unchanged),
        failed: results.iter().filter(|item| item.error.is_some()).count(),
        results,
    };
    Ok(HttpResponse::Ok().json(response))
}

/// Runs the merge of valid patches on a blocking thread.
async fn upsert(
    state: &AppState,
    items: Vec<(usize, CustomerPatch)>,
    precondition: Option<Precondition>,
    atomic: bool,
    strict: bool,
) -> Result<Vec<ItemOutcome>, ApiError> {
    let store = state.store.clone();
    let resolver = state.resolver.clone();
    let outcomes = web::block(move || {
        let context = MergeContext {
            now: Timestamp::now(),
            resolver: &resolver,
            strict_geo: strict,
        };
        store.upsert_batch(
            &BatchRequest {
                items: &items,
                precondition,
                atomic,
            },
            &context,
        )
    })
    .await??;
    Ok(outcomes)
}

fn failed(index: usize, code: Option<String>, error: ItemError) -> BatchItem {
    BatchItem {
        index,
        code,
        result: None,
        warnings: None,
        error: Some(error),
    }
}

fn invalid_error(errors: &[FieldError]) -> ItemError {
    ItemError {
        status: 422,
        title: "Invalid customer".into(),
        detail: "the customer is invalid".into(),
        errors: problem_fields(None, errors),
    }
}

fn failure_error(code: &str, failure: &ItemFailure) -> ItemError {
    match failure {
        ItemFailure::Invalid(errors) => invalid_error(errors),
        ItemFailure::Suppressed => ItemError {
            status: 409,
            title: "Suppressed".into(),
            detail: suppressed_message(code),
            errors: vec![ProblemField {
                index: None,
                field: "code".into(),
                message: suppressed_message(code),
            }],
        },
        ItemFailure::PreconditionFailed { .. } => ItemError {
            status: 412,
            title: "Precondition failed".into(),
            detail: "the stored version differs".into(),
            errors: Vec::new(),
        },
    }
}

fn nothing_saved(total: usize, errors: Vec<ProblemField>, only_suppressed: bool) -> ApiError {
    let failing: std::collections::BTreeSet<_> = errors.iter().filter_map(|e| e.index).collect();
    let detail = format!(
        "{} of {total} customers failed; nothing was saved (atomic)",
        failing.len()
    );
    if only_suppressed {
        ApiError::Conflict(detail)
    } else {
        ApiError::Invalid { detail, errors }
    }
}

fn suppressed_message(code: &str) -> String {
    format!("`{code}` was erased and is suppressed; DELETE /suppressions/{{code}} allows it again")
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
