//! A database that stops answering without closing its connections (frozen, or the network
//! to it black-holed), simulated with a TCP forwarder that stops forwarding: every answer
//! still comes within its deadline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cluster::PrivateCluster;
use crate::failover::wait_until;
use crate::support::{Server, client, temporary_folder};

/// A TCP forwarder to a PostgreSQL server that can stop forwarding without closing
/// anything: to the API the server looks frozen (connections stay open, nothing comes
/// back).
struct Forwarder {
    port: u16,
    cut: std::sync::Arc<AtomicBool>,
}

impl Forwarder {
    fn start(target: u16) -> Forwarder {
        use std::io::{Read, Write};
        use std::net::{TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let cut = std::sync::Arc::new(AtomicBool::new(false));
        let pipe = |mut from: TcpStream, mut to: TcpStream, cut: std::sync::Arc<AtomicBool>| {
            std::thread::spawn(move || {
                let _ = from.set_read_timeout(Some(Duration::from_millis(50)));
                let mut buffer = [0_u8; 16384];
                loop {
                    if cut.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(50));
                        continue;
                    }
                    match from.read(&mut buffer) {
                        Ok(0) => return,
                        Ok(read) => {
                            if to.write_all(&buffer[..read]).is_err() {
                                return;
                            }
                        }
                        Err(error)
                            if matches!(
                                error.kind(),
                                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                            ) => {}
                        Err(_) => return,
                    }
                }
            });
        };
        let shared = cut.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let (Ok(client_side), Ok(server_side)) = (client.try_clone(), server.try_clone())
                else {
                    continue;
                };
                pipe(client, server_side, shared.clone());
                pipe(server, client_side, shared.clone());
            }
        });
        Forwarder { port, cut }
    }

    fn cut(&self, cut: bool) {
        self.cut.store(cut, Ordering::Relaxed);
    }
}

/// A database that stops answering without closing its connections (frozen, or the
/// network to it black-holed): `/readyz` still answers within a second (503), and a write
/// answers 503 by `database.commit_timeout` at the latest, instead of holding the client for
/// as long as the database takes; once the database answers again the API is back by
/// itself.
#[test]
fn a_database_that_stops_answering_gets_answers_within_their_deadlines() {
    if std::env::var("CLIENTELA_TEST_PG").is_err() {
        eprintln!("skipped: set CLIENTELA_TEST_PG to run PostgreSQL tests");
        return;
    }
    let Some(cluster) = PrivateCluster::create() else {
        return;
    };
    let forwarder = Forwarder::start(cluster.port);
    let folder = temporary_folder();
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", forwarder.port);
    let server = Server::start(
        folder.path(),
        &crate::support::Database::Sqlite,
        &[
            ("CLIENTELA__DATABASE__URL", url.as_str()),
            ("CLIENTELA__DATABASE__CONNECT_TIMEOUT", "1"),
            ("CLIENTELA__DATABASE__COMMIT_TIMEOUT", "2000"),
        ],
    );
    let client = client();
    let timed = |request: reqwest::blocking::RequestBuilder| {
        let started = Instant::now();
        let response = request.send().expect("an answer, not a hang");
        let status = response.status().as_u16();
        let retry_after = response.headers().contains_key("retry-after");
        let body: Value = response.json().unwrap_or(Value::Null);
        (status, retry_after, body, started.elapsed())
    };
    let post = |code: &str| {
        client
            .post(server.url("/customers"))
            .bearer_auth(&server.key)
            .json(&json!({"code": code}))
    };
    assert_eq!(timed(post("before")).0, 200);
    assert_eq!(timed(client.get(server.url("/readyz"))).0, 200);

    forwarder.cut(true);
    // The last probe that got an answer counts for a second.
    std::thread::sleep(Duration::from_millis(1500));
    let mut slowest_ready = Duration::ZERO;
    for _ in 0..3 {
        let (status, retry_after, body, took) = timed(client.get(server.url("/readyz")));
        assert_eq!(status, 503, "{body}");
        assert!(retry_after);
        slowest_ready = slowest_ready.max(took);
    }
    let (status, retry_after, body, write_took) = timed(post("during"));
    // 503 either way: "outcome unknown, a retry is safe" when the write was under way at its
    // deadline, "unavailable" when no connection could be had (the readiness probe that
    // went unanswered already had the connections to the silent server closed).
    assert_eq!(status, 503, "{body}");
    assert!(retry_after);
    assert!(
        body["detail"].as_str().is_some_and(|detail| {
            detail.contains("sending the same request again is safe")
                || detail.contains("unavailable")
        }),
        "{body}"
    );
    eprintln!(
        "frozen database: /readyz answered 503 in at most {slowest_ready:?}, a write 503 in \
         {write_took:?} (commit_timeout 2 s)"
    );
    assert!(
        slowest_ready < Duration::from_millis(1500),
        "{slowest_ready:?}"
    );
    assert!(write_took < Duration::from_secs(4), "{write_took:?}");

    forwarder.cut(false);
    wait_until(
        "writes after the database answers again",
        Duration::from_secs(30),
        || timed(post("after")).0 == 200,
    );
    wait_until("ready again", Duration::from_secs(10), || {
        timed(client.get(server.url("/readyz"))).0 == 200
    });
}
