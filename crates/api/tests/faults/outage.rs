//! Database outage: a private PostgreSQL cluster is stopped under the running API, which
//! must answer 503 problem documents (not hang, not 500), fail `/readyz`, and recover by
//! itself once the database is back. The machine's shared PostgreSQL is never touched.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{
    REQUEST_TIMEOUT, Server, client, free_port, postgres_binaries, temporary_folder,
};

/// A throwaway PostgreSQL cluster in a temporary folder, on its own port, stopped when
/// dropped.
struct PrivateCluster {
    binaries: PathBuf,
    data: PathBuf,
    port: u16,
    _folder: tempfile::TempDir,
}

/// Runs a PostgreSQL tool as the `postgres` user when we are root (initdb refuses root).
fn as_postgres(tool: &Path) -> Command {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0");
    if is_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(tool);
        command
    } else {
        Command::new(tool)
    }
}

fn succeed(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl PrivateCluster {
    /// `None` (after saying why) when the PostgreSQL server binaries are not installed.
    fn create() -> Option<PrivateCluster> {
        let Some(binaries) = postgres_binaries() else {
            eprintln!("skipped: no PostgreSQL server binaries under /usr/lib/postgresql");
            return None;
        };
        let folder = temporary_folder();
        // The postgres user must be able to reach and own the cluster's folder.
        let _ = Command::new("chown")
            .arg("postgres")
            .arg(folder.path())
            .status();
        let data = folder.path().join("data");
        succeed(
            as_postgres(&binaries.join("initdb"))
                .args([
                    "--auth=trust",
                    "--username=postgres",
                    "--no-sync",
                    "--pgdata",
                ])
                .arg(&data),
            "initdb",
        );
        let cluster = PrivateCluster {
            binaries,
            data,
            port: free_port(),
            _folder: folder,
        };
        cluster.start();
        Some(cluster)
    }

    fn pg_ctl(&self, arguments: &[&str]) -> Command {
        let mut command = as_postgres(&self.binaries.join("pg_ctl"));
        command.arg("--pgdata").arg(&self.data).args(arguments);
        command
    }

    fn start(&self) {
        let socket_folder = self.data.display().to_string();
        let options = format!(
            "-p {} -k {socket_folder} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port
        );
        let log = self.data.join("server.log").display().to_string();
        succeed(
            &mut self.pg_ctl(&[
                "--wait",
                "--timeout=60",
                "--log",
                &log,
                "-o",
                &options,
                "start",
            ]),
            "pg_ctl start",
        );
    }

    fn stop(&self) {
        succeed(
            &mut self.pg_ctl(&["--wait", "--mode=fast", "stop"]),
            "pg_ctl stop",
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["--mode=immediate", "stop"]).output();
    }
}

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
