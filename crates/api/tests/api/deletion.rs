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
