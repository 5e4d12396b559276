//! `DELETE /customers/{code}`: erasure, optionally suppressing the code for good.

use actix_web::{HttpRequest, HttpResponse, delete, web};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Scope;
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
struct DeleteParams {
    /// Also refuse later POSTs of this code (409) until `DELETE /suppressions/{code}`.
    #[serde(default)]
    suppress: bool,
}

#[delete("/customers/{code}")]
pub async fn delete_customer(
    request: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    params: web::Query<DeleteParams>,
) -> Result<HttpResponse, ApiError> {
    state
        .keys
        .authorize(&request, &state.store, Scope::Admin)
        .await?;
    let code = code.into_inner();
    let suppress = params.suppress;
    let store = state.store.clone();
    let target = code.clone();
    if web::block(move || store.delete(&target, suppress)).await?? {
        tracing::info!(%code, suppress, "customer erased");
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(format!(
            "no customer has the code `{code}`"
        )))
    }
}
