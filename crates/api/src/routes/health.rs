//! `/healthz` (the process answers) and `/readyz` (and its database does). No key needed.

use actix_web::{HttpResponse, get, web};
use clientela_core::wire::Problem;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::openapi::{Liveness, Readiness};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config.service(get_healthz).service(get_readyz);
}

/// Liveness: the process answers.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Alive", body = Liveness)),
)]
#[get("/healthz")]
pub async fn get_healthz() -> HttpResponse {
    HttpResponse::Ok().json(Liveness { status: "ok" })
}

/// Readiness: the process and its database answer (from a probe of the last second,
/// so the answer comes within a second even while the database does not answer).
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/readyz")]
pub async fn get_readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .readiness
        .check(&state.store)
        .await
        .map_err(ApiError::Unavailable)?;
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        database: state.store.kind(),
    }))
}
