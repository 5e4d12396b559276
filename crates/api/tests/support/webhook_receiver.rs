//! A webhook receiver for tests, on a random local port: it records every request, checks
//! its Standard Webhooks signature as a receiver's documentation shows, and answers from a
//! script (a status, or a stall) before answering 200. Shared by the API and fault tests.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// Far longer than delivery takes, so a slow machine never fails a test that should pass.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// This status (with `Retry-After: 0`).
    Status(u16),
    /// Nothing for this long, then 200 (a deliverer killed meanwhile never sees it).
    Stall(Duration),
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub message_id: String,
    pub body: Value,
    /// Whether its `webhook-signature` is right for the secret the receiver was given.
    pub signed: bool,
}

impl Received {
    pub fn items(&self) -> Vec<Value> {
        self.body["items"].as_array().cloned().unwrap_or_default()
    }
}

#[derive(Default)]
struct Recorder {
    secret: Vec<u8>,
    /// How to answer the next requests, in order; 200 once empty.
    script: VecDeque<Answer>,
    /// Every request, answered with 2xx or not.
    requests: Vec<Received>,
}

/// A webhook receiver on a random local port.
pub struct Receiver {
    pub url: String,
    recorder: Arc<Mutex<Recorder>>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    pub fn start() -> Receiver {
        let recorder = Arc::new(Mutex::new(Recorder::default()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("address"));
        let shared = recorder.clone();
        let (sender, handles) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(shared.clone()))
                        .default_service(web::to(receive))
                })
                .workers(1)
                .listen(listener)
                .expect("listen")
                .run();
                sender.send(server.handle()).expect("handle");
                let _ = server.await;
            });
        });
        Receiver {
            url,
            recorder,
            handle: handles.recv().expect("receiver started"),
        }
    }

    fn recorder(&self) -> std::sync::MutexGuard<'_, Recorder> {
        self.recorder.lock().expect("recorder")
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Received> {
        self.recorder().requests.clone()
    }

    /// Answers the next requests so, in order.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.recorder().script.extend(answers);
    }

    pub fn expect_secret(&self, secret: &str) {
        let secret = secret.strip_prefix("whsec_").expect("whsec_ prefix");
        self.recorder().secret = STANDARD.decode(secret).expect("base64 secret");
    }

    /// Waits until `done` holds of the requests received so far.
    pub fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        self.wait_for_longer(what, PATIENCE, done)
    }

    /// [`Receiver::wait_for`], up to `patience`.
    pub fn wait_for_longer(
        &self,
        what: &str,
        patience: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let requests = self.requests();
            if done(&requests) {
                return requests;
            }
            assert!(
                started.elapsed() < patience,
                "waited {patience:?} for {what}; received {requests:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        actix_web::rt::System::new().block_on(self.handle.stop(false));
    }
}

async fn receive(
    request: HttpRequest,
    body: web::Bytes,
    recorder: web::Data<Arc<Mutex<Recorder>>>,
) -> HttpResponse {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (message_id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    let answer = {
        let mut recorder = recorder.lock().expect("recorder");
        let signed = verify(
            &recorder.secret,
            &message_id,
            &timestamp,
            &body,
            &header("webhook-signature"),
        );
        let answer = recorder.script.pop_front().unwrap_or(Answer::Status(200));
        let mut body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if matches!(answer, Answer::Status(status) if status >= 300) {
            // Marked, so a test can tell the batches the receiver refused.
            body["delivered"] = json!(false);
        }
        recorder.requests.push(Received {
            message_id,
            body,
            signed,
        });
        answer
    };
    let status = match answer {
        Answer::Status(status) => status,
        Answer::Stall(wait) => {
            actix_web::rt::time::sleep(wait).await;
            200
        }
    };
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"))
        .insert_header(("retry-after", "0"))
        .finish()
}

/// A receiver's check of a Standard Webhooks signature, as its documentation shows it.
fn verify(secret: &[u8], id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    header.split(' ').any(|signature| signature == expected)
}

/// The items of `requests`, in the order they came.
pub fn all_items(requests: &[Received]) -> Vec<Value> {
    requests.iter().flat_map(Received::items).collect()
}

/// (op, code) of each item.
pub fn ops(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|item| {
            (
                item["op"].as_str().unwrap_or_default().to_owned(),
                item["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}
