//! Examples of the OpenAPI document, taken from the API page (`shared/seed/customers-post.mdx`).

use serde_json::{Value, json};

/// The single-customer example of the API page.
pub fn customer_input() -> Value {
    json!({
        "code": "D314K1432",
        "country": "ES",
        "state": "Barcelona",
        "city": "Q11355",
        "yearBorn": 1990,
        "gender": 2,
        "metadata": {
            "currentDiscountRate": "10%",
            "isNew": true
        }
    })
}

/// The array example of the API page.
pub fn batch_input() -> Value {
    json!([customer_input(), {"code": "N4213S4123"}])
}

/// The stored customer the single example creates.
pub fn customer() -> Value {
    json!({
        "code": "D314K1432",
        "isActive": true,
        "country": "ES",
        "state": "Barcelona",
        "city": "Q11355",
        "yearBorn": 1990,
        "gender": 2,
        "metadata": {"currentDiscountRate": "10%", "isNew": true},
        "location": {
            "country": {"code": "ES", "alpha3": "ESP", "name": "Spain", "wikidataId": "Q29"},
            "state": {"code": "ES-B", "name": "Barcelona", "wikidataId": null},
            "city": null,
            "status": "partial"
        },
        "createdAt": "2026-11-28T18:00:00.123456Z",
        "updatedAt": "2026-11-28T18:00:00.123456Z",
        "version": 1
    })
}

pub fn single_response() -> Value {
    json!({
        "code": "D314K1432",
        "result": "created",
        "customer": customer(),
        "warnings": [
            {"field": "city", "kind": "unresolved", "message": "`Q11355` is not the WikiData ID of any city the gazetteer or its overlays know; kept as sent"}
        ]
    })
}

pub fn batch_response() -> Value {
    json!({
        "results": [
            {"index": 0, "code": "D314K1432", "result": "updated", "warnings": []},
            {"index": 1, "code": "N4213S4123", "result": "created", "warnings": []}
        ],
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "failed": 0
    })
}

pub fn list_page() -> Value {
    json!({"items": [customer()], "next": "RDMxNEsxNDMy"})
}

pub fn invalid_problem() -> Value {
    json!({
        "type": "urn:clientela:problem:invalid",
        "title": "Invalid request",
        "status": 422,
        "detail": "the customer is invalid",
        "errors": [
            {"field": "yearBorn", "message": "yearBorn must be between 1850 and the current year"}
        ]
    })
}
