//! Test harness: the real server on a random port, against a temporary SQLite file or a
//! fresh PostgreSQL schema (when `CLIENTELA_TEST_PG` names a server), and a small client.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use clientela_api::auth::{Scope, create_key};
use clientela_api::metrics::Metrics;
use clientela_api::webhooks::WebhookOptions;
use clientela_api::webhooks::deliverer::Deliverer;
use clientela_api::{AppState, FeedSignal, ServerOptions, run_with};
use clientela_core::geo::Resolver;
use clientela_store::{ScratchSchema, Store, StoreOptions};
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::Value;

/// Runs a scenario once per backend: `NAME::sqlite` always, `NAME::postgres` when
/// `CLIENTELA_TEST_PG` is set (otherwise it says it was skipped).
macro_rules! on_both_backends {
    ($(#[doc = $doc:literal])* fn $name:ident($app:ident: &TestApp) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports, reason = "a scenario that uses nothing of its module's imports")]
            use super::*;

            fn scenario($app: &$crate::support::TestApp) $body

            #[test]
            fn sqlite() {
                scenario(&$crate::support::TestApp::sqlite());
            }

            #[test]
            fn postgres() {
                if let Some(app) = $crate::support::TestApp::postgres() {
                    scenario(&app);
                }
            }
        }
    };
}
pub(crate) use on_both_backends;

/// Changes to the server's defaults for one test (limits, timeouts, rate limits).
pub type Tuning = Box<dyn FnOnce(&mut AppState, &mut ServerOptions) + Send>;

pub struct TestApp {
    pub base: String,
    pub admin_key: String,
    pub store: Store,
    pub client: Client,
    pub url: String,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
    /// What a webhook deliverer for this server needs ([`TestApp::deliver_webhooks`]).
    webhooks: WebhookOptions,
    feed: Arc<FeedSignal>,
    metrics: Arc<Metrics>,
    deliverer: Option<Deliverer>,
    /// Dropped with the app: the SQLite folder, or the PostgreSQL schema to drop.
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(#[expect(dead_code, reason = "held only to be dropped with the app")] tempfile::TempDir),
    Schema(#[expect(dead_code, reason = "held only to be dropped with the app")] ScratchSchema),
    Nothing,
}

impl TestApp {
    pub fn sqlite() -> TestApp {
        TestApp::sqlite_tuned(Box::new(|_, _| {}))
    }

    /// A SQLite app whose state and server options `tuning` adjusts first.
    pub fn sqlite_tuned(tuning: Tuning) -> TestApp {
        let folder = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", folder.path().join("clientela.db").display());
        TestApp::start(url, Cleanup::Folder(folder), tuning)
    }

    /// `None` (after saying so) when `CLIENTELA_TEST_PG` is not set.
    pub fn postgres() -> Option<TestApp> {
        TestApp::postgres_tuned(Box::new(|_, _| {}))
    }

    /// `None` (after saying so) when `CLIENTELA_TEST_PG` is not set.
    pub fn postgres_tuned(tuning: Tuning) -> Option<TestApp> {
        let schema = ScratchSchema::for_test("test")?;
        Some(TestApp::start(
            schema.url(),
            Cleanup::Schema(schema),
            tuning,
        ))
    }

    /// Another API process-alike on the same database: its own pool, its own server.
    pub fn second_instance(&self) -> TestApp {
        self.second_instance_tuned(Box::new(|_, _| {}))
    }

    /// [`TestApp::second_instance`], its state and options adjusted by `tuning` first.
    pub fn second_instance_tuned(&self, tuning: Tuning) -> TestApp {
        let mut other = TestApp::start(self.url.clone(), Cleanup::Nothing, tuning);
        other.admin_key = self.admin_key.clone();
        other
    }

    /// Stops this server and starts a new one on the same database, as a restart would.
    pub fn restart(mut self) -> TestApp {
        self.stop();
        let cleanup = std::mem::replace(&mut self.cleanup, Cleanup::Nothing);
        let mut restarted = TestApp::start(self.url.clone(), cleanup, Box::new(|_, _| {}));
        restarted.admin_key = self.admin_key.clone();
        restarted
    }

    fn stop(&mut self) {
        self.deliverer = None;
        actix_web::rt::System::new().block_on(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn start(url: String, cleanup: Cleanup, tuning: Tuning) -> TestApp {
        let mut options = StoreOptions::new(url.clone());
        options.pool_size = 8;
        let store = Store::open(&options).expect("open store");
        let admin_key = create_key(&store, "test admin", Scope::Admin)
            .expect("admin key")
            .token;
        let mut state = AppState::new(store.clone(), Arc::new(Resolver::builtin()));
        let mut server_options = ServerOptions {
            workers: Some(2),
            ..ServerOptions::default()
        };
        tuning(&mut state, &mut server_options);
        let (webhooks, feed, metrics) = (state.webhooks, state.feed.clone(), state.metrics.clone());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = run_with(listener, state, server_options).expect("server");
                sender.send(server.handle()).expect("hand over the handle");
                server.await.expect("server ran");
            });
        });
        let handle = receiver.recv().expect("server started");
        TestApp {
            base,
            admin_key,
            store,
            client: Client::new(),
            url,
            handle,
            thread: Some(thread),
            webhooks,
            feed,
            metrics,
            deliverer: None,
            cleanup,
        }
    }

    /// Starts delivering webhooks from this server, as `serve` does.
    pub fn deliver_webhooks(&mut self) {
        let deliverer = Deliverer::start(
            self.store.clone(),
            self.webhooks,
            self.feed.clone(),
            self.metrics.clone(),
        )
        .expect("webhook deliverer");
        self.deliverer = Some(deliverer);
    }

    pub fn key(&self, scope: Scope) -> String {
        create_key(&self.store, "test", scope).expect("key").token
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.admin_key)
    }

    /// POSTs `body` to `path` (e.g. `/customers?atomic=true`).
    pub fn post_to(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        send(self.request(reqwest::Method::POST, path).json(body))
    }

    pub fn post(&self, body: &Value) -> (StatusCode, Value) {
        self.post_to("/customers", body)
    }

    pub fn get(&self, path: &str) -> (StatusCode, Value) {
        send(self.request(reqwest::Method::GET, path))
    }

    pub fn delete(&self, path: &str) -> StatusCode {
        self.request(reqwest::Method::DELETE, path)
            .send()
            .expect("request")
            .status()
    }

    /// The stored customer, or `None` when GET says 404.
    pub fn customer(&self, code: &str) -> Option<Value> {
        let (status, body) = self.get(&format!("/customers/{}", encode_segment(code)));
        match status {
            StatusCode::OK => Some(body),
            StatusCode::NOT_FOUND => None,
            other => panic!("GET {code}: unexpected {other}: {body}"),
        }
    }

    /// How many customers exist (by paging through all of them).
    pub fn count(&self) -> usize {
        let mut count = 0;
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(cursor) => format!("/customers?limit=500&after={cursor}"),
                None => "/customers?limit=500".to_owned(),
            };
            let (status, page) = self.get(&path);
            assert_eq!(status, StatusCode::OK, "{page}");
            count += page["items"].as_array().map_or(0, Vec::len);
            match page["next"].as_str() {
                Some(cursor) => after = Some(cursor.to_owned()),
                None => return count,
            }
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().expect("request sent");
    let status = response.status();
    let text = response.text().expect("body read");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Percent-encodes a code for use as one path segment.
pub fn encode_segment(code: &str) -> String {
    code.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
