//! Transport limits against slow or greedy clients: request-head and body deadlines
//! (slowloris), header sizes, nesting depth and open connections. Each test talks raw TCP
//! where a well-behaved HTTP client could not misbehave enough.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::support::{TestApp, Tuning};

/// Far longer than any deadline under test, so a slow machine never fails a test that
/// should pass; the deadlines under test are a second or two.
const PATIENCE: Duration = Duration::from_secs(30);

fn connect(app: &TestApp) -> TcpStream {
    let address = app.base.trim_start_matches("http://");
    let stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("read timeout");
    stream
}

/// What the server did to a connection we are still writing to.
#[derive(Debug, PartialEq)]
enum Peer {
    /// Still listening.
    Waiting,
    /// Answered (the first bytes of its answer) or closed the connection.
    CutOff(String),
}

fn peer_state(stream: &mut TcpStream) -> Peer {
    let mut buffer = [0_u8; 4096];
    match stream.read(&mut buffer) {
        Ok(0) => Peer::CutOff("closed".into()),
        Ok(read) => Peer::CutOff(String::from_utf8_lossy(&buffer[..read]).into_owned()),
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Peer::Waiting
        }
        Err(error) => Peer::CutOff(format!("error: {error}")),
    }
}

/// Reads until the server closes or `PATIENCE` passes; returns everything it sent.
fn read_answer(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("read timeout");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn tuned(
    tuning: impl FnOnce(&mut clientela_api::AppState, &mut clientela_api::ServerOptions)
    + Send
    + 'static,
) -> TestApp {
    let tuning: Tuning = Box::new(tuning);
    TestApp::sqlite_tuned(tuning)
}

fn server_answers(app: &TestApp) -> bool {
    app.client
        .get(format!("{}/healthz", app.base))
        .send()
        .is_ok_and(|response| response.status() == StatusCode::OK)
}

#[test]
fn a_client_sending_its_headers_byte_by_byte_is_cut_off() {
    let app = tuned(|_, server| server.request_head_timeout = Duration::from_secs(1));
    let mut stream = connect(&app);
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .expect("write");
    let started = Instant::now();
    let mut outcome = Peer::Waiting;
    // One header byte every 100 ms: the head would take minutes to finish.
    while started.elapsed() < PATIENCE {
        if stream.write_all(b"X").is_err() {
            outcome = Peer::CutOff("write refused".into());
            break;
        }
        outcome = peer_state(&mut stream);
        if outcome != Peer::Waiting {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_ne!(outcome, Peer::Waiting, "the slow client was never cut off");
    if let Peer::CutOff(answer) = &outcome
        && answer.starts_with("HTTP/")
    {
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    assert!(server_answers(&app), "other clients are still served");
}

#[test]
fn a_body_that_trickles_in_is_refused_with_408() {
    let app = tuned(|state, _| state.body_timeout = Duration::from_secs(1));
    let mut stream = connect(&app);
    let head = format!(
        "POST /customers HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"code\": \"slow",
        app.admin_key
    );
    stream.write_all(head.as_bytes()).expect("write");
    let answer = read_answer(&mut stream);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert_eq!(app.customer("slow"), None);
}

#[test]
fn headers_over_the_configured_size_are_refused_with_431() {
    let app = tuned(|state, _| state.max_header_bytes = 4096);
    let response = app
        .client
        .get(format!("{}/customers", app.base))
        .bearer_auth(&app.admin_key)
        .header("x-padding", "p".repeat(5000))
        .send()
        .expect("request");
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let fits = app
        .client
        .get(format!("{}/customers", app.base))
        .bearer_auth(&app.admin_key)
        .header("x-padding", "p".repeat(3000))
        .send()
        .expect("request");
    assert_eq!(fits.status(), StatusCode::OK);
}

#[test]
fn enormous_or_countless_headers_never_reach_a_handler_and_the_server_lives_on() {
    let app = TestApp::sqlite();
    let huge = app
        .client
        .get(format!("{}/customers", app.base))
        .bearer_auth(&app.admin_key)
        .header("x-padding", "p".repeat(200 * 1024))
        .send();
    if let Ok(response) = huge {
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    let mut many = app
        .client
        .get(format!("{}/customers", app.base))
        .bearer_auth(&app.admin_key);
    for index in 0..200 {
        many = many.header(format!("x-h{index}"), "v");
    }
    if let Ok(response) = many.send() {
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    assert!(server_answers(&app));
}

#[test]
fn json_nested_beyond_reason_is_a_400_not_a_crash() {
    let app = TestApp::sqlite();
    for body in [
        "[".repeat(100_000),
        format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)),
    ] {
        let response = app
            .request(reqwest::Method::POST, "/customers")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .expect("request");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    assert!(server_answers(&app));
}

#[test]
fn connections_past_the_limit_wait_until_one_frees_up() {
    let app = tuned(|_, server| {
        server.workers = Some(1);
        server.max_connections = 2;
        server.request_head_timeout = PATIENCE * 2;
    });
    // Two connections that hold their slots by never finishing a request head.
    let held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = connect(&app);
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\n")
                .expect("write");
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let mut third = connect(&app);
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("write");
    // Not served while the two slots are taken (a slow machine only makes this more true).
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        peer_state(&mut third),
        Peer::Waiting,
        "a third connection was served"
    );
    drop(held);
    let answer = read_answer(&mut third);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
