//! `DELETE /suppressions/{code}`: lets an erased, suppressed code be posted again.

use actix_web::{HttpRequest, HttpResponse, delete, web};

use crate::AppState;
use crate::auth::Scope;
use crate::error::ApiError;

pub fn configure(config: &mut web::ServiceConfig) {
    config.service(delete_suppression);
}

#[delete("/suppressions/{code}")]
async fn delete_suppression(
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
    if web::block(move || store.unsuppress(&lookup)).await?? {
        tracing::info!(%code, "suppression lifted");
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(format!("`{code}` is not suppressed")))
    }
}
