//! Every route that writes holds one of the write slots while it writes: with every slot
//! taken, each answers 503 with `Retry-After` once `database.connect_timeout` has passed,
//! and writes nothing. The routes are read from the OpenAPI document, so a new writing route
//! is held to this without being listed here.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, send};

/// A body each writing operation accepts, by path.
fn body_for(path: &str) -> serde_json::Value {
    match path {
        "/customers" => json!({"code": "SLOT"}),
        "/webhooks" => json!({"url": "https://hooks.example.com/slot"}),
        _ => json!({}),
    }
}

#[test]
fn with_every_write_slot_taken_each_writing_route_waits_then_answers_503_and_writes_nothing() {
    let app = TestApp::sqlite_tuned(Box::new(|state, _| {
        state.write_slots = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
        state.slot_timeout = Duration::from_millis(200);
    }));
    let document = clientela_api::openapi_document();
    let mut checked = Vec::new();
    for (path, item) in &document.paths.paths {
        for (method, documented) in [
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::DELETE, item.delete.is_some()),
            (Method::PATCH, item.patch.is_some()),
        ] {
            if !documented {
                continue;
            }
            let concrete = path.replace("{code}", "SLOT").replace("{id}", "wh_slot");
            let request = app.request(method.clone(), &concrete).json(&body_for(path));
            let response = request.send().expect("request");
            let status = response.status();
            let retry_after = response.headers().contains_key("retry-after");
            assert_eq!(
                status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{method} {path} wrote without a write slot"
            );
            assert!(retry_after, "{method} {path}: 503 says when to retry");
            checked.push(format!("{method} {path}"));
        }
    }
    assert!(checked.len() >= 8, "every writing route: {checked:?}");
    assert_eq!(app.customer("SLOT"), None);
    let (status, _) = send(app.request(Method::GET, "/suppressions/SLOT"));
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing suppressed");
    let (_, webhooks) = app.get("/webhooks");
    assert_eq!(webhooks["items"], json!([]), "no subscription made");
}
