//! Hostile input and what must hold against it: bodies refused while parsing, exact
//! numbers, duplicate keys, invisible codes, paths that are not UTF-8, the Bearer scheme,
//! keyed suppressions and erasure that leaves no copy on disk (even while another process
//! reads the file), and lock waits that cannot starve reads.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use clientela_store::{advisory_lock_key, legacy_hash};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends, send};

/// POSTs raw bytes as JSON; returns the status and the body as text.
fn post_raw(app: &TestApp, body: impl Into<reqwest::blocking::Body>) -> (StatusCode, String) {
    let response = app
        .client
        .post(format!("{}/customers", app.base))
        .bearer_auth(&app.admin_key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .expect("request");
    let status = response.status();
    (status, response.text().expect("body"))
}

fn failed_customers(app: &TestApp) -> f64 {
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .expect("metrics")
        .text()
        .expect("text");
    metrics
        .lines()
        .find_map(|line| {
            line.strip_prefix(r#"clientela_customers_written_total{result="failed"}"#)?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}

#[test]
fn an_array_of_a_million_zeros_is_refused_at_its_101st_item_and_counted_once() {
    let app = TestApp::sqlite();
    let mut body = String::from("[0");
    body.push_str(&",0".repeat(1_000_000));
    body.push(']');
    let before = failed_customers(&app);
    let (status, text) = post_raw(&app, body);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("101 customers or more"), "{text}");
    assert_eq!(
        failed_customers(&app) - before,
        1.0,
        "a request refused as a whole counts once, not once per element"
    );
    assert_eq!(app.count(), 0, "nothing written");
}

#[test]
fn an_item_larger_than_a_maximal_customer_is_refused_unparsed_and_the_others_are_saved() {
    let app = TestApp::sqlite();
    // 300 000 bytes of metadata: over the 256 KiB a maximal customer can take as sent.
    let huge = json!({"code": "HUGE", "metadata": {"list": vec![0; 150_000]}});
    let (status, body) = app.post(&json!([huge, {"code": "SMALL"}]));
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["results"][0]["error"]["status"], 422);
    let message = body["results"][0]["error"]["errors"][0]["message"].to_string();
    assert!(message.contains("bytes as sent"), "{message}");
    assert_eq!(body["created"], 1);
    assert!(app.customer("SMALL").is_some());
}

#[test]
fn a_maximal_customer_fits_its_item_limit() {
    let app = TestApp::sqlite();
    // 60000 characters of metadata once serialized, each 4 bytes of UTF-8 where possible.
    let text = "😀".repeat(59_980);
    let customer = json!({
        "code": "😀".repeat(255), "country": "😀".repeat(255), "state": "😀".repeat(255),
        "city": "😀".repeat(255), "isActive": true, "yearBorn": 1990, "gender": 2,
        "metadata": {"k": text},
    });
    let (status, body) = app.post(&json!([customer.clone(), customer]));
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["failed"], 0, "{body}");
}

on_both_backends! {
    /// An object with the same key twice is malformed (400, naming the key), at the top of a
    /// customer, inside its metadata and inside an array item.
    fn duplicate_keys_are_refused_naming_the_key(app: &TestApp) {
        for (body, key) in [
            (r#"{"code": "D1", "code": "D2"}"#, "code"),
            (r#"{"code": "D1", "metadata": {"tier": 1, "tier": 2}}"#, "tier"),
            (r#"[{"code": "D1"}, {"code": "D3", "city": "a", "city": "b"}]"#, "city"),
        ] {
            let (status, text) = post_raw(app, body);
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {text}");
            assert!(text.contains(&format!("`{key}`")), "the key is named: {text}");
        }
        assert_eq!(app.customer("D1"), None, "nothing written");
    }
}

on_both_backends! {
    /// Numbers in metadata keep their exact value, never rounded through a 64-bit float.
    fn numbers_in_metadata_keep_their_exact_value(app: &TestApp) {
        let body = r#"{"code": "N1", "metadata": {"big": 12345678901234567890123, "precise": 0.1000000000000000055511151231257827, "small": 7}}"#;
        let (status, text) = post_raw(app, body);
        assert_eq!(status, StatusCode::OK, "{text}");
        let stored = app
            .request(reqwest::Method::GET, "/customers/N1")
            .send()
            .expect("get")
            .text()
            .expect("text");
        assert!(stored.contains("12345678901234567890123"), "{stored}");
        assert!(stored.contains("0.1000000000000000055511151231257827"), "{stored}");
        assert!(!stored.contains("e+22"), "{stored}");
    }
}

on_both_backends! {
    /// Codes that would look like another code are refused: invisible characters and
    /// separators, and codes of whitespace only.
    fn invisible_characters_and_blank_codes_are_refused(app: &TestApp) {
        for code in ["ABC\u{200b}123", "ABC\u{200d}123", "\u{feff}ABC123", "A\u{e0041}", "A\u{2028}B", "   "] {
            let (status, body) = app.post(&json!({"code": code}));
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{code:?}: {body}");
            assert_eq!(body["errors"][0]["field"], "code");
        }
        assert_eq!(app.count(), 0);
    }
}

on_both_backends! {
    /// A percent-encoded path that is not UTF-8 is a bad request, not the customer whose
    /// code is U+FFFD.
    fn a_path_that_is_not_utf8_is_400(app: &TestApp) {
        app.post(&json!({"code": "\u{fffd}"}));
        for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
            let (status, body) = send(app.request(method.clone(), "/customers/%FF"));
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {body}");
        }
        assert!(app.customer("\u{fffd}").is_some(), "the U+FFFD customer is untouched");
    }
}

#[test]
fn the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::sqlite();
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let response = app
            .client
            .get(format!("{}/customers", app.base))
            .header(AUTHORIZATION, format!("{scheme} {}", app.admin_key))
            .send()
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{scheme}");
    }
}

#[test]
fn two_authorization_headers_are_refused() {
    let app = TestApp::sqlite();
    let response = app
        .client
        .get(format!("{}/customers", app.base))
        .header(AUTHORIZATION, format!("Bearer {}", app.admin_key))
        .header(AUTHORIZATION, "Bearer clientela_0000000000000000_other")
        .send()
        .expect("request");
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "not first wins, not last wins"
    );
}

#[derive(QueryableByName)]
struct SuppressionRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    code_hash: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
}

