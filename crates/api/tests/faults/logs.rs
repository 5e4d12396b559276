//! What the server's logs may hold: routes and API key ids, yes; customer codes (erased and
//! suppressed ones above all), metadata, birth years, places and other personal data, never
//! (at the default `info` level), and keys never at any level. And how much of them a client
//! can make the server write: bounded.

use serde_json::json;

use crate::support::{Database, Server, client, temporary_folder};

/// Markers put in every personal field of the requests below; none may reach a log.
const PERSONAL: [&str; 5] = [
    "Secretcityname",
    "Secretstatename",
    "secret-mail@example.org",
    "Secretmetadatakey",
    "Secretcountryname",
];
/// The birth year sent, looked for as a whole token (not inside timestamps or ids).
const YEAR_BORN: &str = "1871";
/// The secret half of a forged key sent on one request.
const FORGED_SECRET: &str = "ForgedSecretMarker0123456789";

/// Runs the same requests as any client would, on success and error paths, and returns the
/// server's logs and its admin key.
fn exercise(level: &str) -> (String, String) {
    let folder = temporary_folder();
    let mut server = Server::start(
        folder.path(),
        &Database::Sqlite,
        &[
            ("CLIENTELA__LOG__LEVEL", level),
            ("CLIENTELA__LOG__FORMAT", "json"),
        ],
    );
    let client = client();
    let customer = json!({
        "code": "log-visible-code", "city": "Secretcityname", "state": "Secretstatename",
        "country": "Secretcountryname", "yearBorn": 1871, "gender": 2,
        "metadata": {"email": "secret-mail@example.org", "Secretmetadatakey": true},
    });
    let post = |body: &serde_json::Value| {
        client
            .post(server.url("/customers"))
            .bearer_auth(&server.key)
            .json(body)
            .send()
            .expect("post")
            .status()
            .as_u16()
    };
    assert_eq!(post(&customer), 200);
    assert_eq!(
        post(&json!([customer, {"code": "other", "yearBorn": 1871, "city": "Secretcityname"}])),
        200
    );
    assert_eq!(
        post(
            &json!({"code": "bad", "yearBorn": 1871, "gender": 9, "city": "Secretcityname", "emali": "secret-mail@example.org"})
        ),
        422
    );
    assert_eq!(
        post(
            &json!({"code": "log-visible-code", "metadata": {"Secretmetadatakey": "x".repeat(60_001)}})
        ),
        422
    );
    let strict = client
        .post(server.url("/customers?strict=true"))
        .bearer_auth(&server.key)
        .json(&json!({"code": "strict", "city": "Secretcityname", "country": "Secretcountryname"}))
        .send()
        .expect("strict post");
    assert_eq!(
        strict.status(),
        422,
        "an unresolvable place is refused in strict mode"
    );
    let read = client
        .get(server.url("/customers?q=log-visible&country=Secretcountryname"))
        .bearer_auth(&server.key)
        .send()
        .expect("list");
    assert_eq!(read.status(), 422, "an unknown country filter is refused");
    let forged = client
        .get(server.url("/customers/log-visible-code"))
        .bearer_auth(format!("clientela_0123456789abcdef_{FORGED_SECRET}"))
        .send()
        .expect("forged");
    assert_eq!(forged.status(), 401);
    let erased = client
        .delete(server.url("/customers/log-visible-code"))
        .bearer_auth(&server.key)
        .send()
        .expect("delete");
    assert_eq!(erased.status(), 204);
    assert!(server.stop().success());
    (server.logs(), server.key.clone())
}

/// The secret half of `clientela_<id>_<secret>`.
fn secret_of(key: &str) -> String {
    key.splitn(3, '_').nth(2).expect("a secret").to_owned()
}

fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|character: char| !character.is_alphanumeric())
}

#[test]
fn info_logs_hold_routes_but_no_codes_no_personal_data_and_no_keys() {
    let (logs, key) = exercise("info");
    assert!(
        logs.contains("GET /customers/{code}"),
        "requests are logged by route (so the test sees real log lines):\n{logs}"
    );
    assert!(
        !logs.contains("log-visible-code"),
        "a customer code reached the logs:\n{logs}"
    );
    for marker in PERSONAL {
        assert!(
            !logs.contains(marker),
            "`{marker}` reached the logs:\n{logs}"
        );
    }
    assert!(
        !tokens(&logs).any(|token| token == YEAR_BORN),
        "a birth year reached the logs:\n{logs}"
    );
    assert!(
        !logs.contains(&secret_of(&key)),
        "the admin key reached the logs"
    );
    assert!(
        !logs.contains(FORGED_SECRET),
        "a presented key reached the logs"
    );
}

