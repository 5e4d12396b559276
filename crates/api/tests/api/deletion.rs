//! Erasure and suppression.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::on_both_backends;

on_both_backends! {
    /// DELETE erases (204, then 404); the code may be posted again afterwards.
    fn delete_erases_the_customer(app: &TestApp) {
        app.post(&json!({"code": "E1", "metadata": {"email": "e1@example.com"}}));
        assert_eq!(app.delete("/customers/E1"), StatusCode::NO_CONTENT);
        assert_eq!(app.customer("E1"), None);
        assert_eq!(app.delete("/customers/E1"), StatusCode::NOT_FOUND);
        let (_, body) = app.post(&json!({"code": "E1"}));
        assert_eq!(body["result"], "created");
        assert_eq!(app.customer("E1").expect("recreated")["metadata"], serde_json::Value::Null);
    }
}

on_both_backends! {
    /// With suppress=true later POSTs of the code are 409 until the suppression is lifted.
    fn suppressed_codes_are_refused_until_lifted(app: &TestApp) {
        app.post(&json!({"code": "E2"}));
        assert_eq!(app.delete("/customers/E2?suppress=true"), StatusCode::NO_CONTENT);

        let (status, problem) = app.post(&json!({"code": "E2", "city": "Oslo"}));
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        let (status, body) = app.post(&json!([{"code": "E2"}, {"code": "E3"}]));
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["results"][0]["error"]["status"], 409);
        assert_eq!(body["created"], 1);
        assert_eq!(app.customer("E2"), None);

        assert_eq!(app.delete("/suppressions/E2"), StatusCode::NO_CONTENT);
        assert_eq!(app.delete("/suppressions/E2"), StatusCode::NOT_FOUND);
        let (status, _) = app.post(&json!({"code": "E2"}));
        assert_eq!(status, StatusCode::OK);
        assert!(app.customer("E2").is_some());
    }
}

on_both_backends! {
    /// The suppression list holds a hash, never the erased code itself.
    fn suppression_stores_no_code(app: &TestApp) {
        app.post(&json!({"code": "secret-code-E4"}));
        app.delete("/customers/secret-code-E4?suppress=true");
        let hash = clientela_store::SuppressionKey::for_this_process().hash("secret-code-E4");
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("secret"));
        let (status, _) = app.post(&json!({"code": "secret-code-E4"}));
        assert_eq!(status, StatusCode::CONFLICT);
    }
}

on_both_backends! {
    /// A code can be suppressed before it ever arrives (a "do not store" request): PUT is 201,
    /// then 204 (idempotent); GET says 200 while it is suppressed and 404 otherwise; a POST
    /// of it is refused until DELETE lifts it.
    fn a_code_that_never_arrived_can_be_suppressed(app: &TestApp) {
        let put = |path: &str| {
            app.request(reqwest::Method::PUT, path)
                .send()
                .expect("request")
                .status()
        };
        let (status, problem) = app.get("/suppressions/never-seen-S1");
        assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
        assert_eq!(problem["status"], 404);

        assert_eq!(put("/suppressions/never-seen-S1"), StatusCode::CREATED);
        assert_eq!(put("/suppressions/never-seen-S1"), StatusCode::NO_CONTENT);
        let (status, body) = app.get("/suppressions/never-seen-S1");
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"code": "never-seen-S1", "suppressed": true}));

        let (status, problem) = app.post(&json!({"code": "never-seen-S1"}));
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert_eq!(app.customer("never-seen-S1"), None);

        assert_eq!(app.delete("/suppressions/never-seen-S1"), StatusCode::NO_CONTENT);
        assert_eq!(app.get("/suppressions/never-seen-S1").0, StatusCode::NOT_FOUND);
        assert_eq!(app.post(&json!({"code": "never-seen-S1"})).0, StatusCode::OK);
    }
}

on_both_backends! {
    /// Suppressing the code of a stored customer is refused (409, nothing changes): erasure
    /// with `?suppress=true` is the way. A code erased that way reads as suppressed.
    fn suppressing_a_stored_code_asks_for_erasure(app: &TestApp) {
        app.post(&json!({"code": "S2"}));
        let (status, problem) = crate::support::send(app.request(reqwest::Method::PUT, "/suppressions/S2"));
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert!(problem["detail"].as_str().is_some_and(|detail| detail.contains("suppress=true")), "{problem}");
        assert!(app.customer("S2").is_some());
        assert_eq!(app.get("/suppressions/S2").0, StatusCode::NOT_FOUND);

        assert_eq!(app.delete("/customers/S2?suppress=true"), StatusCode::NO_CONTENT);
        assert_eq!(app.get("/suppressions/S2").0, StatusCode::OK);
    }
}

on_both_backends! {
    /// The suppression list is an admin's: a write key may neither read nor add to it.
    fn suppressions_need_an_admin_key(app: &TestApp) {
        let key = app.key(clientela_api::auth::Scope::Write);
        let with_write_key = |method: reqwest::Method| {
            app.client
                .request(method, format!("{}/suppressions/S3", app.base))
                .bearer_auth(&key)
                .send()
                .expect("request")
                .status()
        };
        assert_eq!(with_write_key(reqwest::Method::PUT), StatusCode::FORBIDDEN);
        assert_eq!(with_write_key(reqwest::Method::GET), StatusCode::FORBIDDEN);
    }
}
