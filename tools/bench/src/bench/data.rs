//! Seed-like customers for benchmarks: the fields of the API page's example, with metadata,
//! spread over a few countries.

use serde_json::{Value, json};

const PLACES: [(&str, &str, &str); 6] = [
    ("ES", "Barcelona", "Barcelona"),
    ("FR", "Paris", "Paris"),
    ("DE", "Berlin", "Berlin"),
    ("US", "California", "Los Angeles"),
    ("IT", "Lombardy", "Milan"),
    ("GB", "England", "London"),
];

/// The customer with this number, for run `run` (codes are unique per run and number).
pub fn customer(run: &str, number: u64) -> Value {
    let (country, state, city) = place(number);
    let segment = ["retail", "b2b", "vip"][(number % 3) as usize];
    json!({
        "code": code(run, number),
        "country": country,
        "state": state,
        "city": city,
        "yearBorn": 1950 + (number % 60),
        "gender": number % 4,
        "metadata": {
            "currentDiscountRate": format!("{}%", number % 30),
            "isNew": number.is_multiple_of(2),
            "segment": segment,
            "lastOrder": {"id": format!("O{number:09}"), "total": (number % 500) as f64 + 0.99}
        }
    })
}

/// A merge patch of an existing customer: one metadata key changes, one appears.
pub fn patch(run: &str, number: u64, round: u64) -> Value {
    json!({
        "code": code(run, number),
        "metadata": {"isNew": false, "visits": round, "lastOrder": {"total": round as f64}}
    })
}

/// The country, state and city of customer `number`.
pub fn place(number: u64) -> (&'static str, &'static str, &'static str) {
    PLACES[(number % PLACES.len() as u64) as usize]
}

pub fn code(run: &str, number: u64) -> String {
    format!("{run}-{number:010}")
}
