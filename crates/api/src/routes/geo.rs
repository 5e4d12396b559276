//! `GET /geo/resolve`: what the resolver makes of a country, state and city.

use actix_web::{HttpRequest, HttpResponse, get, web};
use clientela_core::geo::GeoInput;
use clientela_core::wire::GeoResolveResponse;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Scope;
use crate::error::ApiError;

pub fn configure(config: &mut web::ServiceConfig) {
    config.service(get_geo_resolve);
}

#[derive(Debug, Deserialize)]
struct ResolveParams {
    country: Option<String>,
    state: Option<String>,
    city: Option<String>,
}

#[get("/geo/resolve")]
async fn get_geo_resolve(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ResolveParams>,
) -> Result<HttpResponse, ApiError> {
    state
        .keys
        .authorize(&request, &state.store, Scope::Read)
        .await?;
    let input = GeoInput {
        country: params.country.as_deref(),
        state: params.state.as_deref(),
        city: params.city.as_deref(),
    };
    let response = GeoResolveResponse::from(state.resolver.resolve(&input));
    Ok(HttpResponse::Ok().json(response))
}
