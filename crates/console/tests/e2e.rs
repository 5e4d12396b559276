//! End to end: the real `clientela-api` on a random port with a temporary data folder, the
//! real console in a tmux pane of 100x30, keys sent with `send-keys`, the screen read with
//! `capture-pane`, and every change checked through the API itself.
//!
//! The console must not depend on the API crate, so this test builds the API binary with the
//! same cargo that runs it. It needs tmux (`apt-get install tmux`).

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step of the scenario is a failed test"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/console sits two folders below the workspace root")
        .to_path_buf()
}

/// The `clientela-api` binary the console talks to. `cargo xtask ci` names the one its
/// workspace test build already made (`CLIENTELA_API_BIN`), so CI compiles the server once;
/// run alone, the test builds it once for all its cases.
fn api_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            if let Some(binary) = std::env::var_os("CLIENTELA_API_BIN") {
                return PathBuf::from(binary);
            }
            let root = workspace_root();
            let status = Command::new(env!("CARGO"))
                .args([
                    "build",
                    "--quiet",
                    "-p",
                    "clientela-api",
                    "--bin",
                    "clientela-api",
                ])
                .current_dir(&root)
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building clientela-api failed");
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .map(|dir| {
                    if dir.is_relative() {
                        root.join(dir)
                    } else {
                        dir
                    }
                })
                .unwrap_or_else(|| root.join("target"));
            target.join("debug").join("clientela-api")
        })
        .clone()
}

/// A running API, stopped when dropped.
struct Api {
    process: Child,
    url: String,
    key: String,
    data_dir: tempfile::TempDir,
    http: reqwest::blocking::Client,
}

impl Api {
    fn start() -> Api {
        let data_dir = tempfile::tempdir().unwrap();
        let mut process = Command::new(api_binary())
            .arg("serve")
            .env("CLIENTELA__DATA_DIR", data_dir.path())
            .env("CLIENTELA__SERVER__BIND", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("clientela-api starts");
        let stdout = process.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        // Keep draining stdout for the server's whole life so it never blocks on a full pipe.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = loop {
            let line = lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("clientela-api printed `listening on …` in time");
            if let Some(url) = line.strip_prefix("listening on ") {
                break url.trim().to_owned();
            }
        };
        let key = std::fs::read_to_string(data_dir.path().join("admin.key"))
            .expect("the first start writes admin.key")
            .trim()
            .to_owned();
        Api {
            process,
            url,
            key,
            data_dir,
            http: reqwest::blocking::Client::new(),
        }
    }

    fn post(&self, body: Value) {
        let response = self
            .http
            .post(format!("{}/customers", self.url))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .unwrap();
        assert!(response.status().is_success(), "{:?}", response.text());
    }

