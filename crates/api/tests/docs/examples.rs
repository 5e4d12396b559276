//! The pages' examples, run: every `sh` block of README.md and docs/api.md that calls curl
//! runs, in page order, against a fresh server, and its output must be the answer the
//! next block shows (`json`: one or more JSON documents; `http`: a status line, the headers
//! shown, and a body). Then the change feed's follower (docs/change-feed.md) runs and must
//! print the changes, and every metric `/metrics` exports must be in docs/operations.md.
//!
//! An answer may leave out what changes from run to run: timestamps (`createdAt`,
//! `updatedAt`, `at`) and cursors (`cursor`, `next`, `previous`, `resume`) need only be of
//! the same kind (text or null), an object holding the member `"…"` may leave out members
//! (each member shown must still match), and a text shown ending in `…` stands for any text
//! that starts as it does (`"wh_…"` for a random id). Everything else must match exactly.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::markdown::{Block, fenced_blocks};
use crate::read_repository_file;
use crate::support::TestApp;

/// Where the pages' examples send their requests; replaced by the test server's address.
const DOCUMENTED_SERVER: &str = "localhost:8080";
const TIMESTAMPS: [&str; 3] = ["createdAt", "updatedAt", "at"];
const CURSORS: [&str; 4] = ["cursor", "next", "previous", "resume"];
/// The member that says an object shown leaves members out.
const MORE: &str = "…";
/// The longest an example may take (a long poll included).
const EXAMPLE_DEADLINE: Duration = Duration::from_secs(60);

/// An example: the commands, and the answer shown after them.
struct Example {
    command: Block,
    answer: Block,
}

/// The examples of a page: each `sh` block calling curl, with the block after it.
fn examples(page: &str, blocks: &[Block]) -> Result<Vec<Example>, String> {
    let mut examples = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        if block.info != "sh" || !block.text.contains("curl ") {
            continue;
        }
        match blocks.get(index + 1) {
            Some(answer) if matches!(answer.info.as_str(), "json" | "http") => {
                examples.push(Example {
                    command: block.clone(),
                    answer: answer.clone(),
                });
            }
            _ => {
                return Err(format!(
                    "{page}:{}: a curl example must be followed by its answer (a json or \
                     http block)",
                    block.line
                ));
            }
        }
    }
    Ok(examples)
}

/// A folder to run the examples in, holding `data/admin.key` as a first start leaves it.
fn working_folder(app: &TestApp) -> tempfile::TempDir {
    let folder = tempfile::tempdir().expect("folder");
    std::fs::create_dir(folder.path().join("data")).expect("data folder");
    std::fs::write(
        folder.path().join("data/admin.key"),
        format!("{}\n", app.admin_key),
    )
    .expect("admin.key");
    folder
}

