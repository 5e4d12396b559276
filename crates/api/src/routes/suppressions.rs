//! `DELETE /suppressions/{code}`: lets an erased, suppressed code be posted again.

use actix_web::{HttpRequest, HttpResponse, delete, web};
use clientela_core::wire::Problem;

use crate::AppState;
use crate::auth::Scope;
use crate::error::ApiError;
use crate::openapi::{DatabaseUnavailable, KeyRefused};

pub fn configure(config: &mut web::ServiceConfig) {
    config.service(delete_suppression);
}

/// Lift a suppression, so the code may be posted again.
#[utoipa::path(
    tag = "customers",
    params(("code" = String, Path, description = "The erased customer's code")),
    responses(
        (status = 204, description = "Lifted"),
        (status = 400, description = "A path or query string that does not parse (a path that is not UTF-8 once percent-decoded included), or two `Authorization` headers", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key's scope is below `admin`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The code is not suppressed", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["admin"])),
)]
#[delete("/suppressions/{code}")]
pub async fn delete_suppression(
    request: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .keys
        .authorize(&request, &state.store, Scope::Admin)
        .await?;
    let code = code.into_inner();
    let store = state.store.clone();
    let lookup = code.clone();
    let _write_slot = state.write_slot().await?;
    if web::block(move || store.unsuppress(&lookup)).await?? {
        tracing::info!("suppression lifted");
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(format!("`{code}` is not suppressed")))
    }
}
