//! The `clientela-api` binary as a user runs it: first start, keys, config errors, JSON
//! logs and a clean stop on SIGTERM; the data commands (import, export, geo, changes) are in
//! `data.rs`.

#![expect(
    clippy::expect_used,
    reason = "in the harness a failed setup step is a failed test, said with its reason"
)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

mod data;

const BINARY: &str = env!("CARGO_BIN_EXE_clientela-api");

fn command(data_dir: &Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_remove("CLIENTELA_CONFIG")
        .env("CLIENTELA__DATA_DIR", data_dir)
        .env("CLIENTELA__SERVER__BIND", "127.0.0.1:0");
    command
}

/// Starts `serve` and reads stdout up to the `listening on` line; returns the base URL and
/// every line printed before it.
fn start(data_dir: &Path, extra_env: &[(&str, &str)]) -> (Child, String, Vec<String>) {
    let mut child = command(data_dir)
        .envs(extra_env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start clientela-api");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some(base) = line.strip_prefix("listening on ") {
            return (child, base.to_owned(), lines);
        }
        lines.push(line);
    }
    let _ = child.kill();
    let status = child.wait();
    panic!("clientela-api never said where it listens ({status:?}); it printed {lines:?}");
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    child.wait().expect("wait")
}

/// The first admin key's secret goes only into `admin.key`, replaced atomically with mode
/// 0600 even when an `admin.key` readable by others was there before; stdout (container
/// logs) says where it is and its id, never the secret.
#[test]
fn first_start_saves_the_admin_key_private_and_prints_only_where_it_is() {
    let folder = tempfile::tempdir().expect("folder");
    let key_file = folder.path().join("admin.key");
    std::fs::write(&key_file, "left over\n").expect("old admin.key");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644))
        .expect("chmod 0644");
    let (mut child, base, printed) = start(folder.path(), &[]);
    let saved = std::fs::read_to_string(&key_file).expect("admin.key written");
    let key = saved.trim();
    assert!(
        key.starts_with("clientela_"),
        "the new key replaced the old file: {saved:?}"
    );
    let secret = key.rsplit('_').next().expect("secret");
    let id = key.split('_').nth(1).expect("id");
    assert!(
        !printed.iter().any(|line| line.contains(secret)),
        "the secret is never printed: {printed:?}"
    );
    assert!(
        printed
            .iter()
            .any(|line| line.contains(id) && line.contains(&key_file.display().to_string())),
        "the output says where the key is and its id: {printed:?}"
    );
    let mode = std::fs::metadata(&key_file)
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "0600 whatever was there before");

    let client = reqwest::blocking::Client::new();
    let response = client
        .post(format!("{base}/customers"))
        .bearer_auth(key)
        .json(&serde_json::json!({"code": "first"}))
        .send()
        .expect("post");
    assert_eq!(response.status(), 200);
    assert!(
        terminate(&mut child).success(),
        "SIGTERM stops it with exit code 0"
    );

    // The second start finds the key and prints none; the customer is still there.
    let (mut child, base, printed) = start(folder.path(), &[]);
    assert!(
        !printed.iter().any(|line| line.contains("clientela_")),
        "{printed:?}"
    );
    let response = client
        .get(format!("{base}/customers/first"))
        .bearer_auth(key)
        .send()
        .expect("get");
    assert_eq!(response.status(), 200);
    assert!(terminate(&mut child).success());
}