/// The suppressions table, read on a connection of its own.
fn suppression_rows(app: &TestApp) -> Vec<SuppressionRow> {
    let query = diesel::sql_query("SELECT code_hash, kind FROM suppressions");
    match app.url.strip_prefix("sqlite://") {
        Some(path) => query.load(&mut SqliteConnection::establish(path).expect("sqlite")),
        None => query.load(&mut PgConnection::establish(&app.url).expect("postgres")),
    }
    .expect("suppressions")
}

/// Runs `statement` on a connection of its own.
fn execute(app: &TestApp, statement: &str) {
    match app.url.strip_prefix("sqlite://") {
        Some(path) => SqliteConnection::establish(path)
            .expect("sqlite")
            .batch_execute(statement),
        None => PgConnection::establish(&app.url)
            .expect("postgres")
            .batch_execute(statement),
    }
    .expect("statement");
}

on_both_backends! {
    /// A suppression is stored as a keyed hash (HMAC): neither the code nor its plain
    /// SHA-256 is in the table. Suppressions stored before as plain SHA-256 still refuse
    /// their code, and lifting removes them.
    fn suppressions_are_keyed_hashes_and_legacy_ones_still_hold(app: &TestApp) {
        let code = "alice@example.com";
        app.post(&json!({"code": code}));
        assert_eq!(app.delete("/customers/alice@example.com?suppress=true"), StatusCode::NO_CONTENT);
        let rows = suppression_rows(app);
        assert_eq!(rows.len(), 1);
        assert_ne!(rows[0].code_hash, legacy_hash(code), "not a plain SHA-256 of the code");
        assert!(!rows[0].code_hash.contains("alice"));
        assert_eq!(rows[0].kind, "hmac-sha256");
        assert_eq!(app.post(&json!({"code": code})).0, StatusCode::CONFLICT);

        let legacy = "bob@example.com";
        execute(app, &format!(
            "INSERT INTO suppressions (code_hash, created_at) VALUES ('{}', 1)",
            legacy_hash(legacy)
        ));
        assert_eq!(app.post(&json!({"code": legacy})).0, StatusCode::CONFLICT, "a legacy suppression holds");
        assert_eq!(app.delete("/suppressions/bob@example.com"), StatusCode::NO_CONTENT);
        assert_eq!(app.post(&json!({"code": legacy})).0, StatusCode::OK, "and can be lifted");
    }
}

