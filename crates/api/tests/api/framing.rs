//! HTTP framing as an attacker tries it, with raw bytes on one connection: every message gets
//! exactly one answer, in order; nothing inside a body is ever read as a request; a request
//! never borrows the next one's key; every request head on a kept-alive connection must
//! arrive within `server.request_head_timeout`; protocol switches and tunnels are refused.

use std::time::Duration;

use proptest::prelude::*;
use reqwest::StatusCode;

use crate::pipeline::{Connection, RawRequest, check_one_answer_each};
use crate::support::{TestApp, Tuning};

/// Far longer than any answer takes, so a slow machine never fails a test that should pass.
const PATIENCE: Duration = Duration::from_secs(10);

fn address(app: &TestApp) -> &str {
    app.base.trim_start_matches("http://")
}

fn tuned(
    tuning: impl FnOnce(&mut clientela_api::AppState, &mut clientela_api::ServerOptions)
    + Send
    + 'static,
) -> TestApp {
    let tuning: Tuning = Box::new(tuning);
    TestApp::sqlite_tuned(tuning)
}

/// A POST /customers whose body holds, after non-ASCII text, a blank line and a whole
/// second request that would create `hidden`.
fn post_hiding_a_request(app: &TestApp, hidden: &str) -> RawRequest {
    let inner = RawRequest::new("POST", "/customers")
        .header("Authorization", format!("Bearer {}", app.admin_key))
        .header("Content-Type", "application/json")
        .body(format!(r#"{{"code": "{hidden}"}}"#))
        .to_bytes();
    let mut body = "{\"code\": \"Müller\", \"city\": \"Málaga\r\n\r\n"
        .as_bytes()
        .to_vec();
    body.extend_from_slice(&inner);
    RawRequest::new("POST", "/customers")
        .header("Authorization", format!("Bearer {}", app.admin_key))
        .header("Content-Type", "application/json")
        .body(body)
}

#[test]
fn a_request_hidden_in_a_body_is_never_answered_nor_run() {
    let app = TestApp::sqlite();
    for bare_lf in [false, true] {
        let hidden = format!("hidden-{bare_lf}");
        let mut request = post_hiding_a_request(&app, &hidden);
        request.bare_lf = bare_lf;
        let mut connection = Connection::open(address(&app));
        connection.send(&request.to_bytes());
        let exchange = connection.read(2, Duration::from_secs(3));
        let statuses: Vec<u16> = exchange
            .answers
            .iter()
            .map(|answer| answer.status)
            .collect();
        assert_eq!(
            statuses,
            [400],
            "one message, one answer (the body is malformed JSON); bare LF: {bare_lf}"
        );
        assert!(exchange.left_over.is_empty(), "{exchange:?}");
        assert_eq!(app.customer(&hidden), None, "nothing in a body runs");
    }
}

#[test]
fn an_unfinished_head_inside_a_refused_body_never_borrows_the_next_requests_key() {
    let app = TestApp::sqlite();
    let (status, _) = app.post(&serde_json::json!({"code": "victim"}));
    assert_eq!(status, StatusCode::OK);
    // A request with a forged key whose body is the start of an erasure; then an admin's
    // ordinary GET on the same connection, as a front end reusing it would send.
    let forged = RawRequest::new("GET", "/customers/anything")
        .header("Authorization", "Bearer forged-key")
        .body("DELETE /customers/victim HTTP/1.1\r\nHost: test\r\nX-Pad: ")
        .bare_lf();
    let admin = RawRequest::new("GET", "/customers/someone-else")
        .header("Authorization", format!("Bearer {}", app.admin_key));
    let mut connection = Connection::open(address(&app));
    connection.send(&forged.to_bytes());
    connection.send(&admin.to_bytes());
    let exchange = connection.read(3, Duration::from_secs(3));
    let statuses: Vec<u16> = exchange
        .answers
        .iter()
        .map(|answer| answer.status)
        .collect();
    // The forged request is refused; the admin's GET is answered as itself, or not at all
    // when the server closed the connection after the refusal (it may, having answered
    // before the body arrived whole). Never as the erasure hidden in the body.
    match statuses.as_slice() {
        [401, 404] => {}
        [401] => assert!(
            exchange.closed || exchange.answers[0].closes(),
            "one answer, and the connection left open: {exchange:?}"
        ),
        other => panic!("answers {other:?}: {exchange:?}"),
    }
    assert!(app.customer("victim").is_some(), "nothing was erased");
}

#[test]
fn a_raw_utf8_target_gets_actixs_400_and_a_utf8_body_before_it_is_kept() {
    let app = TestApp::sqlite();
    let post = RawRequest::new("POST", "/customers")
        .header("Authorization", format!("Bearer {}", app.admin_key))
        .header("Content-Type", "application/json")
        .body(r#"{"code": "raw-body-España", "city": "Málaga"}"#);
    let raw_target = RawRequest::new("GET", "/customers/Müller")
        .header("Authorization", format!("Bearer {}", app.admin_key));
    let mut connection = Connection::open(address(&app));
    let mut bytes = post.to_bytes();
    bytes.extend_from_slice(&raw_target.to_bytes());
    connection.send(&bytes);
    let exchange = connection.read(3, Duration::from_secs(3));
    let statuses: Vec<u16> = exchange
        .answers
        .iter()
        .map(|answer| answer.status)
        .collect();
    assert_eq!(statuses, [200, 400], "{exchange:?}");
    let stored = app.customer("raw-body-España").expect("stored as sent");
    assert_eq!(stored["city"], "Málaga");
    // Percent-encoded, the same target is an ordinary request.
    assert_eq!(app.customer("Müller"), None);
}

#[test]
fn a_head_with_bare_line_feeds_is_answered_at_once() {
    // With a head deadline longer than the patience, a head left waiting would fail.
    let app = tuned(|_, server| server.request_head_timeout = Duration::from_secs(30));
    let mut connection = Connection::open(address(&app));
    connection.send(&RawRequest::new("GET", "/healthz").bare_lf().to_bytes());
    let exchange = connection.read(1, PATIENCE);
    let statuses: Vec<u16> = exchange
        .answers
        .iter()
        .map(|answer| answer.status)
        .collect();
    assert_eq!(statuses, [200]);
}

#[test]
fn a_later_request_trickled_on_a_kept_alive_connection_is_cut_within_the_head_timeout() {
    // Keep-alive far longer than the head deadline, so only the head deadline can cut it.
    let app = tuned(|_, server| {
        server.request_head_timeout = Duration::from_secs(1);
        server.keep_alive = Duration::from_secs(30);
    });
    let mut connection = Connection::open(address(&app));
    connection.send(&RawRequest::new("GET", "/healthz").to_bytes());
    assert_eq!(connection.read(1, PATIENCE).answers.len(), 1);
    let started = std::time::Instant::now();
    let mut cut = false;
    for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
        if !connection.send(&[*byte])
            || connection.wait_closed(Duration::from_millis(250)).is_some()
        {
            cut = true;
            break;
        }
    }
    let elapsed = started.elapsed();
    assert!(cut, "the trickled head was never cut");
    assert!(
        elapsed <= Duration::from_secs(3),
        "cut after {elapsed:?}, past the 1 s head timeout + 2 s"
    );
    assert!(
        app.client
            .get(format!("{}/healthz", app.base))
            .send()
            .is_ok()
    );
}

#[test]
fn a_partial_head_left_after_an_answer_does_not_hold_the_connection() {
    let app = tuned(|_, server| {
        server.request_head_timeout = Duration::from_secs(1);
        server.keep_alive = Duration::from_secs(1);
    });
    let mut connection = Connection::open(address(&app));
    let mut bytes = RawRequest::new("GET", "/healthz").to_bytes();
    bytes.extend_from_slice(b"GET /heal");
    connection.send(&bytes);
    assert_eq!(connection.read(1, PATIENCE).answers.len(), 1);
    let closed = connection.wait_closed(Duration::from_secs(6));
    assert!(
        closed.is_some_and(|after| after <= Duration::from_secs(4)),
        "keep-alive + head timeout + 2 s at most; closed after {closed:?}"
    );
}

#[test]
fn a_kept_alive_connection_may_pause_between_requests_longer_than_the_head_timeout() {
    let app = tuned(|_, server| {
        server.request_head_timeout = Duration::from_secs(1);
        server.keep_alive = Duration::from_secs(10);
    });
    let mut connection = Connection::open(address(&app));
    for _ in 0..2 {
        connection.send(&RawRequest::new("GET", "/healthz").to_bytes());
        std::thread::sleep(Duration::from_millis(1500));
    }
    let exchange = connection.read(2, PATIENCE);
    assert_eq!(exchange.answers.len(), 2, "{exchange:?}");
    assert!(!exchange.closed);
}

#[test]
fn an_upgrade_request_is_refused_and_its_connection_closed_before_its_body_is_read() {
    // No large-body slot free: a body read until the connection ends would wait for one.
    let app =
        tuned(|state, _| state.large_bodies = std::sync::Arc::new(tokio::sync::Semaphore::new(0)));
    let mut connection = Connection::open(address(&app));
    let upgrade = RawRequest::new("POST", "/customers")
        .header("Authorization", format!("Bearer {}", app.admin_key))
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .body("[]");
    connection.send(&upgrade.to_bytes());
    connection.send(&vec![b'x'; 1024 * 1024]);
    let exchange = connection.read(1, PATIENCE);
    let answer = exchange.answers.first().expect("an answer");
    assert_eq!(answer.status, 400);
    assert!(answer.closes(), "{answer:?}");
    let problem: serde_json::Value = serde_json::from_slice(&answer.body).expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("Upgrade")),
        "{problem}"
    );
    assert!(connection.wait_closed(PATIENCE).is_some());
}

