//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and the wire types' schemas; served at `/openapi.json` and browsable at `/docs`.
//!
//! Architecture Invariant: every route the server registers is described here. A test
//! compares the routes declared in `crates/api/src` with the document's paths and methods,
//! and another calls every documented operation on a running server.

pub mod examples;
mod responses;
mod schemas;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub use responses::{
    DatabaseUnavailable, KeyRefused, NeedsAdmin, NeedsRead, NeedsWrite, PathRefused,
};
pub use schemas::{
    CustomerBatch, CustomerInput, Liveness, PostCustomersBody, PostCustomersResponse, Readiness,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "clientela",
        description = "A self-hosted customer-profile service: POST customers (one, or up to \
                       100 per request), merged into stored profiles with their place \
                       normalized; read, list and erase them.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
    ),
    modifiers(&BearerKey),
    tags(
        (name = "customers", description = "Create, update, read, list and erase customers"),
        (name = "changes", description = "Follow every committed change, exactly once, in commit order"),
        (name = "webhooks", description = "Push the change feed to a URL: signed, in order, retried"),
        (name = "places", description = "How country, state and city are understood"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    ),
)]
struct ApiDoc;

/// The document without its paths and their schemas, which `routes::document` adds.
pub fn frame() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The `bearer` security scheme every protected operation names.
struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("clientela_<id>_<secret>")
                    .description(Some(
                        "An API key from `clientela-api key create` (the first start writes an \
                         admin key to `<data_dir>/admin.key`). Scopes: `read`; `write`, which \
                         implies read; `admin`, which implies both. Each operation names the \
                         scope it needs.",
                    ))
                    .build(),
            ),
        );
    }
}