#[test]
fn keys_stay_out_of_the_logs_even_at_trace_level() {
    let (logs, key) = exercise("trace");
    assert!(logs.lines().count() > 10, "trace logging is on:\n{logs}");
    assert!(
        !logs.contains(&secret_of(&key)),
        "the admin key reached the trace logs"
    );
    assert!(
        !logs.contains(FORGED_SECRET),
        "a presented key reached the trace logs"
    );
}

/// A flood of refused requests with long paths writes a bounded, sampled log; malformed
/// requests are never logged at ERROR; an authenticated request's lines carry its key's id;
/// an erased or suppressed code leaves no trace, whatever is asked of it afterwards.
#[test]
fn refused_requests_cannot_flood_the_log_and_erased_or_suppressed_codes_leave_no_trace() {
    use std::io::{Read, Write};

    let folder = temporary_folder();
    let mut server = Server::start(
        folder.path(),
        &Database::Sqlite,
        &[("CLIENTELA__LOG__FORMAT", "json")],
    );
    let client = client();
    let long = "p".repeat(16 * 1024);
    for round in 0..250 {
        let unmatched = client
            .get(server.url(&format!("/nowhere/{round}{long}")))
            .send()
            .expect("unmatched");
        assert_eq!(unmatched.status(), 404);
        let unauthorized = client
            .get(server.url(&format!("/customers/{round}{long}")))
            .send()
            .expect("no key");
        assert_eq!(unauthorized.status(), 401);
    }
    for garbage in [
        "GARBAGE\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
    ] {
        let mut stream =
            std::net::TcpStream::connect(server.base.trim_start_matches("http://")).expect("tcp");
        stream.write_all(garbage.as_bytes()).expect("write");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    }
    let post = client
        .post(server.url("/customers"))
        .bearer_auth(&server.key)
        .json(&json!({"code": "ErasedCodeMarker"}))
        .send()
        .expect("post");
    assert_eq!(post.status(), 200);
    let erase = client
        .delete(server.url("/customers/ErasedCodeMarker?suppress=true"))
        .bearer_auth(&server.key)
        .send()
        .expect("delete");
    assert_eq!(erase.status(), 204);
    let admin = |method: reqwest::Method, path: &str| {
        client
            .request(method, server.url(path))
            .bearer_auth(&server.key)
            .send()
            .expect("request")
            .status()
            .as_u16()
    };
    use reqwest::Method;
    assert_eq!(admin(Method::GET, "/customers/ErasedCodeMarker"), 404);
    assert_eq!(admin(Method::GET, "/suppressions/ErasedCodeMarker"), 200);
    assert_eq!(
        admin(Method::PUT, "/suppressions/SuppressedCodeMarker"),
        201
    );
    assert_eq!(
        admin(Method::GET, "/suppressions/SuppressedCodeMarker"),
        200
    );
    assert_eq!(
        admin(Method::DELETE, "/suppressions/SuppressedCodeMarker"),
        204
    );
    assert!(server.stop().success());
    let logs = server.logs();
    eprintln!(
        "500 refused requests with 16 KiB paths: {} bytes of log in {} lines",
        logs.len(),
        logs.lines().count()
    );
    assert!(
        logs.len() < 64 * 1024,
        "{} bytes of log for 500 refused requests",
        logs.len()
    );
    assert!(!logs.contains(&long[..1024]), "a long path reached the log");
    assert!(
        !logs.contains("\"ERROR\""),
        "a client error was logged at ERROR:\n{logs}"
    );
    assert!(
        logs.contains("left out of the log"),
        "the log says how many refused requests it left out"
    );
    let key_id = server.key.split('_').nth(1).expect("key id");
    assert!(
        logs.lines()
            .any(|line| line.contains("\"status\":204") && line.contains(key_id)),
        "the erasure's line carries the key id:\n{logs}"
    );
    for marker in ["ErasedCodeMarker", "SuppressedCodeMarker"] {
        assert!(
            !logs.contains(marker),
            "`{marker}` reached the log:\n{logs}"
        );
    }
}
