//! Property test: generated bodies, valid and invalid (odd JSON, wrong types, hostile
//! strings, arrays, bytes that are not JSON), posted to the real server. Whatever is sent,
//! the answer is never a 5xx, every error is a problem document, and every 200 has the
//! documented shape.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::StatusCode;
use serde_json::{Map, Number, Value, json};

use crate::support::TestApp;

const FIELDS: [&str; 9] = [
    "code", "isActive", "country", "state", "city", "yearBorn", "gender", "metadata", "colour",
];

/// Strings a client might send, the hostile ones included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9 _%'\"-]{0,12}",
        "\\PC{0,8}",
        Just(String::new()),
        Just("ES".to_owned()),
        Just("Barcelona".to_owned()),
        Just("a\u{0}b".to_owned()),
        Just("\u{202E}rtl".to_owned()),
        Just("e\u{301}".to_owned()),
        Just("x".repeat(256)),
        Just("'; DROP TABLE customers; --".to_owned()),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        (1850_i64..2030).prop_map(Value::from),
        (0_i64..5).prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |float| Number::from_f64(float).map(Value::Number)),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..4)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An object shaped like a customer: known fields (and a misspelt one) with any values.
fn customer_like() -> impl Strategy<Value = Value> {
    (
        text(),
        prop::collection::vec((prop::sample::select(FIELDS.to_vec()), json_value()), 0..6),
        any::<bool>(),
    )
        .prop_map(|(code, fields, with_code)| {
            let mut object = Map::new();
            if with_code {
                object.insert("code".into(), Value::String(code));
            }
            for (field, value) in fields {
                object.insert(field.to_owned(), value);
            }
            Value::Object(object)
        })
}

/// A customer that follows every rule, so the valid paths are exercised too.
fn valid_customer() -> impl Strategy<Value = Value> {
    (
        "[A-Za-z0-9-]{1,12}",
        prop::option::of(prop::sample::select(vec!["ES", "Spain", "724", "DE", "Atlantis"])),
        prop::option::of(1850_i64..2000),
        prop::option::of(0_i64..4),
        prop::option::of(prop::collection::btree_map("[a-z]{1,4}", json_value(), 0..4)),
    )
        .prop_map(|(code, country, year_born, gender, metadata)| {
            json!({"code": code, "country": country, "yearBorn": year_born, "gender": gender, "metadata": metadata})
        })
}

/// A request body as bytes, and the JSON it holds if it is JSON.
fn body() -> impl Strategy<Value = (Vec<u8>, Option<Value>)> {
    let as_json = |value: Value| (value.to_string().into_bytes(), Some(value));
    prop_oneof![
        2 => valid_customer().prop_map(as_json),
        3 => customer_like().prop_map(as_json),
        2 => prop::collection::vec(customer_like(), 0..4).prop_map(Value::Array).prop_map(as_json),
        1 => json_value().prop_map(as_json),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(|bytes| (bytes, None)),
    ]
}

fn check_answer(
    status: StatusCode,
    content_type: &str,
    answer: &Value,
    sent: Option<&Value>,
) -> Result<(), TestCaseError> {
    prop_assert!(!status.is_server_error(), "{status}: {answer}");
    if status != StatusCode::OK {
        prop_assert_eq!(content_type, "application/problem+json");
        prop_assert!(
            answer["type"].is_string() && answer["title"].is_string(),
            "{}",
            answer
        );
        prop_assert_eq!(answer["status"].as_u64(), Some(u64::from(status.as_u16())));
        return Ok(());
    }
    prop_assert_eq!(content_type, "application/json");
    match sent {
        Some(Value::Object(_)) => {
            prop_assert!(answer["code"].is_string(), "{}", answer);
            let result = answer["result"].as_str().unwrap_or_default();
            prop_assert!(
                ["created", "updated", "unchanged"].contains(&result),
                "{}",
                answer
            );
            prop_assert_eq!(&answer["customer"]["code"], &answer["code"]);
            prop_assert!(
                answer["customer"]["version"]
                    .as_i64()
                    .is_some_and(|version| version >= 1)
            );
            prop_assert!(answer["warnings"].is_array());
        }
        Some(Value::Array(items)) => {
            let results = answer["results"].as_array().cloned().unwrap_or_default();
            prop_assert_eq!(results.len(), items.len());
            let total: u64 = ["created", "updated", "unchanged", "failed"]
                .iter()
                .filter_map(|count| answer[count].as_u64())
                .sum();
            prop_assert_eq!(total, items.len() as u64);
            for (index, result) in results.iter().enumerate() {
                prop_assert_eq!(result["index"].as_u64(), Some(index as u64));
                prop_assert!(
                    result["result"].is_string() != result["error"].is_object(),
                    "{}",
                    result
                );
            }
        }
        other => prop_assert!(
            false,
            "200 for a body that is not an object or array: {other:?}"
        ),
    }
    Ok(())
}

#[test]
fn any_body_gets_a_documented_answer_and_never_a_5xx() {
    let app = TestApp::sqlite();
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    let queries = prop::sample::select(vec!["", "?atomic=true", "?strict=true", "?atomic=1"]);
    let outcome = runner.run(&(body(), queries), |((bytes, sent), query)| {
        let response = app
            .request(reqwest::Method::POST, &format!("/customers{query}"))
            .header("content-type", "application/json")
            .body(bytes)
            .send()
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let answer: Value = response.json().unwrap_or(json!(null));
        check_answer(status, &content_type, &answer, sent.as_ref())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    assert!(
        app.count() > 0,
        "some generated bodies were valid customers"
    );
}
