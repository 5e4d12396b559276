//! Graceful shutdown: SIGTERM during load lets in-flight requests finish, refuses new
//! connections, exits 0, and leaves no batch half-written.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Database, REQUEST_TIMEOUT, Server, client, temporary_folder};

const WRITERS: usize = 3;
const BATCH: usize = 20;

/// What one writer's batches came to.
#[derive(Default)]
struct Outcomes {
    sent: usize,
    /// Batches answered 200: every customer must be stored.
    acknowledged: Vec<usize>,
    /// Batches without an answer (refused or cut): all of their customers or none.
    unanswered: Vec<usize>,
}

fn batch(writer: usize, batch: usize) -> Vec<Value> {
    (0..BATCH)
        .map(|item| json!({"code": code(writer, batch, item), "metadata": {"item": item}}))
        .collect()
}

fn code(writer: usize, batch: usize, item: usize) -> String {
    format!("term-w{writer}-b{batch:04}-i{item:02}")
}

fn write_until_refused(server: &Server, writer: usize, stop: &AtomicBool) -> Outcomes {
    let client = client();
    let mut outcomes = Outcomes::default();
    for number in 0.. {
        outcomes.sent += 1;
        let response = client
            .post(server.url("/customers"))
            .bearer_auth(&server.key)
            .json(&batch(writer, number))
            .send();
        match response {
            Ok(response) => {
                let status = response.status();
                let answer: Value = response.json().unwrap_or_default();
                assert!(
                    status.is_success(),
                    "batch {number} answered {status} during shutdown: {answer}"
                );
                assert_eq!(answer["created"], BATCH, "batch {number}: {answer}");
                outcomes.acknowledged.push(number);
            }
            Err(_) => {
                outcomes.unanswered.push(number);
                if stop.load(Ordering::SeqCst) {
                    break;
                }
            }
        }
        if number > 10_000 {
            break;
        }
    }
    outcomes
}

pub fn sigterm_drains_in_flight_requests(database: &Database) {
    let folder = temporary_folder();
    let mut server = Server::start(folder.path(), database, &[]);
    let address = server.base.trim_start_matches("http://").to_owned();

    // A request in flight: its head and half of its body are sent before the signal.
    let body =
        json!({"code": "in-flight", "metadata": {"note": "sent across SIGTERM"}}).to_string();
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let mut in_flight = TcpStream::connect(&address).expect("connect");
    write!(
        in_flight,
        "POST /customers HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first_half}",
        server.key,
        body.len()
    )
    .expect("send the first half");

    let stop = AtomicBool::new(false);
    let (outcomes, refused_while_draining) = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (server, stop) = (&server, &stop);
                scope.spawn(move || write_until_refused(server, writer, stop))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500));
        server.terminate();
        stop.store(true, Ordering::SeqCst);
        // New connections are refused while the in-flight request is still open.
        let started = Instant::now();
        let mut refused = false;
        while started.elapsed() < REQUEST_TIMEOUT {
            match TcpStream::connect(&address) {
                Err(error) if error.kind() == ErrorKind::ConnectionRefused => {
                    refused = true;
                    break;
                }
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        let outcomes: Vec<Outcomes> = writers
            .into_iter()
            .map(|writer| writer.join().expect("writer"))
            .collect();
        (outcomes, refused)
    });
    assert!(
        refused_while_draining,
        "new connections were still accepted after SIGTERM"
    );

    in_flight
        .write_all(second_half.as_bytes())
        .expect("send the second half");
    in_flight
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .expect("read timeout");
    let mut answer = String::new();
    let _ = in_flight.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the in-flight request: {answer}"
    );
    assert!(answer.contains("\"created\""), "{answer}");

    let status = server.wait();
    assert!(status.success(), "exit status after SIGTERM: {status}");

    let restarted = Server::start(folder.path(), database, &[]);
    let client = client();
    let exists = |code: &str| restarted.customer(&client, code).is_some();
    assert!(
        exists("in-flight"),
        "the in-flight request's customer was not stored"
    );
    let mut half_written = Vec::new();
    for (writer, outcome) in outcomes.iter().enumerate() {
        for number in &outcome.acknowledged {
            for item in 0..BATCH {
                assert!(
                    exists(&code(writer, *number, item)),
                    "acknowledged {} lost",
                    code(writer, *number, item)
                );
            }
        }
        for number in &outcome.unanswered {
            let stored = (0..BATCH)
                .filter(|item| exists(&code(writer, *number, *item)))
                .count();
            if stored != 0 && stored != BATCH {
                half_written.push((writer, *number, stored));
            }
        }
    }
    let sent: usize = outcomes.iter().map(|outcome| outcome.sent).sum();
    let acknowledged: usize = outcomes
        .iter()
        .map(|outcome| outcome.acknowledged.len())
        .sum();
    eprintln!(
        "sigterm on {}: {sent} batches sent, {acknowledged} acknowledged, {} unanswered, {} half-written, {status}",
        database.name(),
        sent - acknowledged,
        half_written.len()
    );
    assert!(
        half_written.is_empty(),
        "batches half-written: {half_written:?}"
    );
}
