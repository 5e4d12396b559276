//! `X-Request-Id`: taken from the client or made, and returned on every response.

use reqwest::StatusCode;
use reqwest::blocking::Response;

use crate::support::TestApp;

fn request_id(response: &Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .expect("text")
        .to_owned()
}

#[test]
fn a_request_id_the_client_sends_comes_back() {
    let app = TestApp::sqlite();
    let response = app
        .request(reqwest::Method::GET, "/customers")
        .header("x-request-id", "shop-42.import:7")
        .send()
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(request_id(&response), "shop-42.import:7");
}

#[test]
fn without_one_each_response_gets_a_fresh_uuid() {
    let app = TestApp::sqlite();
    let first = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .expect("request");
    let second = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .expect("request");
    let (first, second) = (request_id(&first), request_id(&second));
    assert_ne!(first, second);
    for id in [first, second] {
        let parsed = uuid::Uuid::parse_str(&id).expect("a UUID");
        assert_eq!(parsed.get_version_num(), 4);
    }
}

#[test]
fn error_responses_carry_the_request_id_too() {
    let app = TestApp::sqlite();
    for (path, key) in [("/customers", "clientela_bad"), ("/no/such/route", "")] {
        let response = app
            .client
            .get(format!("{}{path}", app.base))
            .bearer_auth(key)
            .header("x-request-id", "failing-request")
            .send()
            .expect("request");
        assert!(response.status().is_client_error());
        assert_eq!(request_id(&response), "failing-request", "{path}");
    }
}

#[test]
fn an_unusable_request_id_is_replaced_not_echoed() {
    let app = TestApp::sqlite();
    for sent in ["has space".to_owned(), "x".repeat(129)] {
        let response = app
            .client
            .get(format!("{}/healthz", app.base))
            .header("x-request-id", &sent)
            .send()
            .expect("request");
        let id = request_id(&response);
        assert_ne!(id, sent);
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    }
}