/// Runs `program` with `arguments` in `folder` and answers its standard output, or why not.
fn run(program: &str, arguments: &[&str], folder: &Path, app: &TestApp) -> Result<String, String> {
    let mut child = Command::new(program)
        .args(arguments)
        .current_dir(folder)
        .env("KEY", &app.admin_key)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("{program} could not start: {error}"))?;
    let started = Instant::now();
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if started.elapsed() > EXAMPLE_DEADLINE {
            let _ = child.kill();
            return Err(format!("still running after {EXAMPLE_DEADLINE:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "exit {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|error| error.to_string())
}

/// The JSON documents of a text, one after the other (empty text: none).
fn json_documents(text: &str) -> Result<Vec<Value>, String> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .map_err(|error| format!("not JSON ({error}): {text}"))
}

/// Whether `actual` is what `shown` shows; the error says where they part.
fn matches(shown: &Value, actual: &Value, path: &str) -> Result<(), String> {
    let member = path.rsplit('.').next().unwrap_or("");
    let same_kind = |a: &Value, b: &Value| {
        matches!(
            (a, b),
            (Value::String(_), Value::String(_)) | (Value::Null, Value::Null)
        )
    };
    if TIMESTAMPS.contains(&member) || CURSORS.contains(&member) {
        return if same_kind(shown, actual) {
            Ok(())
        } else {
            Err(format!("{path}: shown {shown}, answered {actual}"))
        };
    }
    match (shown, actual) {
        (Value::Object(shown), Value::Object(actual)) => matches_object(shown, actual, path),
        (Value::Array(shown), Value::Array(actual)) => {
            if shown.len() != actual.len() {
                return Err(format!(
                    "{path}: {} items shown, {} answered: {}",
                    shown.len(),
                    actual.len(),
                    Value::Array(actual.clone())
                ));
            }
            shown
                .iter()
                .zip(actual)
                .enumerate()
                .try_for_each(|(index, (s, a))| matches(s, a, &format!("{path}[{index}]")))
        }
        (Value::Number(s), Value::Number(a)) if s.as_f64() == a.as_f64() => Ok(()),
        (Value::String(s), Value::String(a))
            if s.strip_suffix(MORE)
                .is_some_and(|start| a.starts_with(start)) =>
        {
            Ok(())
        }
        _ if shown == actual => Ok(()),
        _ => Err(format!("{path}: shown {shown}, answered {actual}")),
    }
}

fn matches_object(
    shown: &Map<String, Value>,
    actual: &Map<String, Value>,
    path: &str,
) -> Result<(), String> {
    let some_left_out = shown.contains_key(MORE);
    for (key, value) in shown.iter().filter(|(key, _)| *key != MORE) {
        let Some(answered) = actual.get(key) else {
            return Err(format!("{path}.{key}: shown, but not answered"));
        };
        matches(value, answered, &format!("{path}.{key}"))?;
    }
    if !some_left_out && let Some(key) = actual.keys().find(|key| !shown.contains_key(*key)) {
        return Err(format!(
            "{path}.{key}: answered but not shown (add it, or \"{MORE}\": \"{MORE}\")"
        ));
    }
    Ok(())
}

fn matches_documents(shown: &str, answered: &str) -> Result<(), String> {
    let (shown, answered) = (json_documents(shown)?, json_documents(answered)?);
    if shown.len() != answered.len() {
        return Err(format!(
            "{} documents shown, {} answered: {answered:?}",
            shown.len(),
            answered.len()
        ));
    }
    shown
        .iter()
        .zip(&answered)
        .enumerate()
        .try_for_each(|(index, (s, a))| matches(s, a, &format!("answer {}", index + 1)))
}

/// A status line, headers and a body, split (`\r\n` or `\n`).
fn http_parts(text: &str) -> (String, Vec<(String, String)>, String) {
    let text = text.replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((text.as_str(), ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("").to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn matches_http(shown: &str, answered: &str) -> Result<(), String> {
    let (shown_status, shown_headers, shown_body) = http_parts(shown);
    let (status, headers, body) = http_parts(answered);
    let code = |line: &str| line.split_whitespace().nth(1).map(str::to_owned);
    if code(&shown_status) != code(&status) {
        return Err(format!("shown `{shown_status}`, answered `{status}`"));
    }
    for (name, value) in &shown_headers {
        if !headers.contains(&(name.clone(), value.clone())) {
            return Err(format!("`{name}: {value}` shown, answered {headers:?}"));
        }
    }
    matches_documents(&shown_body, &body)
}

/// Runs a page's examples in order on a fresh server; every mismatch is named with its line.
fn run_the_examples_of(page: &str) {
    let text = read_repository_file(page);
    let examples = examples(page, &fenced_blocks(&text)).unwrap_or_else(|error| panic!("{error}"));
    assert!(!examples.is_empty(), "{page} shows curl examples");
    let app = TestApp::sqlite();
    let server = app.base.trim_start_matches("http://").to_owned();
    let folder = working_folder(&app);
    let mut problems = Vec::new();
    for example in &examples {
        let script = example.command.text.replace(DOCUMENTED_SERVER, &server);
        let checked = run("sh", &["-c", &script], folder.path(), &app).and_then(|output| {
            match example.answer.info.as_str() {
                "http" => matches_http(&example.answer.text, &output),
                _ => matches_documents(&example.answer.text, &output),
            }
        });
        if let Err(problem) = checked {
            problems.push(format!("{page}:{}: {problem}", example.command.line));
        }
    }
    assert!(
        problems.is_empty(),
        "the answers shown are not what the server answers:\n{}",
        problems.join("\n")
    );
}

fn curl_is_installed() -> bool {
    let found = Command::new("curl").arg("--version").output().is_ok();
    if !found {
        eprintln!("skipped: curl is not installed (the examples are curl commands)");
    }
    found
}

#[test]
fn the_readme_examples_answer_what_the_readme_shows() {
    if curl_is_installed() {
        run_the_examples_of("README.md");
    }
}

#[test]
fn the_api_examples_answer_what_the_api_page_shows() {
    if curl_is_installed() {
        run_the_examples_of("docs/api.md");
    }
}

#[test]
fn a_curl_example_without_its_answer_is_found() {
    let page = "```sh\ncurl -s x\n```\n\ntext\n\n```sh\ncurl -s y\n```\n\n```json\n{}\n```\n";
    let error = examples("page.md", &fenced_blocks(page))
        .err()
        .expect("the first example shows no answer");
    assert!(error.starts_with("page.md:1:"), "{error}");
}

#[test]
fn answers_match_leaving_out_only_what_changes_or_what_they_say_they_leave_out() {
    let answered = json!({"code": "A", "version": 2, "createdAt": "2026-01-01T00:00:00Z",
                          "next": "abc", "location": {"status": "empty", "city": null}});
    let shown = json!({"code": "A", "version": 2, "createdAt": "2000-01-01T00:00:00Z",
                       "next": "other", "location": {"status": "empty", "…": "…"}});
    assert_eq!(matches(&shown, &answered, "answer"), Ok(()));
    let wrong = json!({"code": "A", "version": 3, "createdAt": "x", "next": "y",
                       "location": {"status": "empty", "…": "…"}});
    assert!(matches(&wrong, &answered, "answer").is_err());
    let missing = json!({"code": "A", "version": 2, "createdAt": "x", "next": "y",
                         "location": {"status": "empty"}});
    assert!(
        matches(&missing, &answered, "answer").is_err(),
        "city left out unannounced"
    );
    let null_cursor = json!({"code": "A", "version": 2, "createdAt": "x", "next": null,
                             "location": {"…": "…"}});
    assert!(
        matches(&null_cursor, &answered, "answer").is_err(),
        "a cursor is not null"
    );
    assert_eq!(
        matches_documents("201\n{\"a\": 1}", "201\n{\"a\":1}\n"),
        Ok(())
    );
    assert_eq!(
        matches_http(
            "HTTP/1.1 200 OK\netag: \"1\"\n\n{}",
            "HTTP/1.1 200 OK\r\ndate: now\r\netag: \"1\"\r\n\r\n{}"
        ),
        Ok(())
    );
    assert!(matches_http("HTTP/1.1 204 No Content\n", "HTTP/1.1 200 OK\r\n\r\n").is_err());
    assert_eq!(matches(&json!("wh_…"), &json!("wh_0a1b"), "id"), Ok(()));
    assert!(
        matches(&json!("wh_…"), &json!("msg_0a1b"), "id").is_err(),
        "a text shown with … keeps its start"
    );
}

/// The follower of docs/change-feed.md, run as a reader would run it: it must print each
/// change once, and started again, carry on after the last one it handled.
#[test]
fn the_change_feed_follower_prints_every_change_once_and_resumes_where_it_stopped() {
    let page = "docs/change-feed.md";
    let text = read_repository_file(page);
    let follower = fenced_blocks(&text)
        .into_iter()
        .find(|block| block.info == "python")
        .unwrap_or_else(|| panic!("{page} shows a follower in Python"));
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: python3 is not installed (the follower is a Python script)");
        return;
    }
    let app = TestApp::sqlite();
    let folder = working_folder(&app);
    let script = folder.path().join("follow.py");
    std::fs::write(&script, &follower.text).expect("follow.py");
    let follow = |wanted: usize| -> Vec<String> {
        let mut child = Command::new("python3")
            .arg(&script)
            .current_dir(folder.path())
            .env("CLIENTELA_URL", &app.base)
            .env("CLIENTELA_API_KEY", &app.admin_key)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 follow.py");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut printed = Vec::new();
        while printed.len() < wanted {
            match lines.recv_timeout(Duration::from_secs(20)) {
                Ok(line) => printed.push(line),
                Err(_) => break,
            }
        }
        // Anything more within a moment would be a change printed twice.
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(500)) {
            printed.push(line);
        }
        let _ = child.kill();
        let _ = child.wait();
        printed
    };
    let (status, _) = app.post(&json!([{"code": "F1"}, {"code": "F2"}]));
    assert_eq!(status, 200);
    let (status, _) = app.post(&json!({"code": "F1", "gender": 1}));
    assert_eq!(status, 200);
    assert_eq!(
        follow(3),
        ["upsert F1 1", "upsert F2 1", "upsert F1 2"],
        "{page}:{}: each change once, in commit order",
        follower.line
    );
    assert_eq!(app.delete("/customers/F2"), 204);
    assert_eq!(
        follow(1),
        ["delete F2 1"],
        "{page}:{}: started again, it goes on after the last change it handled",
        follower.line
    );
}

/// Every metric family the server exports is in docs/operations.md's monitoring table.
#[test]
fn every_metric_the_server_exports_is_documented() {
    let app = TestApp::sqlite();
    let (status, _) = app.post(&json!({"code": "M1", "country": "ES"}));
    assert_eq!(status, 200);
    let (status, _) = app.get("/geo/resolve?country=ES");
    assert_eq!(status, 200);
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .and_then(|response| response.text())
        .expect("metrics");
    let families: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(families.len() >= 9, "{families:?}");
    let page = read_repository_file("docs/operations.md");
    let missing: Vec<&&str> = families
        .iter()
        .filter(|family| !page.contains(&format!("`{family}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/operations.md must list every metric /metrics exports: {missing:?}"
    );
}
