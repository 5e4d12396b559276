//! Schemas of the request bodies and small answers that have no wire type of their own.
//!
//! `POST /customers` bodies are parsed by `clientela_core::parse_customer`, which checks more
//! than a schema can say (and names the closest field to an unknown one), so the request
//! shape is described here. A test keeps [`CustomerInput`]'s properties equal to
//! `clientela_core::validate::KNOWN_FIELDS`.

use clientela_core::wire::{BatchResponse, SingleResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::Schema;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, SchemaType, Type};

/// One customer as sent: a merge patch of the stored customer. A field left out keeps its
/// value; a field sent as null is removed (`isActive` goes back to true).
// Deserialize only lends the schema its serde spelling (camelCase, no other field).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!(super::examples::customer_input()))]
pub struct CustomerInput {
    /// The customer's code: 1 to 255 characters, no control characters, stored exactly as
    /// sent.
    #[schema(min_length = 1, max_length = 255, example = "D314K1432")]
    pub code: String,
    /// Whether the customer takes part in processing; true when left out or null.
    #[schema(default = true)]
    pub is_active: Option<bool>,
    /// Country: English or native name, ISO 3166-1 alpha-2, alpha-3 or numeric (also as a
    /// JSON integer), or WikiData ID. Up to 255 characters.
    #[schema(schema_with = country_schema)]
    pub country: Option<String>,
    /// State, region or province: name, ISO 3166-2 (`ES-B`), FIPS 10-4 or WikiData ID. Up
    /// to 255 characters.
    #[schema(max_length = 255, example = "Barcelona")]
    pub state: Option<String>,
    /// City or town: name or WikiData ID. Up to 255 characters.
    #[schema(max_length = 255, example = "Q11355")]
    pub city: Option<String>,
    /// Birth year, 1850 to the current year.
    #[schema(minimum = 1850, example = 1990)]
    pub year_born: Option<i32>,
    /// 0 unknown, 1 male, 2 female, 3 other.
    #[schema(minimum = 0, maximum = 3, example = 2)]
    pub gender: Option<u8>,
    /// Free JSON object, at most 60000 characters serialized compactly and nested at most
    /// 32 deep. On update it merges key by key, recursively; a key set to null is deleted.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `country` takes a string or an ISO 3166-1 numeric code as a JSON integer (or null).
fn country_schema() -> Schema {
    Schema::OneOf(
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .max_length(Some(255))
                    .examples(["ES", "ESP", "Spain", "Q29"]),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::Integer))
                    .minimum(Some(0))
                    .maximum(Some(999))
                    .examples([724]),
            )
            .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)))
            .build(),
    )
}

/// 1 to 100 customers in one request.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(min_items = 1, max_items = 100)]
pub struct CustomerBatch(pub Vec<CustomerInput>);

/// The body of `POST /customers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PostCustomersBody {
    One(CustomerInput),
    Many(CustomerBatch),
}

/// The answer of `POST /customers`: shaped like the body (one object or an array).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum PostCustomersResponse {
    One(Box<SingleResponse>),
    Many(BatchResponse),
}

/// `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// `GET /readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// Always `ready`.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    pub database: &'static str,
}
