//! Webhooks against a local receiver that records what it gets and checks every signature:
//! every change reaches every matching subscription in feed order, a long feed written while
//! it is delivered included; failures are retried in
//! order; 410 pauses and resume goes on where it stopped; replay resends; two replicas deliver
//! each subscription once; a private address is refused by default; an erased customer is
//! never delivered after its erasure.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::receiver::{Answer, PATIENCE, Received, Receiver, all_items, ops};
use crate::support::{TestApp, Tuning};

/// Webhooks delivered to local addresses (the receiver), retried quickly.
fn delivering() -> Tuning {
    Box::new(|state, _| {
        state.webhooks.allow_private_networks = true;
        state.webhooks.first_retry = Duration::from_millis(20);
        state.webhooks.batch_size = 3;
    })
}

fn subscribe(app: &TestApp, receiver: &Receiver, extra: Value) -> Value {
    let mut body = json!({"url": receiver.url});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let (status, subscription) = app.post_to("/webhooks", &body);
    assert_eq!(status, StatusCode::CREATED, "{subscription}");
    receiver.expect_secret(subscription["secret"].as_str().expect("secret"));
    subscription
}

/// The feed as `GET /changes` shows it from its start: (op, code) in feed order.
/// The feed as `(op, code)` pairs, once it shows `last` (the test's last write). On
/// PostgreSQL a committed change stays out of the feed while an older transaction is still
/// running (the deliverer's own writes included), so a read right after a write may not
/// show it yet; once the last write shows, every earlier one of the same client does.
fn feed_through(app: &TestApp, last: (&str, &str)) -> Vec<(String, String)> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, page) = app.get("/changes?limit=1000");
        assert_eq!(status, StatusCode::OK);
        let items: Vec<(String, String)> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| {
                (
                    item["op"].as_str().unwrap_or_default().to_owned(),
                    item["code"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        if items
            .iter()
            .any(|(op, code)| (op.as_str(), code.as_str()) == last)
        {
            return items;
        }
        assert!(Instant::now() < deadline, "{last:?} never reached the feed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn both_backends(scenario: fn(TestApp)) {
    scenario(TestApp::sqlite_tuned(delivering()));
    if let Some(app) = TestApp::postgres_tuned(delivering()) {
        scenario(app);
    }
}

#[test]
fn every_change_reaches_every_matching_subscription_in_feed_order_signed() {
    both_backends(|mut app| {
        let everything = Receiver::start();
        let deletes = Receiver::start();
        subscribe(&app, &everything, json!({}));
        subscribe(&app, &deletes, json!({"events": ["delete"]}));
        for n in 0..7 {
            app.post(&json!({"code": format!("W{n}"), "yearBorn": 1980 + n}));
        }
        app.post(&json!([{"code": "W1", "city": "Vic"}, {"code": "W8"}]));
        assert_eq!(app.delete("/customers/W2"), StatusCode::NO_CONTENT);
        // Delivered once everything is written, so the feed sent is the feed as it is now
        // (an upsert delivered before its customer's erasure would be in neither).
        app.deliver_webhooks();
        let expected = feed_through(&app, ("delete", "W2"));
        let received = everything.wait_for("every change", |requests| {
            all_items(requests).len() >= expected.len()
        });
        assert_eq!(
            ops(&all_items(&received)),
            expected,
            "feed order, each once"
        );
        assert!(
            received.iter().all(|request| request.signed),
            "every request is signed"
        );
        assert!(
            received.iter().all(|request| request.items().len() <= 3),
            "batches of 3 at most"
        );
        let upsert = &all_items(&received)[0];
        assert_eq!(
            upsert["customer"]["code"], "W0",
            "items carry the customer as read"
        );
        let only_deletes = deletes.wait_for("the delete", |requests| !requests.is_empty());
        assert_eq!(
            ops(&all_items(&only_deletes)),
            [("delete".to_owned(), "W2".to_owned())]
        );
    });
}

/// A feed much longer than what a deliverer reads ahead (ten batches), written while it
/// delivers: every change arrives once, in feed order, in batches of at most `batch_size`,
/// each under an id of its own.
#[test]
fn a_long_feed_written_while_delivering_arrives_whole_and_in_order() {
    both_backends(|mut app| {
        let receiver = Receiver::start();
        subscribe(&app, &receiver, json!({}));
        app.deliver_webhooks();
        for request in 0..6 {
            let batch: Vec<Value> = (0..25)
                .map(|n| json!({"code": format!("L{:03}", request * 25 + n), "yearBorn": 1990}))
                .collect();
            app.post(&json!(batch));
        }
        app.post(&json!([{"code": "L007", "yearBorn": 1991}, {"code": "L999"}]));
        let expected = feed_through(&app, ("upsert", "L999"));
        let received = receiver.wait_for("every change", |requests| {
            ops(&all_items(requests)).last() == expected.last()
        });
        assert_eq!(
            ops(&all_items(&received)),
            expected,
            "feed order, each once"
        );
        assert!(received.iter().all(|request| request.items().len() <= 3));
        let ids: std::collections::HashSet<&str> = received
            .iter()
            .map(|request| request.message_id.as_str())
            .collect();
        assert_eq!(ids.len(), received.len(), "a webhook-id per batch");
    });
}

/// A `fields` filter sends the upserts that changed one of the named fields (a top-level
/// field, or a metadata key as `metadata.<key>`), each item naming what it changed, and
/// every delete; a name that is no field is refused rather than never matching.
#[test]
fn a_fields_filter_sends_only_upserts_that_changed_a_named_field_and_every_delete() {
    both_backends(|mut app| {
        app.deliver_webhooks();
        let (status, problem) = app.post_to(
            "/webhooks",
            &json!({"url": "http://127.0.0.1:9/hook", "fields": ["email"]}),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "fields", "{problem}");
        let email = Receiver::start();
        let country = Receiver::start();
        subscribe(&app, &email, json!({"fields": ["metadata.email"]}));
        subscribe(&app, &country, json!({"fields": ["country"]}));
        app.post(&json!({"code": "E", "metadata": {"email": "a@example.com"}}));
        app.post(&json!({"code": "E", "metadata": {"firstName": "Ann"}}));
        app.post(&json!({"code": "E", "country": "ES"}));
        app.post(&json!({"code": "E", "metadata": {"email": "b@example.com"}}));
        email.wait_for("the email changes", |requests| {
            all_items(requests).len() >= 2
        });
        country.wait_for("the country change", |requests| {
            !all_items(requests).is_empty()
        });
        // Deleted once the upserts are delivered: erasure removes them from the feed.
        assert_eq!(app.delete("/customers/E"), StatusCode::NO_CONTENT);
        let upsert = ("upsert".to_owned(), "E".to_owned());
        let delete = ("delete".to_owned(), "E".to_owned());
        // Items go in feed order, so once the delete has come nothing before it is on its way.
        let received = email.wait_for("the delete", |requests| all_items(requests).len() >= 3);
        let items = all_items(&received);
        assert_eq!(
            ops(&items),
            [upsert.clone(), upsert.clone(), delete.clone()]
        );
        assert_eq!(items[0]["changedFields"], json!(["metadata.email"]));
        assert_eq!(items[1]["changedFields"], json!(["metadata.email"]));
        assert!(items[2].get("changedFields").is_none(), "{}", items[2]);
        let received = country.wait_for("the delete", |requests| all_items(requests).len() >= 2);
        let items = all_items(&received);
        assert_eq!(ops(&items), [upsert, delete]);
        assert_eq!(items[0]["changedFields"], json!(["country", "location"]));
    });
}

#[test]
fn a_receiver_that_fails_five_times_then_recovers_gets_everything_in_order() {
    both_backends(|mut app| {
        app.deliver_webhooks();
        let receiver = Receiver::start();
        receiver.script([500, 503, 429, 502, 500].map(Answer::Status));
        subscribe(&app, &receiver, json!({}));
        for n in 0..5 {
            app.post(&json!({"code": format!("R{n}")}));
        }
        let expected = feed_through(&app, ("upsert", "R4"));
        let received = receiver.wait_for("recovery", |requests| {
            requests
                .iter()
                .filter(|request| request.body.get("delivered").is_none())
                .flat_map(Received::items)
                .count()
                >= expected.len()
        });
        let failed: Vec<&Received> = received
            .iter()
            .filter(|request| request.body.get("delivered").is_some())
            .collect();
        assert_eq!(failed.len(), 5);
        assert!(
            failed
                .iter()
                .all(|request| request.message_id == failed[0].message_id),
            "a batch is retried under its message id"
        );
        let delivered: Vec<Value> = received
            .iter()
            .filter(|request| request.body.get("delivered").is_none())
            .flat_map(Received::items)
            .collect();
        assert_eq!(
            ops(&delivered),
            expected,
            "in order, nothing lost, nothing twice"
        );
    });
}

#[test]
fn a_receiver_answering_410_pauses_its_subscription_and_resume_goes_on_where_it_stopped() {
    both_backends(|mut app| {
        app.deliver_webhooks();
        let receiver = Receiver::start();
        receiver.script([Answer::Status(410)]);
        let subscription = subscribe(&app, &receiver, json!({}));
        let id = subscription["id"].as_str().expect("id").to_owned();
        app.post(&json!({"code": "P1"}));
        receiver.wait_for("the refused batch", |requests| !requests.is_empty());
        let paused = wait_for_state(&app, &id, "paused");
        assert!(
            paused["pausedReason"]
                .as_str()
                .is_some_and(|reason| reason.contains("410")),
            "{paused}"
        );
        app.post(&json!({"code": "P2"}));
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(receiver.requests().len(), 1, "nothing is sent while paused");
        let (status, resumed) = app.post_to(&format!("/webhooks/{id}/resume"), &json!({}));
        assert_eq!(status, StatusCode::OK, "{resumed}");
        let received = receiver.wait_for("both changes", |requests| {
            all_items(&requests[1..]).len() >= 2
        });
        assert_eq!(
            ops(&all_items(&received[1..])),
            [
                ("upsert".to_owned(), "P1".to_owned()),
                ("upsert".to_owned(), "P2".to_owned())
            ]
        );
        assert_eq!(
            received[1].message_id, received[0].message_id,
            "the paused batch first, same id"
        );
        let (status, deliveries) = app.get(&format!("/webhooks/{id}/deliveries"));
        assert_eq!(status, StatusCode::OK);
        let statuses: Vec<i64> = deliveries["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|item| item["status"].as_i64())
            .collect();
        assert!(
            statuses.contains(&410) && statuses.contains(&200),
            "{deliveries}"
        );
    });
}

fn wait_for_state(app: &TestApp, id: &str, state: &str) -> Value {
    let started = Instant::now();
    loop {
        let (status, subscription) = app.get(&format!("/webhooks/{id}"));
        assert_eq!(status, StatusCode::OK, "{subscription}");
        if subscription["state"] == state {
            return subscription;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "never {state}: {subscription}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn replay_resends_from_a_cursor() {
    both_backends(|mut app| {
        app.deliver_webhooks();
        let receiver = Receiver::start();
        let subscription = subscribe(&app, &receiver, json!({}));
        let id = subscription["id"].as_str().expect("id").to_owned();
        for n in 0..4 {
            app.post(&json!({"code": format!("X{n}")}));
        }
        receiver.wait_for("four changes", |requests| all_items(requests).len() >= 4);
        let (_, page) = app.get("/changes?limit=2");
        let cursor = page["next"].as_str().expect("a cursor").to_owned();
        let (status, replayed) =
            app.post_to(&format!("/webhooks/{id}/replay"), &json!({"after": cursor}));
        assert_eq!(status, StatusCode::OK, "{replayed}");
        let received = receiver.wait_for("the replay", |requests| all_items(requests).len() >= 6);
        assert_eq!(
            ops(&all_items(&received)[4..]),
            [
                ("upsert".to_owned(), "X2".to_owned()),
                ("upsert".to_owned(), "X3".to_owned())
            ]
        );
    });
}

#[test]
fn two_replicas_deliver_each_subscription_once() {
    both_backends(|mut app| {
        let mut other = app.second_instance_tuned(delivering());
        app.deliver_webhooks();
        other.deliver_webhooks();
        let receiver = Receiver::start();
        subscribe(&app, &receiver, json!({}));
        for n in 0..12 {
            let server = if n % 2 == 0 { &app } else { &other };
            server.post(&json!({"code": format!("T{n}")}));
        }
        let expected = feed_through(&app, ("upsert", "T11"));
        receiver.wait_for("every change", |requests| {
            all_items(requests).len() >= expected.len()
        });
        // Time for a second deliverer to send anything twice.
        std::thread::sleep(Duration::from_secs(1));
        let received = receiver.requests();
        assert_eq!(
            ops(&all_items(&received)),
            expected,
            "each change once, in order"
        );
    });
}

#[test]
fn an_erased_customer_is_never_delivered_after_its_erasure() {
    both_backends(|mut app| {
        let receiver = Receiver::start();
        subscribe(&app, &receiver, json!({}));
        app.post(&json!({"code": "ERASED", "metadata": {"secret": "MarkerOfTheErased"}}));
        app.post(&json!({"code": "KEPT"}));
        assert_eq!(app.delete("/customers/ERASED"), StatusCode::NO_CONTENT);
        // Delivery starts only now, after the erasure.
        app.deliver_webhooks();
        let received = receiver.wait_for("the feed", |requests| all_items(requests).len() >= 2);
        let sent = serde_json::to_string(&all_items(&received)).expect("json");
        assert!(!sent.contains("MarkerOfTheErased"), "{sent}");
        assert_eq!(
            ops(&all_items(&received)),
            [
                ("upsert".to_owned(), "KEPT".to_owned()),
                ("delete".to_owned(), "ERASED".to_owned())
            ]
        );
    });
}

#[test]
fn a_private_address_is_refused_by_default() {
    let app = TestApp::sqlite();
    for url in [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest",
        "http://localhost/x",
        "http://[::1]/x",
        "ftp://example.com/x",
    ] {
        let (status, problem) = app.post_to("/webhooks", &json!({"url": url}));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {problem}");
        assert_eq!(problem["errors"][0]["field"], "url", "{problem}");
    }
    let (status, _) = app.get("/webhooks");
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn a_name_resolving_to_a_private_address_is_refused_when_connecting() {
    use std::net::ToSocketAddrs;
    // This machine's own name, which resolves to a loopback address on most systems.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    let loopback = (host, 9)
        .to_socket_addrs()
        .is_ok_and(|mut addresses| addresses.all(|address| address.ip().is_loopback()));
    if host.is_empty() || !loopback {
        eprintln!("skipped: this machine's name does not resolve to a loopback address");
        return;
    }
    let mut app = TestApp::sqlite();
    app.deliver_webhooks();
    let (status, subscription) = app.post_to(
        "/webhooks",
        &json!({"url": format!("http://{host}:9/hook")}),
    );
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a name passes when written: {subscription}"
    );
    let id = subscription["id"].as_str().expect("id").to_owned();
    app.post(&json!({"code": "SSRF"}));
    let failing = wait_for_state(&app, &id, "failing");
    assert!(
        failing["lastError"]
            .as_str()
            .is_some_and(|error| error.contains("loopback")),
        "{failing}"
    );
}

#[test]
fn subscriptions_need_an_admin_key_and_their_secret_is_shown_once() {
    let app = TestApp::sqlite_tuned(delivering());
    let receiver = Receiver::start();
    let subscription = subscribe(&app, &receiver, json!({"fields": ["country"]}));
    let id = subscription["id"].as_str().expect("id");
    assert_eq!(subscription["events"], json!(["upsert", "delete"]));
    assert_eq!(subscription["fields"], json!(["country"]));
    let (status, shown) = app.get(&format!("/webhooks/{id}"));
    assert_eq!(status, StatusCode::OK);
    assert!(shown.get("secret").is_none(), "{shown}");
    let writer = app.key(clientela_api::auth::Scope::Write);
    let refused = app
        .client
        .get(format!("{}/webhooks", app.base))
        .bearer_auth(writer)
        .send()
        .expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.delete(&format!("/webhooks/{id}")),
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(&format!("/webhooks/{id}")).0, StatusCode::NOT_FOUND);
}
