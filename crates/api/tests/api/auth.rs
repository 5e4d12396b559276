//! Keys and scopes: read < write < admin; no key or a wrong one is 401.

use clientela_api::auth::Scope;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::on_both_backends;

on_both_backends! {
    /// A missing, malformed or unknown key is 401 with a problem document.
    fn missing_or_wrong_key_is_401(app: &TestApp) {
        let url = format!("{}/customers", app.base);
        let bare = app.client.get(&url).send().expect("request");
        assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(bare.headers()["www-authenticate"], "Bearer");

        let forged = format!("{}x", &app.admin_key[..app.admin_key.len() - 1]);
        for key in ["nonsense", "clientela_0000000000000000_secret", forged.as_str()] {
            let response = app.client.get(&url).bearer_auth(key).send().expect("request");
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{key}");
        }
        let post = app.client.post(&url).json(&json!({"code": "nokey"})).send().expect("request");
        assert_eq!(post.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.customer("nokey"), None);
    }
}

on_both_backends! {
    /// A read key reads but cannot write or delete; a write key cannot delete.
    fn scopes_are_enforced(app: &TestApp) {
        app.post(&json!({"code": "S1"}));
        let read = app.key(Scope::Read);
        let write = app.key(Scope::Write);
        let call = |method: Method, path: &str, key: &str| {
            let mut request = app.client.request(method.clone(), format!("{}{path}", app.base)).bearer_auth(key);
            if method == Method::POST {
                request = request.json(&json!({"code": "S2"}));
            }
            request.send().expect("request").status()
        };
        assert_eq!(call(Method::GET, "/customers/S1", &read), StatusCode::OK);
        assert_eq!(call(Method::GET, "/customers", &read), StatusCode::OK);
        assert_eq!(call(Method::POST, "/customers", &read), StatusCode::FORBIDDEN);
        assert_eq!(call(Method::DELETE, "/customers/S1", &read), StatusCode::FORBIDDEN);
        assert_eq!(call(Method::POST, "/customers", &write), StatusCode::OK);
        assert_eq!(call(Method::GET, "/customers/S2", &write), StatusCode::OK);
        assert_eq!(call(Method::DELETE, "/customers/S1", &write), StatusCode::FORBIDDEN);
        assert_eq!(call(Method::DELETE, "/suppressions/S1", &write), StatusCode::FORBIDDEN);
        assert!(app.customer("S1").is_some(), "refused deletes deleted nothing");
    }
}

on_both_backends! {
    /// A revoked key stops working (once its cache entry, if any, expires: here none).
    fn revoked_keys_are_refused(app: &TestApp) {
        let token = app.key(Scope::Read);
        let id = token.split('_').nth(1).expect("id").to_owned();
        assert!(app.store.revoke_key(&id, 1).expect("revoke"));
        let response = app.client.get(format!("{}/customers", app.base)).bearer_auth(&token).send().expect("request");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}

on_both_backends! {
    /// Health needs no key; readiness pings the database.
    fn health_and_readiness_answer_without_a_key(app: &TestApp) {
        for path in ["/healthz", "/readyz"] {
            let response = app.client.get(format!("{}{path}", app.base)).send().expect("request");
            assert_eq!(response.status(), StatusCode::OK, "{path}");
        }
        let missing = app.client.get(format!("{}/nowhere", app.base)).send().expect("request");
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(missing.headers()["content-type"], "application/problem+json");
    }
}
