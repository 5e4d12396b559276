//! Security: scopes on every route, per-key rate limits, injection-shaped input and
//! suppression that outlives a restart.

use std::collections::BTreeSet;
use std::time::Duration;

use clientela_api::AppState;
use clientela_api::auth::Scope;
use clientela_api::rate_limit::RateLimit;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, encode_segment, on_both_backends};

/// Every route that needs a key, with the least scope it needs. A new route must be added
/// here: `the_route_table_is_the_documented_one` compares it with /openapi.json.
const PROTECTED_ROUTES: [(&str, &str, Scope); 16] = [
    ("GET", "/customers", Scope::Read),
    ("GET", "/customers/S1", Scope::Read),
    ("GET", "/geo/resolve?country=ES", Scope::Read),
    ("POST", "/customers", Scope::Write),
    ("DELETE", "/customers/S1", Scope::Admin),
    ("DELETE", "/suppressions/S1", Scope::Admin),
    ("PUT", "/suppressions/S1", Scope::Admin),
    ("GET", "/suppressions/S1", Scope::Admin),
    ("GET", "/changes", Scope::Read),
    ("POST", "/webhooks", Scope::Admin),
    ("GET", "/webhooks", Scope::Admin),
    ("GET", "/webhooks/W1", Scope::Admin),
    ("DELETE", "/webhooks/W1", Scope::Admin),
    ("POST", "/webhooks/W1/replay", Scope::Admin),
    ("POST", "/webhooks/W1/resume", Scope::Admin),
    ("GET", "/webhooks/W1/deliveries", Scope::Admin),
];

fn call(app: &TestApp, method: &str, path: &str, key: Option<&str>) -> reqwest::blocking::Response {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = app
        .client
        .request(method.clone(), format!("{}{path}", app.base));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if method == Method::POST {
        request = request.json(&json!({"code": "S2"}));
    }
    request.send().expect("request")
}

on_both_backends! {
    /// On every protected route: no key is 401, a lower scope is 403 (and changes nothing),
    /// the needed scope passes the check.
    fn every_route_enforces_its_scope(app: &TestApp) {
        app.post(&json!({"code": "S1"}));
        let keys = [
            (Scope::Read, app.key(Scope::Read)),
            (Scope::Write, app.key(Scope::Write)),
            (Scope::Admin, app.key(Scope::Admin)),
        ];
        for (method, path, needed) in PROTECTED_ROUTES {
            let anonymous = call(app, method, path, None);
            assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(anonymous.headers()["content-type"], "application/problem+json");
            for (held, key) in &keys {
                let status = call(app, method, path, Some(key)).status();
                if *held < needed {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} with {held:?}");
                } else {
                    assert!(
                        status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                        "{method} {path} with {held:?}: {status}"
                    );
                }
                // Keep S1 for the next scope: recreate it if an admin just erased it.
                app.post(&json!({"code": "S1"}));
            }
        }
    }
}

/// The scope each operation of the OpenAPI document names (`security: bearer: [scope]`),
/// keyed by method and path template; operations without security are public.
fn documented_scopes(app: &TestApp) -> (BTreeSet<(String, String, String)>, Vec<String>) {
    let (status, document) = app.get("/openapi.json");
    assert_eq!(status, StatusCode::OK);
    let mut protected = BTreeSet::new();
    let mut public = Vec::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let scope = operation["security"]
                .as_array()
                .and_then(|requirements| requirements.first())
                .and_then(|requirement| requirement["bearer"][0].as_str());
            match scope {
                Some(scope) => {
                    protected.insert((method.to_uppercase(), path.clone(), scope.to_owned()));
                }
                None if method == "get" => public.push(path.clone()),
                None => {}
            }
        }
    }
    (protected, public)
}

/// Every operation the API documents is in `PROTECTED_ROUTES` with the scope it documents,
/// so `every_route_enforces_its_scope` covers every route; the public ones answer without
/// a key.
#[test]
fn the_route_table_is_the_documented_one() {
    let app = TestApp::sqlite();
    let (documented, public) = documented_scopes(&app);
    let listed: BTreeSet<(String, String, String)> = PROTECTED_ROUTES
        .iter()
        .map(|(method, path, scope)| {
            let template = path
                .split('?')
                .next()
                .unwrap_or_default()
                .replace("S1", "{code}")
                .replace("W1", "{id}");
            ((*method).to_owned(), template, scope.name().to_owned())
        })
        .collect();
    assert_eq!(
        listed, documented,
        "PROTECTED_ROUTES and /openapi.json disagree"
    );
    assert!(public.iter().any(|path| path == "/healthz"), "{public:?}");
    for path in public {
        let status = call(&app, "GET", &path, None).status();
        assert!(status.is_success(), "GET {path} without a key: {status}");
    }
}