#[test]
fn keys_are_created_listed_and_revoked_from_the_command_line() {
    let folder = tempfile::tempdir().expect("folder");
    let create = command(folder.path())
        .args(["key", "create", "--name", "importer", "--scope", "write"])
        .output()
        .expect("key create");
    assert!(
        create.status.success(),
        "{}",
        String::from_utf8_lossy(&create.stderr)
    );
    let token = String::from_utf8_lossy(&create.stdout).trim().to_owned();
    assert!(token.starts_with("clientela_"), "{token}");
    let id = token.split('_').nth(1).expect("id").to_owned();

    let list = command(folder.path())
        .args(["key", "list"])
        .output()
        .expect("key list");
    let listing = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(listing.contains(&id) && listing.contains("importer") && listing.contains("write"));
    assert!(!listing.contains(&token), "secrets are never listed");

    let revoke = command(folder.path())
        .args(["key", "revoke", &id])
        .output()
        .expect("revoke");
    assert!(revoke.status.success());
    let again = command(folder.path())
        .args(["key", "revoke", &id])
        .output()
        .expect("revoke");
    assert!(
        !again.status.success(),
        "a revoked key cannot be revoked twice"
    );
    let list = command(folder.path())
        .args(["key", "list"])
        .output()
        .expect("key list");
    assert!(String::from_utf8_lossy(&list.stdout).contains("revoked"));
}

