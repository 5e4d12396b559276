//! Arrays: up to 100 items, per-item results, atomic mode, duplicates applied in order.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{on_both_backends, send};

fn customers(count: usize, prefix: &str) -> Value {
    Value::Array(
        (0..count)
            .map(|index| json!({"code": format!("{prefix}{index:03}"), "country": "DE"}))
            .collect(),
    )
}

on_both_backends! {
    /// 100 customers in one request are all created.
    fn batch_of_100_is_accepted(app: &TestApp) {
        let (status, body) = app.post(&customers(100, "B"));
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["created"], 100);
        assert_eq!(body["results"].as_array().map(Vec::len), Some(100));
        assert_eq!(app.count(), 100);
    }
}

on_both_backends! {
    /// 101 customers are refused as a whole with 422, and none is written.
    fn batch_of_101_writes_nothing(app: &TestApp) {
        let (status, problem) = app.post(&customers(101, "B"));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(problem["detail"].as_str().unwrap_or_default().contains("101"));
        assert_eq!(app.count(), 0);
    }
}

on_both_backends! {
    /// An empty array and a body that is neither object nor array are 422.
    fn empty_array_and_scalars_are_refused(app: &TestApp) {
        for body in [json!([]), json!("D314K1432"), json!(42), json!(null)] {
            let (status, problem) = app.post(&body);
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {problem}");
        }
        assert_eq!(app.count(), 0);
    }
}

on_both_backends! {
    /// In a mixed batch each valid item is saved and each invalid one reported by index.
    fn mixed_batch_saves_the_valid_items(app: &TestApp) {
        app.post(&json!({"code": "M2", "city": "Berlin"}));
        let (status, body) = app.post(&json!([
            {"code": "M1", "gender": 1},
            {"code": "M2", "city": "Berlin"},
            {"code": "M3", "gender": 7},
            {"country": "ES"},
            {"code": "M2", "city": "Hamburg"},
        ]));
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["created"], 1);
        assert_eq!(body["unchanged"], 1);
        assert_eq!(body["updated"], 1);
        assert_eq!(body["failed"], 2);
        let results = &body["results"];
        assert_eq!(results[2]["code"], "M3");
        assert_eq!(results[2]["error"]["status"], 422);
        assert_eq!(results[2]["error"]["errors"][0]["field"], "gender");
        assert_eq!(results[3]["code"], Value::Null);
        assert_eq!(results[3]["error"]["errors"][0]["field"], "code");
        assert_eq!(results[4]["result"], "updated");
        assert!(app.customer("M1").is_some());
        assert_eq!(app.customer("M3"), None);
        assert_eq!(app.customer("M2").expect("stored")["city"], "Hamburg");
    }
}

on_both_backends! {
    /// With ?atomic=true one invalid item means nothing is saved; all valid means all are.
    fn atomic_batch_is_all_or_nothing(app: &TestApp) {
        let (status, problem) = app.post_to(
            "/customers?atomic=true",
            &json!([{"code": "A1"}, {"code": "A2", "yearBorn": 1700}, {"code": "A3"}]),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["index"], 1);
        assert_eq!(problem["errors"][0]["field"], "yearBorn");
        assert_eq!(app.count(), 0, "nothing written");

        let (status, body) =
            app.post_to("/customers?atomic=true", &json!([{"code": "A1"}, {"code": "A3"}]));
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["created"], 2);
        assert_eq!(app.count(), 2);
    }
}

on_both_backends! {
    /// A code sent twice in one batch: the second patch applies on top of the first.
    fn duplicate_codes_apply_in_order(app: &TestApp) {
        let (status, body) = app.post(&json!([
            {"code": "D1", "city": "Porto", "metadata": {"a": 1}},
            {"code": "D1", "metadata": {"b": 2}},
            {"code": "D1", "city": null},
        ]));
        assert_eq!(status, StatusCode::OK, "{body}");
        let results: Vec<&Value> = body["results"].as_array().expect("results").iter().collect();
        assert_eq!(results[0]["result"], "created");
        assert_eq!(results[1]["result"], "updated");
        assert_eq!(results[2]["result"], "updated");
        let stored = app.customer("D1").expect("stored");
        assert_eq!(stored["metadata"], json!({"a": 1, "b": 2}));
        assert_eq!(stored["city"], Value::Null);
        assert_eq!(stored["version"], 3);
    }
}

