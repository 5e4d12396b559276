//! The limit settings reach the server: the binary started with small values through the
//! environment cuts off a slow client, refuses large headers and rate-limits a key; a limit
//! of zero stops the start naming the key.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use crate::support::{BINARY, Database, REQUEST_TIMEOUT, Server, client, temporary_folder};

#[test]
fn limits_set_in_the_environment_are_enforced() {
    let folder = temporary_folder();
    let mut server = Server::start(
        folder.path(),
        &Database::Sqlite,
        &[
            ("CLIENTELA__SERVER__REQUEST_HEAD_TIMEOUT", "1"),
            ("CLIENTELA__SERVER__MAX_HEADER_BYTES", "2048"),
            ("CLIENTELA__RATE_LIMIT__PER_SECOND", "1"),
            ("CLIENTELA__RATE_LIMIT__BURST", "2"),
        ],
    );
    let address = server.base.trim_start_matches("http://").to_owned();

    // A head that never ends is cut off (1 s) long before the test's patience runs out.
    let mut slow = TcpStream::connect(&address).expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
        .expect("write");
    slow.set_read_timeout(Some(REQUEST_TIMEOUT))
        .expect("timeout");
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = slow.read_to_end(&mut answer);
    assert!(
        started.elapsed() < REQUEST_TIMEOUT,
        "the slow client was not cut off"
    );

    let client = client();
    let padded = client
        .get(server.url("/customers"))
        .bearer_auth(&server.key)
        .header("x-padding", "p".repeat(3000))
        .send()
        .expect("padded");
    assert_eq!(padded.status(), 431);

    // The 431 above took no token: the limit applies to verified keys only, after headers.
    let statuses: Vec<u16> = (0..10)
        .map(|_| {
            client
                .get(server.url("/customers"))
                .bearer_auth(&server.key)
                .send()
                .expect("get")
                .status()
                .as_u16()
        })
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(server.stop().success());
}

#[test]
fn a_limit_of_zero_stops_the_start_naming_it() {
    let folder = temporary_folder();
    for key in [
        "SERVER__MAX_CONNECTIONS",
        "SERVER__REQUEST_HEAD_TIMEOUT",
        "SERVER__MAX_HEADER_BYTES",
    ] {
        let output = std::process::Command::new(BINARY)
            .env_remove("CLIENTELA_CONFIG")
            .env("CLIENTELA__DATA_DIR", folder.path())
            .env("CLIENTELA__SERVER__BIND", "127.0.0.1:0")
            .env(format!("CLIENTELA__{key}"), "0")
            .output()
            .expect("run");
        assert!(!output.status.success(), "{key}=0 was accepted");
        let named = key.to_lowercase().replace("__", ".");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&named), "{key}: {stderr}");
    }
}
