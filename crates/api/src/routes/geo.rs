//! `GET /geo/resolve`: what the resolver makes of a country, state and city.

use actix_web::{HttpResponse, get, web};
use clientela_core::geo::GeoInput;
use clientela_core::wire::{GeoResolveResponse, Problem};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::http::authorized::{Authorized, Read};
use crate::metrics::ResolutionSource;
use crate::openapi::{KeyRefused, NeedsRead};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config.service(get_geo_resolve);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResolveParams {
    /// Country: name, ISO 3166-1 alpha-2, alpha-3 or numeric, or WikiData ID.
    #[param(example = "ES")]
    country: Option<String>,
    /// State: name, ISO 3166-2, FIPS 10-4 or WikiData ID.
    #[param(example = "Barcelona")]
    state: Option<String>,
    /// City: name or WikiData ID.
    #[param(example = "Q11355")]
    city: Option<String>,
}

/// What the resolver makes of a country, state and city (nothing is stored).
#[utoipa::path(
    tag = "places",
    params(ResolveParams),
    responses(
        (status = 200, description = "The location as a customer with these fields would get it, and warnings",
            body = GeoResolveResponse),
        (status = 400, description = "A query string that does not parse, or two `Authorization` headers", body = Problem, content_type = "application/problem+json"),
        NeedsRead,
        KeyRefused,
    ),
    security(("bearer" = ["read"])),
)]
#[get("/geo/resolve")]
pub async fn get_geo_resolve(
    state: web::Data<AppState>,
    params: web::Query<ResolveParams>,
    _: Authorized<Read>,
) -> Result<HttpResponse, ApiError> {
    let input = GeoInput {
        country: params.country.as_deref(),
        state: params.state.as_deref(),
        city: params.city.as_deref(),
    };
    let response = GeoResolveResponse::from(state.resolver.resolve(&input));
    state
        .metrics
        .observe_resolution(response.location.status, ResolutionSource::Lookup);
    Ok(HttpResponse::Ok().json(response))
}