on_both_backends! {
    /// A code's stored state is its last change in the batch, also when a later patch of it
    /// changes nothing, and whatever other codes sit between.
    fn a_code_whose_last_patch_changes_nothing_keeps_its_earlier_change(app: &TestApp) {
        let (status, body) = app.post(&json!([
            {"code": "E1", "city": "Porto", "metadata": {"a": 1}},
            {"code": "E2", "city": "Lima"},
            {"code": "E1", "city": "Porto"},
            {"code": "E2", "metadata": {"b": 2}},
            {"code": "E1", "metadata": {"a": 1}},
        ]));
        assert_eq!(status, StatusCode::OK, "{body}");
        let results: Vec<&str> = body["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|item| item["result"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            results,
            ["created", "created", "unchanged", "updated", "unchanged"]
        );
        let first = app.customer("E1").expect("E1 stored");
        assert_eq!(first["city"], "Porto");
        assert_eq!(first["metadata"], json!({"a": 1}));
        assert_eq!(first["version"], 1);
        let second = app.customer("E2").expect("E2 stored");
        assert_eq!(second["city"], "Lima");
        assert_eq!(second["metadata"], json!({"b": 2}));
        assert_eq!(second["version"], 2);
    }
}

on_both_backends! {
    /// Posting the same batch again is safe: everything comes back unchanged.
    fn a_retried_batch_changes_nothing(app: &TestApp) {
        let batch = customers(20, "R");
        app.post(&batch);
        let (_, body) = app.post(&batch);
        assert_eq!(body["unchanged"], 20);
        assert_eq!(app.customer("R007").expect("stored")["version"], 1);
    }
}

on_both_backends! {
    /// A refused item's `error` is exactly the problem document the same customer is answered
    /// when posted alone: same status, type, title, detail and field errors.
    fn a_refused_item_carries_the_answer_the_customer_gets_alone(app: &TestApp) {
        app.post(&json!({"code": "SUP-1"}));
        assert_eq!(app.delete("/customers/SUP-1?suppress=true"), StatusCode::NO_CONTENT);
        let refused = [
            json!({"code": "BAD-1", "gender": 7, "yearBorn": 1200}),
            json!({"code": "BAD-2", "colour": "blue"}),
            json!({"gender": 1}),
            json!({"code": "SUP-1", "city": "Oslo"}),
        ];
        for customer in refused {
            let (status, alone) = app.post(&customer);
            assert!(status.is_client_error(), "{customer}: {alone}");
            assert_eq!(alone["status"], status.as_u16(), "{alone}");
            let (status, batch) = app.post(&json!([{"code": "OK-1"}, customer]));
            assert_eq!(status, StatusCode::OK, "{batch}");
            assert_eq!(batch["results"][1]["error"], alone, "{customer}");
            assert_eq!(batch["results"][1]["code"], customer["code"]);
        }
    }
}

on_both_backends! {
    /// A precondition is refused the same way: 412 alone; an array cannot carry one (400), so
    /// no item of a batch is ever refused for it.
    fn a_precondition_applies_to_one_customer_only(app: &TestApp) {
        app.post(&json!({"code": "PRE-1"}));
        let (status, alone) = send(
            app.request(reqwest::Method::POST, "/customers")
                .header("if-none-match", "*")
                .json(&json!({"code": "PRE-1"})),
        );
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{alone}");
        assert_eq!(alone["title"], "Precondition failed");
        let (status, batch) = send(
            app.request(reqwest::Method::POST, "/customers")
                .header("if-none-match", "*")
                .json(&json!([{"code": "PRE-1"}])),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{batch}");
    }
}