    /// The customer as the API has it now, or None when it answers 404.
    fn get(&self, code: &str) -> Option<Value> {
        let response = self
            .http
            .get(format!("{}/customers/{code}", self.url))
            .bearer_auth(&self.key)
            .send()
            .unwrap();
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return None;
        }
        assert!(response.status().is_success(), "{:?}", response.text());
        Some(response.json().unwrap())
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The console in its own tmux server, on a socket in a temporary folder: the user's own
/// tmux server is never touched, and nothing is left behind.
struct Tmux {
    socket: PathBuf,
    _folder: tempfile::TempDir,
}

impl Tmux {
    fn start(command: &[&str]) -> Tmux {
        let folder = tempfile::tempdir().unwrap();
        let tmux = Tmux {
            socket: folder.path().join("tmux.sock"),
            _folder: folder,
        };
        let mut arguments = vec![
            "new-session",
            "-d",
            "-s",
            "console",
            "-x",
            "100",
            "-y",
            "30",
        ];
        arguments.extend(command);
        let status = tmux.run(&arguments).status().expect("tmux is installed");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn run(&self, arguments: &[&str]) -> Command {
        let mut command = Command::new("tmux");
        command.arg("-S").arg(&self.socket).args(arguments);
        command
    }

    fn keys(&self, keys: &[&str]) {
        let mut arguments = vec!["send-keys", "-t", "console"];
        arguments.extend(keys);
        assert!(self.run(&arguments).status().unwrap().success());
    }

    /// Types text literally (`-l`), so words like `Space` are not read as key names.
    fn type_text(&self, text: &str) {
        assert!(
            self.run(&["send-keys", "-t", "console", "-l", text])
                .status()
                .unwrap()
                .success()
        );
    }

    fn screen(&self) -> String {
        let output = self
            .run(&["capture-pane", "-p", "-t", "console"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen shows `text`, and answers the screen.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "`{text}` never showed; the screen:\n{screen}"
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn is_running(&self) -> bool {
        self.run(&["has-session", "-t", "console"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]).stderr(Stdio::null()).status();
    }
}

/// Polls the API until `check` holds for the customer, so the console's write has landed.
fn eventually(api: &Api, code: &str, check: impl Fn(&Option<Value>) -> bool) -> Option<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let customer = api.get(code);
        if check(&customer) || Instant::now() > deadline {
            return customer;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Whether tmux can run here; says the test is skipped when not.
fn tmux_or_skip() -> bool {
    let found = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        eprintln!("skipped: tmux is absent (apt-get install tmux; .ci/run installs it)");
    }
    found
}

#[test]
fn an_admin_toggles_edits_creates_and_deletes_through_the_console() {
    if !tmux_or_skip() {
        return;
    }
    let api = Api::start();
    api.post(json!({"code": "E2E-001", "country": "ES", "state": "Barcelona"}));
    api.post(
        json!({"code": "E2E-002", "country": "ES", "yearBorn": 1984, "metadata": {"tier": "gold"}}),
    );
    api.post(json!({"code": "E2E-003", "country": "FR"}));

    let console = env!("CARGO_BIN_EXE_clientela-console");
    let data_dir = api.data_dir.path().to_str().unwrap();
    // No --api-key: the console must find <data dir>/admin.key by itself.
    let tmux = Tmux::start(&[console, "--url", &api.url, "--data-dir", data_dir]);
    tmux.wait_for("E2E-003");
    tmux.wait_for("3 customers");

    // Space on the first row: isActive flips, and the API has it.
    tmux.keys(&["Space"]);
    tmux.wait_for("E2E-001 is now inactive.");
    let first = eventually(&api, "E2E-001", |c| {
        c.as_ref().is_some_and(|c| c["isActive"] == false)
    });
    assert_eq!(first.unwrap()["isActive"], false);

    // e on the second row, Tab to city, type, Ctrl-S: only the city changes.
    tmux.keys(&["j", "e"]);
    tmux.wait_for("edit E2E-002");
    tmux.keys(&["Tab", "Tab", "Tab"]);
    tmux.type_text("Madrid");
    tmux.keys(&["C-s"]);
    tmux.wait_for("E2E-002 saved");
    let second = eventually(&api, "E2E-002", |c| {
        c.as_ref().is_some_and(|c| c["city"] == "Madrid")
    })
    .unwrap();
    assert_eq!(second["city"], "Madrid");
    assert_eq!(second["yearBorn"], 1984, "untouched fields stay");
    assert_eq!(second["metadata"], json!({"tier": "gold"}));

    // n: a new customer through the same form.
    tmux.keys(&["n"]);
    tmux.wait_for("new customer");
    tmux.type_text("E2E-000");
    tmux.keys(&["Tab", "Tab"]);
    tmux.type_text("Portugal");
    // The resolver's reading shows as you type (GET /geo/resolve, after a short pause).
    tmux.wait_for("→ PT Portugal");
    tmux.keys(&["C-s"]);
    tmux.wait_for("E2E-000 created");
    let created = eventually(&api, "E2E-000", |c| c.is_some()).unwrap();
    assert_eq!(created["country"], "Portugal");

    // d asks, naming the code; y deletes. Once the reload after the create is in, G selects
    // the last row, E2E-003.
    tmux.wait_for("4 customers");
    tmux.keys(&["G", "d"]);
    tmux.wait_for("Delete customer E2E-003?");
    tmux.keys(&["y"]);
    tmux.wait_for("Deleted E2E-003.");
    assert_eq!(eventually(&api, "E2E-003", Option::is_none), None);

    tmux.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while tmux.is_running() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
    }
    assert!(!tmux.is_running(), "q quit the console");
}

#[test]
fn a_wrong_key_is_said_on_screen_and_q_still_quits() {
    if !tmux_or_skip() {
        return;
    }
    let api = Api::start();
    let console = env!("CARGO_BIN_EXE_clientela-console");
    let tmux = Tmux::start(&[console, "--url", &api.url, "--api-key", "wrong"]);
    let screen = tmux.wait_for("refused (401)");
    assert!(screen.contains("Retrying in"), "{screen}");
    tmux.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while tmux.is_running() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
    }
    assert!(!tmux.is_running());
}

#[test]
fn changes_made_elsewhere_show_without_a_key_and_the_selection_stays() {
    if !tmux_or_skip() {
        return;
    }
    let api = Api::start();
    for code in ["LIVE-1", "LIVE-2", "LIVE-3"] {
        api.post(json!({"code": code, "country": "ES", "city": "Madrid"}));
    }
    let console = env!("CARGO_BIN_EXE_clientela-console");
    let data_dir = api.data_dir.path().to_str().unwrap();
    let tmux = Tmux::start(&[console, "--url", &api.url, "--data-dir", data_dir]);
    tmux.wait_for("LIVE-3");
    tmux.wait_for("3 customers");
    // Select LIVE-2, then change the list from another client, touching no key meanwhile.
    tmux.keys(&["j"]);
    api.post(json!([
        {"code": "LIVE-0", "country": "FR", "city": "Lyon"},
        {"code": "LIVE-3", "city": "Lisboa", "country": "PT"},
    ]));
    let response = api
        .http
        .delete(format!("{}/customers/LIVE-1", api.url))
        .bearer_auth(&api.key)
        .send()
        .unwrap();
    assert!(response.status().is_success());

    // The feed brings all three changes to the screen by itself.
    tmux.wait_for("LIVE-0");
    // The list shows the place as resolved: Lisboa is Lisbon, in Portugal.
    tmux.wait_for("PT Portugal");
    let screen = tmux.wait_for("3 customers");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut screen = screen;
    while screen.contains("LIVE-1 ") && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
        screen = tmux.screen();
    }
    assert!(
        !screen.contains("LIVE-1 "),
        "the erased customer left the list:\n{screen}"
    );

    // The selection is still on LIVE-2: `e` opens its form.
    tmux.keys(&["e"]);
    tmux.wait_for("edit LIVE-2");
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
}
