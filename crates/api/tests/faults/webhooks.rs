//! Webhook delivery when the delivering server is killed with SIGKILL in the middle of a
//! batch: another replica takes its subscriptions over once the lease runs out, sends the
//! unanswered batch again under the same `webhook-id`, and goes on in order. Nothing is lost;
//! the only duplicates are whole batches under one id.

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
    let client = client();
    let receiver = Receiver::start();
    // The first batch is never answered: the server sending it is killed meanwhile.
    receiver.script([Answer::Stall(Duration::from_secs(60))]);
    let subscription: serde_json::Value = client
        .post(first.url("/webhooks"))
        .bearer_auth(&first.key)
        .json(&json!({"url": receiver.url}))
        .send()
        .expect("subscribe")
        .json()
        .expect("subscription");
    receiver.expect_secret(subscription["secret"].as_str().expect("secret"));
    let post = |server: &Server, codes: std::ops::Range<usize>| {
        let batch: Vec<serde_json::Value> =
            codes.map(|n| json!({"code": format!("K{n:03}")})).collect();
        let response = client
            .post(server.url("/customers"))
            .bearer_auth(&server.key)
            .json(&batch)
            .send()
            .expect("post");
        assert_eq!(response.status(), 200);
    };
    post(&first, 0..100);
    post(&first, 100..150);
    receiver.wait_for("the first batch", |requests| !requests.is_empty());
    let second = Server::start(folder.path(), database, &ENV);
    first.kill();
    post(&second, 150..200);
    let feed: serde_json::Value = client
        .get(second.url("/changes?limit=1000"))
        .bearer_auth(&second.key)
        .send()
        .expect("feed")
        .json()
        .expect("feed page");
    let expected = ops(feed["items"].as_array().expect("items"));
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
