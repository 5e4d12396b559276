//! Route registration: one module per resource, each with its handlers.
//!
//! [`configure`] is the one list of routes: the server registers it ([`configure_app`]), and
//! the OpenAPI document collects its paths from the same calls ([`document`], through
//! `utoipa-actix-web`), so a route cannot be served without being documented.

pub(crate) mod changes;
pub(crate) mod customers;
pub(crate) mod docs;
pub(crate) mod geo;
pub(crate) mod health;
pub(crate) mod metrics;
pub(crate) mod suppressions;
pub(crate) mod webhooks;

use actix_web::{App, HttpRequest, HttpResponse, web};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::openapi;

/// Every route, each resource's handlers in its own module; the order is actix's order of
/// matching.
pub fn configure(config: &mut ServiceConfig) {
    customers::configure(config);
    suppressions::configure(config);
    changes::configure(config);
    webhooks::configure(config);
    geo::configure(config);
    health::configure(config);
    metrics::configure(config);
    docs::configure(config);
}

/// Registers every route on an app (what the server runs).
pub fn configure_app(config: &mut web::ServiceConfig) {
    configure(&mut ServiceConfig::new(config));
}

/// The OpenAPI document of this build: [`openapi::frame`] with the paths (and their schemas)
/// of every handler [`configure`] registers.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, document) = App::new()
        .into_utoipa_app()
        .openapi(openapi::frame())
        .configure(configure)
        .split_for_parts();
    document
}

/// Unknown routes answer with a problem document like every other error.
pub async fn not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no route for {} {}",
        request.method(),
        request.path()
    )))
}

/// Bad query strings (`limit=abc`) become 400 problem documents.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|error, _| ApiError::BadRequest(format!("bad query string: {error}")).into())
}

/// JSON bodies of the small admin routes (`/webhooks`): at most 64 KiB, read as JSON whatever
/// their `Content-Type` says (as `POST /customers` bodies are); malformed JSON is 400, a body
/// of the wrong shape 422, both problem documents.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 * 1024)
        .content_type_required(false)
        .error_handler(|error, _| {
            use actix_web::error::JsonPayloadError;
            match &error {
                JsonPayloadError::Deserialize(inner) if inner.is_data() => ApiError::Invalid {
                    detail: format!("the body does not fit: {inner}"),
                    errors: Vec::new(),
                }
                .into(),
                JsonPayloadError::Overflow { limit }
                | JsonPayloadError::OverflowKnownLength { limit, .. } => {
                    ApiError::PayloadTooLarge { limit: *limit }.into()
                }
                _ => ApiError::MalformedJson(format!("the body is not JSON: {error}")).into(),
            }
        })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|error, _| ApiError::BadRequest(format!("bad path: {error}")).into())
}