#[test]
fn an_erased_customer_leaves_no_copy_in_the_sqlite_files() {
    let app = TestApp::sqlite();
    let marker = "ErasedMetadataMarker";
    app.post(&json!({"code": "ERASE-ME", "metadata": {"note": format!("{marker} one")}}));
    app.post(&json!({"code": "ERASE-ME", "metadata": {"note": format!("{marker} two")}}));
    app.post(&json!({"code": "KEEP", "metadata": {"note": "kept"}}));
    // Let a background checkpoint copy the pages into the database file first.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(app.delete("/customers/ERASE-ME"), StatusCode::NO_CONTENT);
    // The change feed keeps the code in the erasure's `delete` item, so that downstream
    // tools learn of it, until retention removes the item: here, at once.
    let (_, feed) = app.get("/changes");
    assert_eq!(feed["items"][1]["op"], "delete", "{feed}");
    app.store
        .prune_changes(clientela_core::Timestamp(i64::MAX))
        .expect("prune the feed");
    let database = app
        .url
        .strip_prefix("sqlite://")
        .expect("a SQLite app")
        .to_owned();
    assert_no_copy_on_disk(&database, marker, "ERASE-ME");
    assert!(app.customer("KEEP").is_some());
}

/// Asserts that no file of the SQLite database at `database` holds `marker` or `code`, and
/// that each is private to its owner.
fn assert_no_copy_on_disk(database: &str, marker: &str, code: &str) {
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{database}{suffix}");
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        assert!(
            !bytes
                .windows(marker.len())
                .any(|window| window == marker.as_bytes()),
            "{path} still holds the erased customer's metadata"
        );
        assert!(
            !bytes
                .windows(code.len())
                .any(|window| window == code.as_bytes()),
            "{path} still holds the code"
        );
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{path} is private");
    }
}

#[test]
fn an_erasure_while_another_process_reads_the_file_holds_no_writer_and_leaves_no_copy_after() {
    let app = TestApp::sqlite();
    let marker = "ReaderHeldMarker";
    app.post(&json!({"code": "ERASE-READ", "metadata": {"note": marker}}));
    std::thread::sleep(Duration::from_millis(300));
    let database = app
        .url
        .strip_prefix("sqlite://")
        .expect("a SQLite app")
        .to_owned();
    // A reader in the middle of a long read (as `sqlite3 .backup` is): its snapshot predates
    // the erasure, so the WAL cannot be emptied while it lasts.
    let mut reader = SqliteConnection::establish(&database).expect("reader");
    reader
        .batch_execute("BEGIN; SELECT count(*) FROM customers;")
        .expect("read");
    assert_eq!(app.delete("/customers/ERASE-READ"), StatusCode::NO_CONTENT);
    let started = std::time::Instant::now();
    let (status, _) = app.post(&json!({"code": "WRITTEN-MEANWHILE"}));
    assert_eq!(status, StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "a write waited {:?} behind the reader (the busy timeout is 5 s)",
        started.elapsed()
    );
    app.store
        .prune_changes(clientela_core::Timestamp(i64::MAX))
        .expect("prune the feed");
    reader.batch_execute("COMMIT").expect("the reader ends");
    drop(reader);
    // The truncation is retried every 100 ms; give it a second.
    std::thread::sleep(Duration::from_secs(1));
    assert_no_copy_on_disk(&database, marker, "ERASE-READ");
    assert!(app.customer("WRITTEN-MEANWHILE").is_some());
}

