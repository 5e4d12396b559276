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

/// Sends `raw` bytes on one connection and reads until the server closes it.
fn exchange(app: &TestApp, raw: &[u8]) -> String {
    use std::io::{Read, Write};
    let address = app.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(raw).expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn a_query_sent_as_raw_utf8_is_refused_with_a_problem_document_and_a_request_id() {
    let app = TestApp::sqlite();
    let request = format!(
        "GET /customers?country=España HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
         X-Request-Id: raw-query-1\r\nConnection: close\r\n\r\n",
        app.admin_key
    );
    let answer = exchange(&app, request.as_bytes());
    let lower = answer.to_ascii_lowercase();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        lower.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(lower.contains("x-request-id: raw-query-1"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let problem: serde_json::Value = serde_json::from_str(body).expect("a problem document");
    assert_eq!(problem["status"], 400);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("percent-encode")),
        "{problem}"
    );
}

#[test]
fn a_raw_target_after_a_body_with_utf8_on_one_connection_is_refused_and_the_body_kept() {
    let app = TestApp::sqlite();
    let body = r#"{"code": "raw-body-España", "city": "Málaga"}"#;
    let request = format!(
        "POST /customers HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n{body}\
         GET /customers/Müller HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {key}\r\n\
         Connection: close\r\n\r\n",
        key = app.admin_key,
        length = body.len()
    );
    let answer = exchange(&app, request.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(answer.matches("HTTP/1.1 400").count(), 1, "{answer}");
    assert!(answer.contains("percent-encode"), "{answer}");
    let stored = app.customer("raw-body-España").expect("stored as sent");
    assert_eq!(stored["city"], "Málaga");
}
