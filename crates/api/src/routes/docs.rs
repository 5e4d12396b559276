//! `GET /openapi.json` (the OpenAPI 3.1 document) and `/docs` (Swagger UI, its files embedded
//! in the binary: no CDN, works offline). No key needed.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use utoipa_swagger_ui::{Config, SwaggerUi};

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(get_openapi)
        .service(get_docs)
        .service(SwaggerUi::new("/docs/{_:.*}").config(Config::new(["/openapi.json"])));
}

/// This document.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)),
)]
#[get("/openapi.json")]
pub async fn get_openapi() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let json = DOCUMENT.get_or_init(|| {
        crate::openapi::document()
            .to_json()
            .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"))
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json.as_str())
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
