//! Suppressions: codes whose POSTs are refused (409). `PUT /suppressions/{code}` suppresses a
//! code before (or without) it ever arriving, `GET` tells whether one is, and `DELETE` lets
//! it be posted again. They go through the store's suppression functions, so they hold
//! whatever the store keeps of a code (a hash, never the code).

use actix_web::{HttpResponse, delete, get, put, web};
use clientela_core::wire::Problem;
use clientela_store::Suppression;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::http::authorized::{Admin, Authorized};
use crate::openapi::{DatabaseUnavailable, KeyRefused, NeedsAdmin, PathRefused};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(put_suppression)
        .service(get_suppression)
        .service(delete_suppression);
}

/// Suppress a code that no customer has: later POSTs of it are refused (409).
///
/// For a "do not store" request that comes before the data. Idempotent: 201 when the code
/// is suppressed now, 204 when it already was. A code a customer has is refused with 409:
/// erase it with `DELETE /customers/{code}?suppress=true`.
#[utoipa::path(
    tag = "customers",
    params(("code" = String, Path, description = "The code to refuse from now on")),
    responses(
        (status = 201, description = "Suppressed from now on"),
        (status = 204, description = "Already suppressed; nothing changed"),
        PathRefused,
        NeedsAdmin,
        (status = 409, description = "A customer has this code: erase it with `DELETE /customers/{code}?suppress=true`", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["admin"])),
)]
#[put("/suppressions/{code}")]
pub async fn put_suppression(
    _: Authorized<Admin>,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let target = code.clone();
    match state.write(move |store| store.suppress(&target)).await? {
        Suppression::Added => {
            tracing::info!("code suppressed");
            Ok(HttpResponse::Created().finish())
        }
        Suppression::AlreadySuppressed => Ok(HttpResponse::NoContent().finish()),
        Suppression::CustomerExists => Err(ApiError::Conflict(format!(
            "a customer has the code `{code}`; erase it with \
             `DELETE /customers/{{code}}?suppress=true` to suppress it"
        ))),
    }
}

/// Whether a code is suppressed (its POSTs refused with 409).
#[utoipa::path(
    tag = "customers",
    params(("code" = String, Path, description = "The code to look up")),
    responses(
        (status = 200, description = "Suppressed: POSTs of this code are refused", body = SuppressionStatus),
        PathRefused,
        NeedsAdmin,
        (status = 404, description = "The code is not suppressed", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["admin"])),
)]
#[get("/suppressions/{code}")]
pub async fn get_suppression(
    _: Authorized<Admin>,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let lookup = code.clone();
    if state
        .read(move |store| store.is_suppressed(&lookup))
        .await?
    {
        Ok(HttpResponse::Ok().json(SuppressionStatus {
            code,
            suppressed: true,
        }))
    } else {
        Err(ApiError::NotFound(format!("`{code}` is not suppressed")))
    }
}

/// The answer of `GET /suppressions/{code}` when the code is suppressed.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SuppressionStatus {
    /// The code asked about, as sent.
    pub code: String,
    /// Always true here (an unsuppressed code answers 404).
    pub suppressed: bool,
}

/// Lift a suppression, so the code may be posted again.
#[utoipa::path(
    tag = "customers",
    params(("code" = String, Path, description = "The erased customer's code")),
    responses(
        (status = 204, description = "Lifted"),
        PathRefused,
        NeedsAdmin,
        (status = 404, description = "The code is not suppressed", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["admin"])),
)]
#[delete("/suppressions/{code}")]
pub async fn delete_suppression(
    _: Authorized<Admin>,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let lookup = code.clone();
    if state.write(move |store| store.unsuppress(&lookup)).await? {
        tracing::info!("suppression lifted");
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(format!("`{code}` is not suppressed")))
    }
}
