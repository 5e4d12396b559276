//! Updates are merge patches: left out keeps, null removes, metadata merges key by key.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::on_both_backends;

on_both_backends! {
    /// created → unchanged (same patch: no write) → updated (version and updatedAt move).
    fn created_then_unchanged_then_updated(app: &TestApp) {
        let first = json!({"code": "C1", "country": "FR", "metadata": {"tier": "gold"}});
        let (_, created) = app.post(&first);
        assert_eq!(created["result"], "created");
        let created_at = created["customer"]["updatedAt"].clone();

        std::thread::sleep(std::time::Duration::from_millis(5));
        let (status, again) = app.post(&first);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again["result"], "unchanged");
        assert_eq!(again["customer"]["version"], 1, "an unchanged patch keeps the version");
        assert_eq!(again["customer"]["updatedAt"], created_at, "and updatedAt");

        let (_, updated) = app.post(&json!({"code": "C1", "yearBorn": 1985}));
        assert_eq!(updated["result"], "updated");
        assert_eq!(updated["customer"]["version"], 2);
        assert_ne!(updated["customer"]["updatedAt"], created_at);
        assert_eq!(updated["customer"]["createdAt"], created["customer"]["createdAt"]);
        let stored = app.customer("C1").expect("stored");
        assert_eq!(stored["country"], "FR", "a field left out keeps its value");
        assert_eq!(stored["yearBorn"], 1985);
        assert_eq!(stored["version"], 2);
    }
}

on_both_backends! {
    /// A field sent as null is removed; the others stay.
    fn null_removes_a_field(app: &TestApp) {
        app.post(&json!({"code": "C2", "city": "Paris", "country": "FR", "gender": 1}));
        let (_, body) = app.post(&json!({"code": "C2", "city": null, "gender": null}));
        assert_eq!(body["result"], "updated");
        let stored = app.customer("C2").expect("stored");
        assert_eq!(stored["city"], Value::Null);
        assert_eq!(stored["gender"], Value::Null);
        assert_eq!(stored["country"], "FR");
    }
}

on_both_backends! {
    /// Metadata merges recursively; a key set to null is deleted.
    fn metadata_merges_key_by_key(app: &TestApp) {
        app.post(&json!({"code": "C3", "metadata": {
            "currentDiscountRate": "10%", "isNew": true, "prefs": {"mail": true, "sms": true}
        }}));
        app.post(&json!({"code": "C3", "metadata": {
            "isNew": null, "prefs": {"sms": false, "push": true}, "segment": "b2b"
        }}));
        let stored = app.customer("C3").expect("stored");
        assert_eq!(stored["metadata"], json!({
            "currentDiscountRate": "10%",
            "prefs": {"mail": true, "sms": false, "push": true},
            "segment": "b2b"
        }));
        app.post(&json!({"code": "C3", "metadata": null}));
        assert_eq!(app.customer("C3").expect("stored")["metadata"], Value::Null);
    }
}

on_both_backends! {
    /// isActive sent as null goes back to its default, true.
    fn is_active_null_means_true(app: &TestApp) {
        app.post(&json!({"code": "C4", "isActive": false}));
        assert_eq!(app.customer("C4").expect("stored")["isActive"], false);
        let (_, body) = app.post(&json!({"code": "C4", "isActive": null}));
        assert_eq!(body["result"], "updated");
        assert_eq!(app.customer("C4").expect("stored")["isActive"], true);
    }
}

on_both_backends! {
    /// Limits apply to the merged metadata: growing past 60000 characters is refused and
    /// the stored customer is untouched.
    fn merged_metadata_over_the_limit_is_refused(app: &TestApp) {
        app.post(&json!({"code": "C5", "metadata": {"a": "x".repeat(40_000)}}));
        let (status, problem) = app.post(&json!({"code": "C5", "metadata": {"b": "y".repeat(30_000)}}));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "metadata");
        let stored = app.customer("C5").expect("stored");
        assert_eq!(stored["version"], 1);
        assert!(stored["metadata"].get("b").is_none());
    }
}

on_both_backends! {
    /// If-Match with the current ETag applies; with a stale one it is 412 and nothing changes.
    fn if_match_refuses_a_stale_version(app: &TestApp) {
        app.post(&json!({"code": "C6", "city": "Lyon"}));
        let response = app.request(reqwest::Method::GET, "/customers/C6").send().expect("get");
        let etag = response.headers()["etag"].to_str().expect("ascii").to_owned();
        assert_eq!(etag, "\"1\"");

        let patch = json!({"code": "C6", "city": "Nice"});
        let post = |tag: &str| {
            crate::support::send(
                app.request(reqwest::Method::POST, "/customers").header("If-Match", tag).json(&patch),
            )
        };
        let (status, body) = post(&etag);
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["customer"]["version"], 2);

        let (status, problem) = post(&etag);
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{problem}");
        assert_eq!(problem["status"], 412);
        assert_eq!(app.customer("C6").expect("stored")["version"], 2);

        let (status, _) = crate::support::send(
            app.request(reqwest::Method::POST, "/customers")
                .header("If-Match", "\"1\"")
                .json(&json!({"code": "absent"})),
        );
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "If-Match on a new code");
        assert_eq!(app.customer("absent"), None);
    }
}

on_both_backends! {
    /// If-None-Match: * creates only: an existing customer is left alone with 412.
    fn if_none_match_creates_only(app: &TestApp) {
        let create = |city: &str| {
            crate::support::send(
                app.request(reqwest::Method::POST, "/customers")
                    .header("If-None-Match", "*")
                    .json(&json!({"code": "C7", "city": city})),
            )
        };
        let (status, body) = create("Faro");
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["result"], "created");
        let (status, problem) = create("Braga");
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{problem}");
        assert_eq!(app.customer("C7").expect("stored")["city"], "Faro");
    }
}
