//! `GET /customers/{code}` (with its ETag) and `GET /customers` (a page, by cursor).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clientela_core::Customer;
use clientela_core::geo::GeoInput;
use clientela_core::wire::{ListPage, Problem, ProblemField, Total};
use clientela_store::ListQuery;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::http::authorized::{Authorized, Read};
use crate::http::commit_token;
use crate::openapi::{DatabaseUnavailable, KeyRefused, NeedsRead, PathRefused, examples};
use crate::state::AppState;

/// Page sizes `GET /customers` accepts, and the default.
const LIMITS: std::ops::RangeInclusive<usize> = 1..=500;
const DEFAULT_LIMIT: usize = 50;

/// Read one customer.
///
/// The answer carries `ETag: "<version>"`; send it back as `If-Match` on a POST to update
/// only that version.
#[utoipa::path(
    tag = "customers",
    params(
        ("code" = String, Path, description = "The customer's code, percent-encoded as one path segment"),
        ("X-Clientela-Commit" = Option<String>, Header,
            description = "With `database.read_url`: the commit token a write's answer carried; the read then sees that write (docs/postgres.md)"),
    ),
    responses(
        (status = 200, description = "The customer", body = Customer,
            headers(("ETag" = String, description = "The customer's version, quoted")),
            example = json!(examples::customer())),
        PathRefused,
        NeedsRead,
        (status = 404, description = "No customer has this code", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["read"])),
)]
#[get("/customers/{code}")]
pub async fn get_customer(
    state: web::Data<AppState>,
    code: web::Path<String>,
    request: HttpRequest,
    _: Authorized<Read>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let token = commit_token::presented(&request)?;
    let found = match state.store.get_inline(&code) {
        Some(found) => found?,
        None => {
            let lookup = code.clone();
            state
                .read_recent(token, move |store| store.get(&lookup))
                .await?
        }
    };
    let customer =
        found.ok_or_else(|| ApiError::NotFound(format!("no customer has the code `{code}`")))?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::ETAG,
            format!("\"{}\"", state.store.etag(customer.version)),
        ))
        .json(customer))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    limit: Option<usize>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
    /// Page backwards: the `previous` cursor of a page gives the page before it, and an
    /// empty value (`before=`) the last page. One request at any depth. Not with `after`.
    before: Option<String>,
    /// Also answer `total`: how many customers the filters select, exact up to 10,000,
    /// an estimate past that (`exact: false`).
    count: Option<bool>,
    /// Only codes that start with this.
    q: Option<String>,
    /// Only active (true) or inactive (false) customers.
    active: Option<bool>,
    /// Only customers in this country, in any form `country` accepts (`ES`, `Spain`, `724`).
    country: Option<String>,
}

/// List customers, a page at a time, ordered by code.
#[utoipa::path(
    tag = "customers",
    params(
        ListParams,
        ("X-Clientela-Commit" = Option<String>, Header,
            description = "With `database.read_url`: the commit token a write's answer carried; the read then sees that write (docs/postgres.md)"),
    ),
    responses(
        (status = 200, description = "A page, the cursor of the next one (null on the last page) and, when the page was asked for with a cursor and more may come before it, the cursor of the previous one (for `before`)",
            body = ListPage, example = json!(examples::list_page())),
        (status = 400, description = "A query string that does not parse (e.g. `limit=abc`), or two `Authorization` headers", body = Problem, content_type = "application/problem+json"),
        NeedsRead,
        (status = 422, description = "`limit` out of range, a cursor this API did not give out, or an unknown country", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["read"])),
)]
#[get("/customers")]
pub async fn list_customers(
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
    request: HttpRequest,
    _: Authorized<Read>,
) -> Result<HttpResponse, ApiError> {
    let token = commit_token::presented(&request)?;
    let params = params.into_inner();
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !LIMITS.contains(&limit) {
        return Err(invalid_parameter(
            "limit",
            format!("`limit` must be 1 to 500, not {limit}"),
        ));
    }
    let after = params
        .after
        .as_deref()
        .map(|cursor| decode_cursor("after", cursor))
        .transpose()?;
    let before = params
        .before
        .as_deref()
        .map(|cursor| decode_cursor("before", cursor))
        .transpose()?;
    if after.is_some() && before.is_some() {
        return Err(invalid_parameter(
            "before",
            "`after` and `before` cannot be used together".into(),
        ));
    }
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
    let (forwards_from, backwards_from) = (after.is_some(), before.clone());
    let query = ListQuery {
        limit,
        after,
        before,
        prefix: params.q.filter(|prefix| !prefix.is_empty()),
        active: params.active,
        country_code,
    };
    let counted = params.count.unwrap_or(false);
    let (items, more, total) = state
        .read_recent(token, move |store| {
            let (items, more) = store.list_page(&query)?;
            let total = if counted {
                let count = store.count(&query)?;
                Some(Total {
                    count: count.value,
                    exact: count.exact,
                })
            } else {
                None
            };
            Ok::<_, clientela_store::StoreError>((items, more, total))
        })
        .await?;
    // Forwards, `more` says whether pages follow; backwards, whether pages come before.
    let (has_next, has_previous) = match &backwards_from {
        None => (more, forwards_from),
        Some(cursor) => (!cursor.is_empty(), more),
    };
    let next = has_next
        .then(|| items.last().map(|customer| encode_cursor(&customer.code)))
        .flatten();
    let previous = has_previous
        .then(|| items.first().map(|customer| encode_cursor(&customer.code)))
        .flatten();
    Ok(HttpResponse::Ok().json(ListPage {
        items,
        next,
        previous,
        total,
    }))
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

fn decode_cursor(name: &str, cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            invalid_parameter(name, format!("`{name}` is not a cursor this API gave out"))
        })
}