#[test]
fn a_bad_setting_stops_the_start_naming_it() {
    let folder = tempfile::tempdir().expect("folder");
    let output = command(folder.path())
        .env("CLIENTELA__SERVER__BINDD", "127.0.0.1:1")
        .arg("migrate")
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("bindd"));

    let output = command(folder.path())
        .env("CLIENTELA__DATABASE__URL", "mysql://localhost/db")
        .arg("migrate")
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("neither sqlite://PATH nor a PostgreSQL connection string"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn migrate_applies_the_migrations_once() {
    let folder = tempfile::tempdir().expect("folder");
    let first = command(folder.path())
        .env("CLIENTELA__DATABASE__MIGRATE", "false")
        .arg("migrate")
        .output()
        .expect("migrate");
    assert!(String::from_utf8_lossy(&first.stdout).contains("applied"));
    let second = command(folder.path())
        .arg("migrate")
        .output()
        .expect("migrate");
    assert!(String::from_utf8_lossy(&second.stdout).contains("up to date"));
}

#[test]
fn json_log_format_writes_one_object_per_line() {
    let folder = tempfile::tempdir().expect("folder");
    let (mut child, base, _) = start(folder.path(), &[("CLIENTELA__LOG__FORMAT", "json")]);
    // A request first: it is logged, and by its answer the signal handlers are in place.
    let health = reqwest::blocking::get(format!("{base}/healthz")).expect("healthz");
    assert_eq!(health.status(), 200);
    assert!(terminate(&mut child).success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("read");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert!(!lines.is_empty());
    for line in lines {
        let parsed: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
        assert!(parsed.get("level").is_some(), "{line}");
    }
}

#[test]
fn every_log_line_of_a_request_carries_its_request_id() {
    let folder = tempfile::tempdir().expect("folder");
    let (mut child, base, printed) = start(folder.path(), &[("CLIENTELA__LOG__FORMAT", "json")]);
    let key = std::fs::read_to_string(folder.path().join("admin.key")).expect("admin.key");
    let key = key.trim();
    assert!(!printed.is_empty());
    let client = reqwest::blocking::Client::new();
    let created = client
        .post(format!("{base}/customers"))
        .bearer_auth(key)
        .json(&serde_json::json!({"code": "to-erase"}))
        .send()
        .expect("post");
    assert_eq!(created.status(), 200);
    let erased = client
        .delete(format!("{base}/customers/to-erase"))
        .bearer_auth(key)
        .header("x-request-id", "erase-request-7")
        .send()
        .expect("delete");
    assert_eq!(erased.status(), 204);
    assert_eq!(erased.headers()["x-request-id"], "erase-request-7");
    assert!(terminate(&mut child).success());

    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("read");
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let of_the_delete: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line.to_string().contains("erase-request-7"))
        .collect();
    let messages: Vec<&str> = of_the_delete
        .iter()
        .filter_map(|line| line["fields"]["message"].as_str())
        .collect();
    assert!(
        messages.contains(&"customer erased") && messages.contains(&"DELETE /customers/{code}"),
        "the handler's line and the access line both carry the ID: {messages:?}\n{stderr}"
    );
    for line in of_the_delete {
        assert_eq!(line["span"]["request_id"], "erase-request-7", "{line}");
    }
}

#[test]
fn healthcheck_exits_zero_only_while_the_server_answers() {
    let folder = tempfile::tempdir().expect("folder");
    let (mut child, base, _) = start(folder.path(), &[]);
    let healthy = command(folder.path())
        .args(["healthcheck", "--url", &base])
        .output()
        .expect("healthcheck");
    assert!(
        healthy.status.success(),
        "{}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    assert!(terminate(&mut child).success());
    let stopped = command(folder.path())
        .args(["healthcheck", "--url", &base])
        .output()
        .expect("healthcheck");
    assert!(!stopped.status.success(), "nothing answers once it stopped");
}

#[test]
fn text_logs_into_a_pipe_carry_no_colour_codes() {
    let folder = tempfile::tempdir().expect("folder");
    let (mut child, base, _) = start(folder.path(), &[("CLIENTELA__LOG__FORMAT", "text")]);
    let health = reqwest::blocking::get(format!("{base}/healthz")).expect("healthz");
    assert_eq!(health.status(), 200);
    assert!(terminate(&mut child).success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("read");
    assert!(stderr.contains("INFO"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "no ANSI escapes: {stderr:?}");
}

#[test]
fn a_database_that_does_not_exist_is_reported_once_at_once() {
    let Ok(base) = std::env::var("CLIENTELA_TEST_PG") else {
        eprintln!("skipped: CLIENTELA_TEST_PG is not set");
        return;
    };
    let Some((server, _)) = base.rsplit_once('/') else {
        panic!("CLIENTELA_TEST_PG is not a URL: {base}");
    };
    let missing = format!("{server}/clientela_no_such_database");
    let folder = tempfile::tempdir().expect("folder");
    let started = std::time::Instant::now();
    let output = command(folder.path())
        .env("CLIENTELA__DATABASE__URL", &missing)
        .arg("migrate")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "no waiting out the connect timeout: {:?}",
        started.elapsed()
    );
    assert_eq!(stderr.matches("does not exist").count(), 1, "{stderr}");
    assert!(!stderr.contains("ERROR"), "no pool error lines: {stderr}");
}

fn repository_path(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

#[test]
fn the_sample_configuration_file_is_valid_and_holds_the_defaults() {
    let file = repository_path("clientela.example.toml");
    let text = std::fs::read_to_string(&file).expect("clientela.example.toml");
    for key in ["data_dir", "bind", "url", "overlays"] {
        assert!(text.contains(key), "the sample shows `{key}`");
    }
    // The binary reads it (its own environment cleared of settings that would win).
    let folder = tempfile::tempdir().expect("folder");
    let output = Command::new(BINARY)
        .env_remove("CLIENTELA_CONFIG")
        .env_remove("CLIENTELA__DATA_DIR")
        .env_remove("CLIENTELA__DATABASE__URL")
        .current_dir(folder.path())
        .arg("--config")
        .arg(&file)
        .arg("migrate")
        .output()
        .expect("migrate");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        folder.path().join("data/clientela.db").exists(),
        "data_dir = ./data, SQLite by default"
    );
}

#[test]
fn serve_bind_on_the_command_line_wins_over_the_setting() {
    let folder = tempfile::tempdir().expect("folder");
    let mut child = command(folder.path())
        .env("CLIENTELA__SERVER__BIND", "not-an-address")
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let stdout = child.stdout.take().expect("stdout");
    let base = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("listening on ").map(str::to_owned));
    let base = base.expect("it listens where --bind says");
    let health = reqwest::blocking::get(format!("{base}/healthz")).expect("healthz");
    assert_eq!(health.status(), 200);
    assert!(terminate(&mut child).success());
}
