//! Database outage: a private PostgreSQL cluster is stopped under the running API, which
//! must answer 503 problem documents (not hang, not 500), fail `/readyz`, and recover by
//! itself once the database is back. The machine's shared PostgreSQL is never touched.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cluster::PrivateCluster;
use crate::support::{REQUEST_TIMEOUT, Server, client, temporary_folder};

/// Sends a request; returns the status, the body and how long it took.
fn timed(request: reqwest::blocking::RequestBuilder) -> (u16, Value, Duration) {
    let started = Instant::now();
    let response = request.send().expect("an answer, not a hang");
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").is_some();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = response.json().unwrap_or(Value::Null);
    if status == 503 {
        assert!(retry_after, "503 without Retry-After");
        assert_eq!(content_type, "application/problem+json", "{body}");
        assert_eq!(body["status"], 503, "{body}");
    }
    (status, body, started.elapsed())
}

#[test]
fn a_postgres_outage_is_503_and_the_api_recovers_by_itself() {
    if std::env::var("CLIENTELA_TEST_PG").is_err() {
        eprintln!("skipped: set CLIENTELA_TEST_PG to run PostgreSQL tests");
        return;
    }
    let Some(cluster) = PrivateCluster::create() else {
        return;
    };
    let folder = temporary_folder();
    let url = cluster.url();
    let mut server = Server::start(
        folder.path(),
        &crate::support::Database::Sqlite,
        &[
            ("CLIENTELA__DATABASE__URL", url.as_str()),
            ("CLIENTELA__DATABASE__CONNECT_TIMEOUT", "1"),
        ],
    );
    let client = client();
    let post = |code: &str| {
        client
            .post(server.url("/customers"))
            .bearer_auth(&server.key)
            .json(&json!({"code": code, "city": "Lyon"}))
    };
    let (status, body, _) = timed(post("before"));
    assert_eq!(status, 200, "{body}");

    cluster.stop();
    let mut slowest = Duration::ZERO;
    let mut answers = Vec::new();
    for round in 0..2 {
        for request in [
            post(&format!("during-{round}")),
            client
                .get(server.url("/customers/before"))
                .bearer_auth(&server.key),
            client
                .get(server.url("/customers"))
                .bearer_auth(&server.key),
            client.get(server.url("/readyz")),
        ] {
            let (status, body, took) = timed(request);
            slowest = slowest.max(took);
            answers.push(status);
            assert_eq!(status, 503, "during the outage: {body}\n{}", server.logs());
        }
    }
    // Not a hang: each answer came well inside the client's patience (generous for a
    // loaded machine; the pool gives up after connect_timeout = 1 s).
    assert!(
        slowest < REQUEST_TIMEOUT / 2,
        "slowest answer during the outage: {slowest:?}"
    );
    assert_eq!(
        server.client_health(&client),
        200,
        "the process itself stays live"
    );

    cluster.start();
    let started = Instant::now();
    let recovered = loop {
        let (status, _, _) = timed(post("after"));
        if status == 200 {
            break true;
        }
        assert_eq!(status, 503);
        if started.elapsed() > REQUEST_TIMEOUT {
            break false;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(
        recovered,
        "the API did not recover within {REQUEST_TIMEOUT:?}"
    );
    let (status, _, _) = timed(client.get(server.url("/readyz")));
    assert_eq!(status, 200);
    assert!(
        server.customer(&client, "before").is_some(),
        "data from before the outage"
    );
    assert!(server.customer(&client, "after").is_some());
    eprintln!(
        "outage: {} requests during the outage, all 503 (slowest {slowest:?}); recovered {:?} after restart",
        answers.len(),
        started.elapsed()
    );
    assert!(server.stop().success());
}
