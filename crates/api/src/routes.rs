//! Route registration: one module per resource, each with its handlers.

pub(crate) mod changes;
pub(crate) mod customers;
pub(crate) mod docs;
pub(crate) mod geo;
pub(crate) mod health;
pub(crate) mod metrics;
pub(crate) mod suppressions;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;

pub fn configure(config: &mut web::ServiceConfig) {
    customers::configure(config);
    suppressions::configure(config);
    changes::configure(config);
    geo::configure(config);
    health::configure(config);
    metrics::configure(config);
    docs::configure(config);
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

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|error, _| ApiError::BadRequest(format!("bad path: {error}")).into())
}