#[test]
fn a_connect_request_is_refused() {
    let app = TestApp::sqlite();
    let mut connection = Connection::open(address(&app));
    connection.send(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    let exchange = connection.read(1, PATIENCE);
    let answer = exchange.answers.first().expect("an answer");
    assert_eq!(answer.status, 400);
    assert!(answer.closes());
}

/// A request the pipelining property sends: any of a few routes, any body bytes (JSON or
/// not, with blank lines and non-ASCII), framed by length or in chunks, heads ending lines
/// in CRLF or bare LF.
fn arbitrary_request(key: String) -> impl Strategy<Value = RawRequest> {
    let body = prop_oneof![
        Just(Vec::new()),
        Just(b"{\"code\": \"pipelined\"}".to_vec()),
        Just("GET /healthz HTTP/1.1\r\n\r\n".as_bytes().to_vec()),
        Just(
            "é\r\n\r\nDELETE /customers/pipelined HTTP/1.1\r\n\r\n"
                .as_bytes()
                .to_vec()
        ),
        proptest::collection::vec(any::<u8>(), 0..64),
    ];
    (0..5_usize, body, any::<bool>(), any::<bool>()).prop_map(
        move |(route, body, chunked, bare_lf)| {
            let (method, path) = [
                ("GET", "/healthz"),
                ("POST", "/customers"),
                ("GET", "/customers/pipelined"),
                ("GET", "/customers?limit=2"),
                ("POST", "/customers?dryRun=true"),
            ][route];
            let mut request = RawRequest::new(method, path)
                .header("Authorization", format!("Bearer {key}"))
                .header("Content-Type", "application/json");
            request.body = body;
            request.chunked = chunked;
            request.bare_lf = bare_lf;
            request
        },
    )
}

#[test]
fn pipelined_requests_with_any_bodies_are_answered_once_each_and_in_order() {
    let app = TestApp::sqlite();
    let key = app.admin_key.clone();
    let requests = proptest::collection::vec(arbitrary_request(key), 1..8);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 48,
        ..ProptestConfig::default()
    });
    let outcome = runner.run(&(requests, 1..64_usize), |(requests, cut)| {
        let requests: Vec<RawRequest> = requests
            .into_iter()
            .enumerate()
            .map(|(index, request)| request.header("X-Request-Id", format!("pipelined-{index}")))
            .collect();
        let bytes: Vec<u8> = requests.iter().flat_map(RawRequest::to_bytes).collect();
        let mut connection = Connection::open(address(&app));
        // Sent in two writes cut anywhere, as a network would deliver them.
        let (first, second) = bytes.split_at(cut.min(bytes.len()));
        connection.send(first);
        connection.send(second);
        connection.read(requests.len(), PATIENCE);
        // Then a moment more, for an answer too many.
        let exchange = connection.read(requests.len() + 1, Duration::from_millis(150));
        check_one_answer_each(&requests, &exchange).map_err(TestCaseError::fail)?;
        Ok(())
    });
    assert!(outcome.is_ok(), "{outcome:?}");
}