#[test]
fn while_one_code_is_locked_on_postgres_reads_of_others_keep_answering() {
    let Some(app) = TestApp::postgres() else {
        return;
    };
    for code in ["OTHER-1", "OTHER-2"] {
        app.post(&json!({"code": code}));
    }
    // Another session holds the lock of `LOCKED` (as a long transaction of another replica
    // would) while 8 clients try to write it.
    let mut holder = PgConnection::establish(&app.url).expect("postgres");
    holder
        .batch_execute(&format!(
            "SELECT pg_advisory_lock({})",
            advisory_lock_key("LOCKED")
        ))
        .expect("lock");
    let statuses = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let response = app
                        .request(reqwest::Method::POST, "/customers")
                        .json(&json!({"code": "LOCKED"}))
                        .send()
                        .expect("post");
                    (
                        response.status(),
                        response.headers().contains_key("retry-after"),
                    )
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500));
        for round in 0..20 {
            let code = if round % 2 == 0 { "OTHER-1" } else { "OTHER-2" };
            let (status, body) = app.get(&format!("/customers/{code}"));
            assert_eq!(
                status,
                StatusCode::OK,
                "a read of another code, round {round}: {body}"
            );
            let ready = app
                .client
                .get(format!("{}/readyz", app.base))
                .send()
                .expect("readyz");
            assert_eq!(ready.status(), StatusCode::OK, "readiness, round {round}");
        }
        writers
            .into_iter()
            .map(|writer| writer.join().expect("writer"))
            .collect::<Vec<_>>()
    });
    for (status, retry_after) in statuses {
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "a writer gives up on the lock"
        );
        assert!(retry_after, "with Retry-After");
    }
    holder
        .batch_execute("SELECT pg_advisory_unlock_all()")
        .expect("unlock");
    assert_eq!(
        app.post(&json!({"code": "LOCKED"})).0,
        StatusCode::OK,
        "and writes again once it is free"
    );
    let _: Option<Value> = app.customer("LOCKED");
}

/// A write whose connection dies while it commits cannot know whether it committed: the
/// client is told so (503, "may or may not have been applied", safe to send again), not that
/// the database was merely unavailable; sending it again then writes it; other writes go
/// on meanwhile.
#[test]
fn a_connection_lost_during_commit_answers_that_the_outcome_is_unknown() {
    let Some(app) = TestApp::postgres() else {
        return;
    };
    // A constraint trigger deferred to COMMIT ends the server process of the committing
    // connection, as a database crash or a network cut at that moment would.
    execute(
        &app,
        "CREATE FUNCTION end_backend_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$; \
         CREATE CONSTRAINT TRIGGER end_backend_at_commit AFTER INSERT OR UPDATE ON customers \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.code = 'LOST-AT-COMMIT') \
         EXECUTE FUNCTION end_backend_at_commit()",
    );
    let (status, body) = app.post(&json!({"code": "LOST-AT-COMMIT", "yearBorn": 1980}));
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("may or may not have been applied") && detail.contains("safe"),
        "the client learns the outcome is unknown and a retry is safe: {body}"
    );

    let (status, body) = app.post(&json!({"code": "WRITTEN-AFTER", "yearBorn": 1990}));
    assert_eq!(status, StatusCode::OK, "the next write commits: {body}");
    execute(&app, "DROP TRIGGER end_backend_at_commit ON customers");
    let (status, body) = app.post(&json!({"code": "LOST-AT-COMMIT", "yearBorn": 1980}));
    assert_eq!(status, StatusCode::OK, "sent again, it is written: {body}");
    assert_eq!(
        app.customer("LOST-AT-COMMIT").expect("stored")["yearBorn"],
        1980
    );
}
