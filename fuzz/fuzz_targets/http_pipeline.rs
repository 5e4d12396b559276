//! Fuzz target: random pipelined requests on one connection to the real server (SQLite, in
//! this process), sent in two writes cut anywhere.
//!
//! Invariant: every request is answered once, in order (each carries its index in
//! `X-Request-Id`, which its answer echoes), up to an answer after which the server closes
//! the connection; nothing inside a body is ever answered as a request. Each request's
//! framing is exact, whatever its body holds: blank lines, request lines, bytes outside
//! ASCII, heads ending their lines with bare LF.

#![no_main]

use std::net::TcpListener;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arbitrary::Arbitrary;
use clientela_api::auth::{Scope, create_key};
use clientela_api::{AppState, ServerOptions, run_with};
use clientela_core::geo::Resolver;
use clientela_store::{Store, StoreOptions};
use libfuzzer_sys::fuzz_target;

#[path = "../../crates/api/tests/api/pipeline.rs"]
#[allow(dead_code, reason = "the tests use more of it than this target does")]
mod pipeline;

use pipeline::{Connection, RawRequest, check_one_answer_each};

/// The server every input talks to: its address and an admin key.
struct Target {
    address: String,
    key: String,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let folder = tempfile::tempdir().expect("folder").keep();
        let url = format!("sqlite://{}", folder.join("clientela.db").display());
        let store = Store::open(&StoreOptions::new(url)).expect("store");
        let key = create_key(&store, "fuzz", Scope::Admin).expect("key").token;
        let state = AppState::new(store, Arc::new(Resolver::builtin()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let options = ServerOptions {
                    workers: Some(1),
                    ..ServerOptions::default()
                };
                run_with(listener, state, options).expect("server").await
            })
        });
        Target { address, key }
    })
}

#[derive(Debug, Arbitrary)]
struct Input {
    requests: Vec<Request>,
    cut: u16,
}

#[derive(Debug, Arbitrary)]
struct Request {
    route: u8,
    body: Vec<u8>,
    chunked: bool,
    bare_lf: bool,
}

const ROUTES: [(&str, &str); 6] = [
    ("GET", "/healthz"),
    ("POST", "/customers"),
    ("GET", "/customers/fuzzed"),
    ("GET", "/customers?limit=2"),
    ("POST", "/customers?dryRun=true"),
    ("DELETE", "/customers/fuzzed"),
];

fuzz_target!(|input: Input| {
    let target = target();
    let requests: Vec<RawRequest> = input
        .requests
        .into_iter()
        .take(8)
        .enumerate()
        .map(|(index, request)| {
            let (method, path) = ROUTES[usize::from(request.route) % ROUTES.len()];
            let mut raw = RawRequest::new(method, path)
                .header("Authorization", format!("Bearer {}", target.key))
                .header("X-Request-Id", format!("pipelined-{index}"));
            raw.body = request.body;
            raw.body.truncate(4096);
            raw.chunked = request.chunked;
            raw.bare_lf = request.bare_lf;
            raw
        })
        .collect();
    if requests.is_empty() {
        return;
    }
    let bytes: Vec<u8> = requests.iter().flat_map(RawRequest::to_bytes).collect();
    let (first, second) = bytes.split_at(usize::from(input.cut).min(bytes.len()));
    let mut connection = Connection::open(&target.address);
    connection.send(first);
    connection.send(second);
    connection.read(requests.len(), Duration::from_secs(4));
    let exchange = connection.read(requests.len() + 1, Duration::from_millis(50));
    if let Err(wrong) = check_one_answer_each(&requests, &exchange) {
        panic!("{wrong}: {requests:?}\n{exchange:?}");
    }
});
