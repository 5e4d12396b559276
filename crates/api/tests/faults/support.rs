//! Harness for fault tests: the real `clientela-api` binary as a child process (so it can be
//! killed, stopped and restarted on the same data), its captured logs, a fresh PostgreSQL
//! schema per test, and a client with generous timeouts.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clientela_store::ScratchSchema;

pub const BINARY: &str = env!("CARGO_BIN_EXE_clientela-api");

/// Longest any single request may take in these tests: far above every deadline the
/// server has (a few seconds), so only a real hang fails it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("client")
}

/// Where a test's server keeps its data: a SQLite file in the data folder, or a PostgreSQL
/// schema of its own (dropped afterwards).
pub enum Database {
    Sqlite,
    Postgres(ScratchSchema),
}

impl Database {
    /// A fresh schema on `CLIENTELA_TEST_PG`; `None` (after saying so) when it is not set.
    pub fn postgres() -> Option<Database> {
        ScratchSchema::for_test("faults").map(Database::Postgres)
    }

    /// The `CLIENTELA__DATABASE__URL` to give the server, if not the default SQLite file.
    pub fn url(&self) -> Option<String> {
        match self {
            Database::Sqlite => None,
            Database::Postgres(schema) => Some(schema.url()),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Database::Sqlite => "sqlite",
            Database::Postgres(_) => "postgres",
        }
    }
}

/// A running `clientela-api serve`.
pub struct Server {
    pub child: Child,
    pub base: String,
    /// The admin key of the data folder (created on its first start).
    pub key: String,
    /// Everything the server wrote to stderr (its logs) so far.
    logs: Arc<Mutex<String>>,
}

impl Server {
    /// Starts the server on `data_dir` with `database`, plus `extra_env`, and waits until it
    /// says where it listens.
    pub fn start(data_dir: &Path, database: &Database, extra_env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(BINARY);
        command
            .env_remove("CLIENTELA_CONFIG")
            .env_remove("RUST_LOG")
            .env("CLIENTELA__DATA_DIR", data_dir)
            .env("CLIENTELA__SERVER__BIND", "127.0.0.1:0")
            .env("CLIENTELA__SERVER__WORKERS", "2")
            // The checks after a fault read thousands of customers with one key.
            .env("CLIENTELA__RATE_LIMIT__PER_SECOND", "0")
            .envs(extra_env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(url) = database.url() {
            command.env("CLIENTELA__DATABASE__URL", url);
        }
        let mut child = command.spawn().expect("start clientela-api");
        let logs = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().expect("stderr");
        let sink = logs.clone();
        std::thread::spawn(move || {
            let mut buffer = [0_u8; 8192];
            while let Ok(read) = stderr.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                if let Ok(mut logs) = sink.lock() {
                    logs.push_str(&String::from_utf8_lossy(&buffer[..read]));
                }
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut printed = Vec::new();
        let base = loop {
            match lines.next() {
                Some(Ok(line)) => match line.strip_prefix("listening on ") {
                    Some(base) => break base.to_owned(),
                    None => printed.push(line),
                },
                _ => {
                    let _ = child.kill();
                    let status = child.wait();
                    let logs = logs.lock().map(|logs| logs.clone()).unwrap_or_default();
                    panic!("clientela-api did not start ({status:?}): {printed:?}\n{logs}");
                }
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let key = std::fs::read_to_string(data_dir.join("admin.key"))
            .expect("admin.key")
            .trim()
            .to_owned();
        Server {
            child,
            base,
            key,
            logs,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The status of `GET /healthz` (liveness: no database involved).
    pub fn client_health(&self, client: &reqwest::blocking::Client) -> u16 {
        client
            .get(self.url("/healthz"))
            .send()
            .map(|response| response.status().as_u16())
            .unwrap_or(0)
    }

    /// The stored customer, `None` on 404; any other answer fails the test.
    pub fn customer(
        &self,
        client: &reqwest::blocking::Client,
        code: &str,
    ) -> Option<serde_json::Value> {
        let response = client
            .get(self.url(&format!("/customers/{code}")))
            .bearer_auth(&self.key)
            .send()
            .expect("read a customer");
        match response.status().as_u16() {
            200 => Some(response.json().expect("a customer")),
            404 => None,
            other => panic!(
                "GET /customers/{code}: {other} {}",
                response.text().unwrap_or_default()
            ),
        }
    }

    pub fn logs(&self) -> String {
        self.logs
            .lock()
            .map(|logs| logs.clone())
            .unwrap_or_default()
    }

    /// SIGKILL: the process dies at once, mid-whatever.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends `signal` (`KILL`, `TERM`) without waiting; usable while clients share `self`.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// SIGTERM, without waiting.
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    pub fn wait(&mut self) -> ExitStatus {
        self.child.wait().expect("wait")
    }

    /// SIGTERM and the exit status.
    pub fn stop(&mut self) -> ExitStatus {
        self.terminate();
        self.wait()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

pub fn temporary_folder() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

/// A free TCP port on the loopback interface (free when asked; good enough for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// The newest PostgreSQL server binaries on this machine (`initdb`, `pg_ctl`), if any.
pub fn postgres_binaries() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(|version| version.file_name())
            .and_then(|name| name.to_str())
            .and_then(|name| name.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop()
}
