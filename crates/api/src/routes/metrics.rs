//! `GET /metrics`: Prometheus text, no key needed (see [`crate::metrics`] for what is in it).

use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config.service(get_metrics);
}

/// Prometheus metrics of this replica.
///
/// Requests by method, route pattern and status (count and latency histogram), customers
/// written by result, place resolutions by outcome, database pool usage and build info.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4",
        body = String, content_type = "text/plain; version=0.0.4")),
)]
#[get("/metrics")]
pub async fn get_metrics(state: web::Data<AppState>) -> HttpResponse {
    // Reading pool state takes the pools' locks; keep it off the async workers.
    let (pools, groups) = state
        .read(|store| Ok::<_, ApiError>((store.pool_usage(), store.write_groups())))
        .await
        .unwrap_or((Vec::new(), None));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&pools, groups))
}
