//! `GET /customers/{code}` (with its ETag) and `GET /customers` (a page, by cursor).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clientela_core::geo::GeoInput;
use clientela_core::wire::{ListPage, ProblemField};
use clientela_store::ListQuery;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Scope;
use crate::error::ApiError;

/// Page sizes `GET /customers` accepts, and the default.
const LIMITS: std::ops::RangeInclusive<usize> = 1..=500;
const DEFAULT_LIMIT: usize = 50;

#[get("/customers/{code}")]
pub async fn get_customer(
    request: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .keys
        .authorize(&request, &state.store, Scope::Read)
        .await?;
    let code = code.into_inner();
    let store = state.store.clone();
    let lookup = code.clone();
    let customer = web::block(move || store.get(&lookup))
        .await??
        .ok_or_else(|| ApiError::NotFound(format!("no customer has the code `{code}`")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", customer.version)))
        .json(customer))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    limit: Option<usize>,
    after: Option<String>,
    q: Option<String>,
    active: Option<bool>,
    country: Option<String>,
}

#[get("/customers")]
pub async fn list_customers(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    state
        .keys
        .authorize(&request, &state.store, Scope::Read)
        .await?;
    let params = params.into_inner();
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !LIMITS.contains(&limit) {
        return Err(invalid_parameter(
            "limit",
            format!("`limit` must be 1 to 500, not {limit}"),
        ));
    }
    let after = params.after.as_deref().map(decode_cursor).transpose()?;
    let country_code = match params
        .country
        .as_deref()
        .filter(|text| !text.trim().is_empty())
    {
        None => None,
        Some(text) => {
            let input = GeoInput {
                country: Some(text),
                ..GeoInput::default()
            };
            let resolution = state.resolver.resolve(&input);
            let country = resolution.location.country.ok_or_else(|| {
                invalid_parameter("country", format!("`{text}` is not a known country"))
            })?;
            Some(country.code)
        }
    };
    let query = ListQuery {
        limit,
        after,
        prefix: params.q.filter(|prefix| !prefix.is_empty()),
        active: params.active,
        country_code,
    };
    let store = state.store.clone();
    let (items, more) = web::block(move || store.list_page(&query)).await??;
    let next = if more {
        items.last().map(|customer| encode_cursor(&customer.code))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(ListPage { items, next }))
}

fn invalid_parameter(field: &str, message: String) -> ApiError {
    ApiError::Invalid {
        detail: message.clone(),
        errors: vec![ProblemField {
            index: None,
            field: field.to_owned(),
            message,
        }],
    }
}

/// The cursor is the last code of the page, base64url-encoded so it is opaque and safe in a
/// query string.
fn encode_cursor(code: &str) -> String {
    URL_SAFE_NO_PAD.encode(code.as_bytes())
}

fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            invalid_parameter("after", "`after` is not a cursor this API gave out".into())
        })
}
