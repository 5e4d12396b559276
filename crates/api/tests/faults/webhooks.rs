//! Webhook delivery when the delivering server is killed with SIGKILL in the middle of a
//! batch: another replica takes its subscriptions over once the lease runs out, sends the
//! unanswered batch again under the same `webhook-id`, and goes on in order. Nothing is lost;
//! the only duplicates are whole batches under one id, also when the receiver had taken
//! batches whose progress the killed server had not written yet.

use std::time::Duration;

use serde_json::json;

use crate::receiver::{Answer, Received, Receiver, all_items, ops};
use crate::support::{Database, Server, client, temporary_folder};

const ENV: [(&str, &str); 2] = [
    ("CLIENTELA__WEBHOOKS__ALLOW_PRIVATE_NETWORKS", "true"),
    ("CLIENTELA__WEBHOOKS__FIRST_RETRY_MS", "50"),
];

pub fn a_killed_deliverer_loses_no_change_and_keeps_the_order(database: &Database) {
    let folder = temporary_folder();
    let mut first = Server::start(folder.path(), database, &ENV);
    let receiver = Receiver::start();
    // The first batch is never answered: the server sending it is killed meanwhile.
    receiver.script([Answer::Stall(Duration::from_secs(60))]);
    subscribe(&first, &receiver);
    let post = |server: &Server, codes: std::ops::Range<usize>| post_codes(server, "K", codes);
    post(&first, 0..100);
    post(&first, 100..150);
    receiver.wait_for("the first batch", |requests| !requests.is_empty());
    let second = Server::start(folder.path(), database, &ENV);
    first.kill();
    post(&second, 150..200);
    let expected = feed_ops(&second);
    assert_eq!(expected.len(), 200);
    // The lease (15 s) runs out, then the second server sends from the unanswered batch on.
    let received = receiver.wait_for_longer("every change", Duration::from_secs(60), |requests| {
        deduplicated(requests).len() >= expected.len()
    });
    assert_eq!(
        ops(&deduplicated(&received)),
        expected,
        "in order, none lost"
    );
    assert_eq!(
        received[1].message_id, received[0].message_id,
        "the unanswered batch is sent again under its id"
    );
    assert!(received.iter().all(|request| request.signed));
}

/// A deliverer records several batches in one write and moves the cursor past those taken
/// in a later write: killed in between, its successor sends the taken batches again, each
/// under the id it had, and nothing under a new id holds a change already received.
pub fn batches_taken_but_not_written_are_sent_again_under_their_ids(database: &Database) {
    let folder = temporary_folder();
    let mut first = Server::start(folder.path(), database, &ENV);
    let client = client();
    let receiver = Receiver::start();
    // Two batches taken, the third never answered: the server sending it is killed.
    receiver.script([
        Answer::Status(200),
        Answer::Status(200),
        Answer::Stall(Duration::from_secs(60)),
    ]);
    for start in [0, 100, 200, 300] {
        post_codes(&first, "P", start..start + 100);
    }
    let subscription = subscribe(&first, &receiver);
    let id = subscription["id"].as_str().expect("id");
    // From the oldest change: the deliverer finds 400 changes and records four batches.
    let replayed = client
        .post(first.url(&format!("/webhooks/{id}/replay")))
        .bearer_auth(&first.key)
        .json(&json!({}))
        .send()
        .expect("replay");
    assert_eq!(replayed.status(), 200);
    receiver.wait_for("the third batch", |requests| requests.len() >= 3);
    let second = Server::start(folder.path(), database, &ENV);
    first.kill();
    let expected = feed_ops(&second);
    assert_eq!(expected.len(), 400);
    let received = receiver.wait_for_longer("every change", Duration::from_secs(60), |requests| {
        deduplicated(requests).len() >= expected.len()
    });
    assert_eq!(
        ops(&deduplicated(&received)),
        expected,
        "in order, none lost, none twice under two ids"
    );
    let ids: Vec<&str> = received
        .iter()
        .map(|request| request.message_id.as_str())
        .collect();
    assert_eq!(
        ids[3..6],
        ids[..3],
        "the batches sent before the kill are sent again under their ids"
    );
}

/// Delivery is background work: on Linux the deliverer's threads run at a lower CPU priority
/// (nice +5) than the rest of the server (the threads answering requests and writing keep
/// the process's own), each at +5 once, not +5 more for a thread started by another.
#[cfg(target_os = "linux")]
pub fn the_deliverer_runs_below_the_requests_priority() {
    let folder = temporary_folder();
    let server = Server::start(folder.path(), &Database::Sqlite, &ENV);
    let threads: Vec<(String, i64)> =
        std::fs::read_dir(format!("/proc/{}/task", server.child.id()))
            .expect("the server's threads")
            .filter_map(|entry| {
                let stat = std::fs::read_to_string(entry.ok()?.path().join("stat")).ok()?;
                // `pid (comm) state …`: the nice value is the 19th field, the 17th after comm.
                let (head, rest) = stat.rsplit_once(") ")?;
                let name = head.split_once(" (")?.1.to_owned();
                let nice = rest.split_whitespace().nth(16)?.parse().ok()?;
                Some((name, nice))
            })
            .collect();
    let (delivering, others): (Vec<_>, Vec<_>) = threads
        .iter()
        .partition(|(name, _)| name.as_str() == "webhooks");
    assert!(!delivering.is_empty() && !others.is_empty(), "{threads:?}");
    // The process's own nice value, whatever the test runs at (0 unless started under nice).
    let own = others[0].1;
    assert!(
        delivering
            .iter()
            .all(|(_, nice)| *nice == (own + 5).min(19))
            && others.iter().all(|(_, nice)| *nice == own),
        "deliverer threads at nice {own} + 5, every other thread at {own}: {threads:?}"
    );
}

/// Subscribes `receiver` to everything, and gives it the secret to check signatures with.
pub fn subscribe(server: &Server, receiver: &Receiver) -> serde_json::Value {
    let subscription: serde_json::Value = client()
        .post(server.url("/webhooks"))
        .bearer_auth(&server.key)
        .json(&json!({"url": receiver.url}))
        .send()
        .expect("subscribe")
        .json()
        .expect("subscription");
    receiver.expect_secret(subscription["secret"].as_str().expect("secret"));
    subscription
}

/// Posts the customers `{prefix}000`… numbered by `codes` (at most 100).
fn post_codes(server: &Server, prefix: &str, codes: std::ops::Range<usize>) {
    let batch: Vec<serde_json::Value> = codes
        .map(|n| json!({"code": format!("{prefix}{n:03}")}))
        .collect();
    let response = client()
        .post(server.url("/customers"))
        .bearer_auth(&server.key)
        .json(&batch)
        .send()
        .expect("post");
    assert_eq!(response.status(), 200);
}

/// Every change of the feed as `(op, code)`, in feed order.
fn feed_ops(server: &Server) -> Vec<(String, String)> {
    let feed: serde_json::Value = client()
        .get(server.url("/changes?limit=1000"))
        .bearer_auth(&server.key)
        .send()
        .expect("feed")
        .json()
        .expect("feed page");
    ops(feed["items"].as_array().expect("items"))
}

/// The items of every batch, a batch received again under the same id counted once.
fn deduplicated(requests: &[Received]) -> Vec<serde_json::Value> {
    let mut seen = std::collections::HashSet::new();
    let first_copies: Vec<Received> = requests
        .iter()
        .filter(|request| seen.insert(request.message_id.clone()))
        .cloned()
        .collect();
    all_items(&first_copies)
}