#[test]
fn a_key_over_its_rate_gets_429_with_retry_after_and_other_keys_go_on() {
    let app = TestApp::sqlite_tuned(Box::new(|state: &mut AppState, _| {
        state.keys = std::sync::Arc::new(clientela_api::auth::KeyChecker::with_rate_limit(
            RateLimit::every(Duration::from_secs(600), 3),
        ));
    }));
    let busy = app.key(Scope::Read);
    let statuses: Vec<StatusCode> = (0..5)
        .map(|_| call(&app, "GET", "/customers", Some(&busy)).status())
        .collect();
    assert_eq!(&statuses[..3], [StatusCode::OK; 3], "{statuses:?}");
    let refused = call(&app, "GET", "/customers", Some(&busy));
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|value| value.parse().ok())
        .expect("Retry-After in whole seconds");
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let other = app.key(Scope::Read);
    assert_eq!(
        call(&app, "GET", "/customers", Some(&other)).status(),
        StatusCode::OK
    );
    assert_eq!(
        call(&app, "GET", "/healthz", None).status(),
        StatusCode::OK,
        "health is not limited"
    );
}

/// Codes and metadata shaped like SQL injection, LIKE wildcards and quoting tricks.
const HOSTILE_CODES: [&str; 10] = [
    "'; DROP TABLE customers; --",
    "\" OR \"1\"=\"1",
    "' OR '1'='1' --",
    "x'); DELETE FROM api_keys; --",
    "%",
    "_",
    "a%",
    "\\",
    "$1",
    "1; SELECT pg_sleep(10)",
];

on_both_backends! {
    /// Injection-shaped codes and metadata are stored and found as plain text; the tables,
    /// the keys and the other customers are untouched.
    fn injection_shaped_input_is_just_data(app: &TestApp) {
        app.post(&json!({"code": "abc"}));
        for code in HOSTILE_CODES {
            let metadata = json!({code: code, "sql": "'); DROP TABLE suppressions; --"});
            let (status, body) = app.post(&json!({"code": code, "city": code, "metadata": metadata}));
            assert_eq!(status, StatusCode::OK, "{code}: {body}");
            let stored = app.customer(code).expect("stored");
            assert_eq!(stored["metadata"], metadata);
            // Prefix search is a range, not LIKE: `%` and `_` match only themselves.
            let (_, page) = app.get(&format!("/customers?q={}", encode_segment(code)));
            let found: Vec<&str> = page["items"].as_array().into_iter().flatten().filter_map(|c| c["code"].as_str()).collect();
            assert!(found.iter().all(|found| found.starts_with(code)), "q={code}: {found:?}");
            assert!(found.contains(&code), "q={code}: {found:?}");
        }
        assert_eq!(app.count(), HOSTILE_CODES.len() + 1);
        for code in HOSTILE_CODES {
            assert_eq!(app.delete(&format!("/customers/{}?suppress=true", encode_segment(code))), StatusCode::NO_CONTENT);
        }
        assert_eq!(app.count(), 1, "only the hostile customers were erased");
        assert!(app.customer("abc").is_some());
        assert_eq!(call(app, "GET", "/customers", Some(&app.admin_key)).status(), StatusCode::OK, "keys still work");
    }
}

/// A suppressed code stays refused after the server restarts, until lifted.
fn suppression_outlives_restart(app: TestApp) {
    app.post(&json!({"code": "erased-1", "metadata": {"email": "x@example.com"}}));
    assert_eq!(
        app.delete("/customers/erased-1?suppress=true"),
        StatusCode::NO_CONTENT
    );
    let app = app.restart();
    let (status, problem) = app.post(&json!({"code": "erased-1"}));
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(app.customer("erased-1"), None);
    assert_eq!(app.delete("/suppressions/erased-1"), StatusCode::NO_CONTENT);
    let app = app.restart();
    assert_eq!(
        app.post(&json!({"code": "erased-1"})).0,
        StatusCode::OK,
        "lifted for good"
    );
}

#[test]
fn a_suppression_survives_a_restart_on_sqlite() {
    suppression_outlives_restart(TestApp::sqlite());
}

#[test]
fn a_suppression_survives_a_restart_on_postgres() {
    if let Some(app) = TestApp::postgres() {
        suppression_outlives_restart(app);
    }
}
