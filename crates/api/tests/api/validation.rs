//! Every validation rule, malformed JSON and the body limit, over HTTP.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::on_both_backends;

/// A body, the field the 422 must name, and what the rule is.
fn invalid_cases() -> Vec<(Value, &'static str)> {
    let this_year = clientela_core::customer::current_year();
    vec![
        (json!({"country": "ES"}), "code"),
        (json!({"code": ""}), "code"),
        (json!({"code": 12}), "code"),
        (json!({"code": "x".repeat(256)}), "code"),
        (json!({"code": "a\u{0}b"}), "code"),
        (json!({"code": "a\nb"}), "code"),
        (json!({"code": "V", "isActive": "yes"}), "isActive"),
        (json!({"code": "V", "country": ["ES"]}), "country"),
        (json!({"code": "V", "country": "x".repeat(256)}), "country"),
        (json!({"code": "V", "state": 5}), "state"),
        (json!({"code": "V", "city": "y".repeat(256)}), "city"),
        (json!({"code": "V", "yearBorn": 1849}), "yearBorn"),
        (json!({"code": "V", "yearBorn": this_year + 10}), "yearBorn"),
        (json!({"code": "V", "yearBorn": "1990"}), "yearBorn"),
        (json!({"code": "V", "gender": 4}), "gender"),
        (json!({"code": "V", "gender": -1}), "gender"),
        (json!({"code": "V", "metadata": "text"}), "metadata"),
        (
            json!({"code": "V", "metadata": {"k": "v".repeat(60_000)}}),
            "metadata",
        ),
        (json!({"code": "V", "metadata": deep(33)}), "metadata"),
        (json!({"code": "V", "yearborn": 1990}), "yearborn"),
    ]
}

fn deep(levels: usize) -> Value {
    let mut value = json!(1);
    for _ in 0..levels {
        value = json!({ "k": value });
    }
    value
}

on_both_backends! {
    /// Each broken rule is a 422 problem naming the field, and nothing is written.
    fn every_rule_is_enforced(app: &TestApp) {
        for (body, field) in invalid_cases() {
            let (status, problem) = app.post(&body);
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {problem}");
            assert_eq!(problem["status"], 422);
            let fields: Vec<&str> =
                problem["errors"].as_array().into_iter().flatten().filter_map(|e| e["field"].as_str()).collect();
            assert!(fields.contains(&field), "{body}: expected an error on {field}, got {problem}");
        }
        assert_eq!(app.count(), 0, "no invalid customer was written");
    }
}

on_both_backends! {
    /// An unknown field is named along with the field it probably meant.
    fn unknown_field_suggests_the_closest(app: &TestApp) {
        let (_, problem) = app.post(&json!({"code": "V", "yearborn": 1990}));
        let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("yearBorn"), "{message}");
    }
}

on_both_backends! {
    /// All problems of one object are reported at once.
    fn all_problems_are_reported_together(app: &TestApp) {
        let (_, problem) = app.post(&json!({"code": "V", "gender": 9, "yearBorn": 3000, "colour": 1}));
        assert_eq!(problem["errors"].as_array().map(Vec::len), Some(3), "{problem}");
    }
}

on_both_backends! {
    /// Malformed JSON and invalid UTF-8 are 400 problem documents.
    fn malformed_json_is_400(app: &TestApp) {
        for body in [&b"{\"code\": "[..], &b"[{}"[..], &b"\xff\xfe"[..], &b""[..]] {
            let response = app
                .request(reqwest::Method::POST, "/customers")
                .header("content-type", "application/json")
                .body(body.to_vec())
                .send()
                .expect("request");
            assert_eq!(response.status(), StatusCode::BAD_REQUEST);
            assert_eq!(
                response.headers()["content-type"].to_str().unwrap_or_default(),
                "application/problem+json"
            );
        }
        assert_eq!(app.count(), 0);
    }
}

on_both_backends! {
    /// A body over the limit is 413 and writes nothing.
    fn oversized_body_is_413(app: &TestApp) {
        let huge = "x".repeat(26 * 1024 * 1024);
        let body = format!("{{\"code\":\"big\",\"metadata\":{{\"k\":\"{huge}\"}}}}");
        let response = app
            .request(reqwest::Method::POST, "/customers")
            .header("content-type", "application/json")
            .body(body)
            .send();
        // The server may close the connection once the limit is passed; if it answers, 413.
        if let Ok(response) = response {
            assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        }
        assert_eq!(app.customer("big"), None);
    }
}

on_both_backends! {
    /// Codes are stored exactly as sent, whatever characters they hold.
    fn codes_are_stored_exactly_as_sent(app: &TestApp) {
        for code in ["with space ", "slash/inside", "ünïcødé-🙂", "50%off", "x?y#z", "'; DROP TABLE customers; --"] {
            let (status, body) = app.post(&json!({"code": code}));
            assert_eq!(status, StatusCode::OK, "{code}: {body}");
            let stored = app.customer(code).unwrap_or_else(|| panic!("{code} readable"));
            assert_eq!(stored["code"], code);
        }
        assert_eq!(app.count(), 6);
    }
}
