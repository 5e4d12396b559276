//! `/healthz` (the process answers) and `/readyz` (and its database does). No key needed.

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;

pub fn configure(config: &mut web::ServiceConfig) {
    config.service(get_healthz).service(get_readyz);
}

#[get("/healthz")]
async fn get_healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

#[get("/readyz")]
async fn get_readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    web::block(move || store.ping()).await??;
    Ok(HttpResponse::Ok().json(json!({"status": "ready", "database": state.store.kind()})))
}
