//! `DELETE /customers/{code}`: erasure, optionally suppressing the code for good.

use actix_web::{HttpResponse, delete, web};
use clientela_core::wire::Problem;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::http::authorized::{Admin, Authorized};
use crate::openapi::{DatabaseUnavailable, KeyRefused, NeedsAdmin, PathRefused};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Also refuse later POSTs of this code (409) until `DELETE /suppressions/{code}`.
    #[serde(default)]
    suppress: bool,
}

/// Erase a customer (right to erasure).
///
/// With `suppress=true`, a hash of the code is kept so later POSTs of it are refused (409)
/// until `DELETE /suppressions/{code}`.
#[utoipa::path(
    tag = "customers",
    params(("code" = String, Path, description = "The customer's code"), DeleteParams),
    responses(
        (status = 204, description = "Erased"),
        PathRefused,
        NeedsAdmin,
        (status = 404, description = "No customer has this code", body = Problem, content_type = "application/problem+json"),
        KeyRefused,
        DatabaseUnavailable,
    ),
    security(("bearer" = ["admin"])),
)]
#[delete("/customers/{code}")]
pub async fn delete_customer(
    state: web::Data<AppState>,
    code: web::Path<String>,
    params: web::Query<DeleteParams>,
    _: Authorized<Admin>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let suppress = params.suppress;
    let target = code.clone();
    if state
        .write(move |store| store.delete(&target, suppress))
        .await?
    {
        // Not the code: an erased customer's code must not stay behind in the logs (the
        // request span leaves DELETE paths out too). The request ID ties the line to the
        // client's request.
        tracing::info!(suppress, "customer erased");
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(format!(
            "no customer has the code `{code}`"
        )))
    }
}
