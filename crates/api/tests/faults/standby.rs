//! Reads from a hot standby (`database.read_url`): a primary and a streaming standby the
//! test creates, the standby made to apply each commit 300 ms late
//! (`recovery_min_apply_delay`), so that a read it answered without waiting would miss the
//! write just before it.
//!
//! What must hold: a read that sends back the commit token of the write before it
//! (`X-Clientela-Commit`) always sees that write, on `GET /customers/{code}`,
//! `GET /customers` and `GET /changes`; such reads are answered by the standby once it has
//! replayed the write (the metric says so), and a read without the token may be answered
//! by the standby, behind; with the standby down, reads are answered by the primary.

use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster::PrivateCluster;
use crate::failover::wait_until;
use crate::support::{Server, client, temporary_folder};

const COMMIT: &str = "x-clientela-commit";

#[test]
fn reads_with_the_commit_token_never_miss_the_write_they_follow() {
    if std::env::var("CLIENTELA_TEST_PG").is_err() {
        eprintln!("skipped: set CLIENTELA_TEST_PG to run PostgreSQL tests");
        return;
    }
    let Some(primary) = PrivateCluster::create() else {
        return;
    };
    let standby = primary.standby();
    standby.sql(&[
        "ALTER SYSTEM SET recovery_min_apply_delay = '300ms'",
        "SELECT pg_reload_conf()",
    ]);
    let folder = temporary_folder();
    let (primary_url, standby_url) = (primary.url(), standby.url());
    let server = Server::start(
        folder.path(),
        &crate::support::Database::Sqlite,
        &[
            ("CLIENTELA__DATABASE__URL", primary_url.as_str()),
            ("CLIENTELA__DATABASE__READ_URL", standby_url.as_str()),
            ("CLIENTELA__DATABASE__READ_WAIT", "3000"),
        ],
    );
    let client = client();
    let get = |path: &str, token: Option<&str>| -> (u16, Value) {
        let mut request = client.get(server.url(path)).bearer_auth(&server.key);
        if let Some(token) = token {
            request = request.header(COMMIT, token);
        }
        let response = request.send().expect("GET");
        (
            response.status().as_u16(),
            response.json().unwrap_or(Value::Null),
        )
    };
    let mut stale_without_token = 0;
    let rounds = 30;
    for n in 0..rounds {
        let code = format!("s{}", n % 3);
        let response = client
            .post(server.url("/customers"))
            .bearer_auth(&server.key)
            .json(&json!({"code": code, "metadata": {"n": n}}))
            .send()
            .expect("POST");
        assert_eq!(response.status().as_u16(), 200);
        let token = response
            .headers()
            .get(COMMIT)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .expect("a write's answer carries its commit token");
        // Without the token, the standby answers as it is: 300 ms behind.
        let (_, behind) = get(&format!("/customers/{code}"), None);
        if behind["metadata"]["n"] != json!(n) {
            stale_without_token += 1;
        }
        let (status, customer) = get(&format!("/customers/{code}"), Some(&token));
        assert_eq!(status, 200, "{customer}");
        assert_eq!(
            customer["metadata"]["n"],
            json!(n),
            "GET /customers/{code} with the token of the write before it"
        );
        if n % 5 == 0 {
            let (_, page) = get(&format!("/customers?q={code}"), Some(&token));
            assert_eq!(page["items"][0]["metadata"]["n"], json!(n), "{page}");
            let (_, changes) = get("/changes?limit=1000", Some(&token));
            let last = changes["items"]
                .as_array()
                .and_then(|items| items.iter().rev().find(|item| item["code"] == json!(code)))
                .cloned()
                .unwrap_or(Value::Null);
            assert_eq!(
                last["version"], customer["version"],
                "the feed read with the token holds the write"
            );
        }
    }
    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .expect("metrics")
        .text()
        .expect("metrics text");
    let count = |server_label: &str| -> f64 {
        metrics
            .lines()
            .find(|line| {
                line.starts_with("clientela_standby_reads_total")
                    && line.contains(&format!("server=\"{server_label}\""))
            })
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse().ok())
            .unwrap_or(0.0)
    };
    eprintln!(
        "standby reads: {} answered by the standby, {} by the primary; {stale_without_token} \
         of {rounds} reads without the token were behind",
        count("standby"),
        count("primary")
    );
    assert!(
        count("standby") >= f64::from(rounds),
        "reads with the token were answered by the standby once it had replayed the write"
    );
    assert!(
        stale_without_token > 0,
        "a read without the token is answered by the standby as it is (this test's standby \
         applies commits 300 ms late)"
    );

    // The standby gone: reads are answered by the primary.
    standby.stop();
    wait_until("reads without the standby", Duration::from_secs(30), || {
        get("/customers/s0", None).0 == 200
    });
    let (status, page) = get("/customers?limit=5", None);
    assert_eq!(status, 200, "{page}");
}
