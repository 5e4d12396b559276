//! `GET /openapi.json` (the OpenAPI 3.1 document) and `/docs` (Swagger UI, its files embedded
//! in the binary: no CDN, works offline). No key needed.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::{Config, SwaggerUi};

pub fn configure(config: &mut ServiceConfig) {
    config.service(get_openapi).service(get_docs).map(|config| {
        // The page's own files are no operation of the API: not in the document.
        config.service(SwaggerUi::new("/docs/{_:.*}").config(Config::new(["/openapi.json"])))
    });
}

/// The document as served, made once when the server starts (`routes::document`) and
/// given to the app as data, so this module needs no way back to the list of routes.
#[derive(Debug)]
pub struct OpenApiJson(pub String);

/// This document.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)),
)]
#[get("/openapi.json")]
pub async fn get_openapi(document: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.0.clone())
}

/// A browsable page of this document (Swagger UI), under `/docs/`.
#[utoipa::path(
    tag = "operations",
    responses((status = 308, description = "Redirects to `/docs/`, the page itself",
        headers(("Location" = String, description = "`/docs/`")))),
)]
#[get("/docs")]
pub async fn get_docs() -> HttpResponse {
    // The page's files refer to each other relatively, so it must be served from `/docs/`.
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}
