//! Compressed bodies both ways: a gzip or zstd `POST /customers` is saved exactly as the
//! same body sent plain, every size limit applies to the decoded bytes (a decompression
//! bomb is 413, an item over 256 KiB decoded is 422 however small it was on the wire), an
//! encoding the server does not decode is 415, and responses are compressed when, and only
//! when, the client asks.

use std::io::{Read, Write};

use clientela_api::AppState;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::support::TestApp;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut plain)
        .expect("gunzip");
    plain
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).expect("zstd")
}

/// POSTs `body` with this `Content-Encoding`; the status and the answer as JSON.
fn post_encoded(app: &TestApp, encoding: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = app
        .client
        .post(format!("{}/customers", app.base))
        .bearer_auth(&app.admin_key)
        .header(CONTENT_TYPE, "application/json")
        .header(CONTENT_ENCODING, encoding)
        .body(body)
        .send()
        .expect("request");
    let status = response.status();
    (status, response.json().unwrap_or(Value::Null))
}

fn batch(size: usize, prefix: &str, metadata_bytes: usize) -> Value {
    Value::Array(
        (0..size)
            .map(|i| {
                json!({
                    "code": format!("{prefix}-{i:03}"),
                    "country": "ES",
                    "city": "Barcelona",
                    "yearBorn": 1980 + (i % 20),
                    "metadata": {"note": "x".repeat(metadata_bytes), "n": i},
                })
            })
            .collect(),
    )
}

#[test]
fn a_gzip_or_zstd_batch_is_saved_exactly_as_the_same_batch_sent_plain() {
    let app = TestApp::sqlite();
    for (encoding, encode) in [("gzip", gzip as fn(&[u8]) -> Vec<u8>), ("zstd", zstd)] {
        let body = batch(100, encoding, 50);
        let plain = serde_json::to_vec(&body).expect("json");
        let sent = encode(&plain);
        assert!(sent.len() * 4 < plain.len(), "the batch compresses");
        let (status, answer) = post_encoded(&app, encoding, sent);
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["created"], 100, "{answer}");
        let stored = app.customer(&format!("{encoding}-042")).expect("saved");
        assert_eq!(stored["metadata"], body[42]["metadata"]);
        assert_eq!(stored["yearBorn"], 1982);
    }
    // `identity` and the `x-gzip` alias are understood too.
    let (status, answer) = post_encoded(
        &app,
        "identity",
        serde_json::to_vec(&batch(1, "identity", 1)).expect("json"),
    );
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = post_encoded(
        &app,
        "x-gzip",
        gzip(&serde_json::to_vec(&batch(1, "xgzip", 1)).expect("json")),
    );
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(app.count(), 202);
}

#[test]
fn a_body_that_decodes_past_a_mebibyte_is_read_and_saved() {
    // 100 customers of 20 KB metadata: 2 MB decoded from about 30 KB on the wire, so the
    // decoder takes a large-body slot on the way.
    let app = TestApp::sqlite();
    let plain = serde_json::to_vec(&batch(100, "big", 20_000)).expect("json");
    assert!(plain.len() > 2_000_000);
    let (status, answer) = post_encoded(&app, "gzip", gzip(&plain));
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["created"], 100, "{answer}");
}

#[test]
fn a_decompression_bomb_is_refused_at_the_body_limit_and_saves_nothing() {
    let app = TestApp::sqlite_tuned(Box::new(|state: &mut AppState, _| {
        state.body_limit = 4 * 1024 * 1024;
    }));
    // 64 MiB of whitespace after a valid customer: about 64 KiB gzipped, less as zstd.
    let mut plain = serde_json::to_vec(&json!({"code": "bomb"})).expect("json");
    plain.resize(plain.len() + 64 * 1024 * 1024, b' ');
    for (encoding, sent) in [("gzip", gzip(&plain)), ("zstd", zstd(&plain))] {
        assert!(
            sent.len() < 1024 * 1024,
            "{encoding} bomb is small on the wire"
        );
        let (status, answer) = post_encoded(&app, encoding, sent);
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{encoding}: {answer}"
        );
        assert!(
            answer["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("4194304 bytes"),
            "{answer}"
        );
    }
    assert_eq!(app.count(), 0, "nothing of the bomb was saved");
    let (status, _) = app.get("/healthz");
    assert_eq!(status, StatusCode::OK, "the server still answers");
}

#[test]
fn an_item_over_256_kib_decoded_is_refused_however_small_it_was_sent() {
    let app = TestApp::sqlite();
    let body = json!([
        {"code": "small", "metadata": {"a": 1}},
        {"code": "huge", "metadata": {"note": "y".repeat(300 * 1024)}},
    ]);
    let sent = gzip(&serde_json::to_vec(&body).expect("json"));
    assert!(sent.len() < 4 * 1024);
    let (status, answer) = post_encoded(&app, "gzip", sent);
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["created"], 1, "{answer}");
    assert_eq!(answer["results"][1]["error"]["status"], 422, "{answer}");
    assert!(app.customer("huge").is_none());
}

#[test]
fn an_encoding_the_server_does_not_decode_is_415_and_a_corrupt_body_400() {
    let app = TestApp::sqlite();
    let plain = serde_json::to_vec(&json!({"code": "c1"})).expect("json");
    for encoding in ["br", "deflate", "gzip, zstd", "compress"] {
        let (status, answer) = post_encoded(&app, encoding, plain.clone());
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{encoding}");
        assert_eq!(answer["status"], 415, "a problem document: {answer}");
        assert!(
            answer["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("gzip or zstd"),
            "the problem says what is accepted: {answer}"
        );
    }
    // Plain JSON claiming to be gzip, and a gzip stream cut short.
    let (status, answer) = post_encoded(&app, "gzip", plain.clone());
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let mut cut = gzip(&plain);
    cut.truncate(cut.len() / 2);
    let (status, answer) = post_encoded(&app, "gzip", cut);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, answer) = post_encoded(&app, "zstd", b"not zstd at all".to_vec());
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(app.count(), 0, "nothing was saved");
}

#[test]
fn a_page_is_compressed_when_the_client_asks_and_only_then() {
    let app = TestApp::sqlite();
    let (status, _) = app.post(&batch(100, "page", 200));
    assert_eq!(status, StatusCode::OK);
    let get = |accept: Option<&str>| {
        let mut request = app
            .client
            .get(format!("{}/customers?limit=100", app.base))
            .bearer_auth(&app.admin_key);
        if let Some(accept) = accept {
            request = request.header(ACCEPT_ENCODING, accept);
        }
        let response = request.send().expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        let encoding = response
            .headers()
            .get(CONTENT_ENCODING)
            .map(|value| value.to_str().expect("text").to_owned());
        (encoding, response.bytes().expect("body").to_vec())
    };
    let (encoding, plain) = get(None);
    assert_eq!(encoding, None, "not compressed unless asked");
    let page: Value = serde_json::from_slice(&plain).expect("json");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(100));

    let (encoding, gzipped) = get(Some("gzip"));
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert!(
        gzipped.len() * 4 < plain.len(),
        "{} of {}",
        gzipped.len(),
        plain.len()
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&gunzip(&gzipped)).expect("json"),
        page
    );

    let (encoding, zstded) = get(Some("zstd"));
    assert_eq!(encoding.as_deref(), Some("zstd"));
    let decoded = zstd::decode_all(zstded.as_slice()).expect("zstd");
    assert_eq!(
        serde_json::from_slice::<Value>(&decoded).expect("json"),
        page
    );
}
