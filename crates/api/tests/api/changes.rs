//! `GET /changes` and `?dryRun=true`: the change feed a downstream tool follows, on both
//! backends.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

/// Every item of the feed after `after`, page by page, and the last `next`. An empty page
/// is asked again once with a short wait before it is taken for the end: on PostgreSQL a
/// committed change is held back while an older transaction is still running anywhere on the
/// server (the tests of other schemas run beside this one), which delays it, never skips it.
fn follow(app: &TestApp, after: Option<&str>, limit: usize) -> (Vec<Value>, Option<String>) {
    let mut items = Vec::new();
    let mut next = after.map(str::to_owned);
    let mut waited = false;
    loop {
        let wait = if waited { 3 } else { 0 };
        let path = match &next {
            Some(cursor) => format!("/changes?limit={limit}&wait={wait}&after={cursor}"),
            None => format!("/changes?limit={limit}&wait={wait}"),
        };
        let (status, page) = app.get(&path);
        assert_eq!(status, StatusCode::OK, "{page}");
        let batch = page["items"].as_array().cloned().unwrap_or_default();
        next = page["next"].as_str().map(str::to_owned).or(next);
        if batch.is_empty() {
            if waited {
                return (items, next);
            }
            waited = true;
            continue;
        }
        waited = false;
        items.extend(batch);
    }
}

fn summary(items: &[Value]) -> Vec<(String, String, i64)> {
    items
        .iter()
        .map(|item| {
            (
                item["op"].as_str().unwrap_or_default().to_owned(),
                item["code"].as_str().unwrap_or_default().to_owned(),
                item["version"].as_i64().unwrap_or_default(),
            )
        })
        .collect()
}

on_both_backends! {
    /// Each committed change once, in order; an unchanged POST adds nothing; a follower that
    /// resumes from `next` sees only what came after.
    fn the_feed_lists_each_committed_change_once_in_order(app: &TestApp) {
        app.post(&json!([{"code": "A", "country": "ES"}, {"code": "B"}]));
        app.post(&json!({"code": "A", "country": "ES"}));
        app.post(&json!({"code": "A", "metadata": {"tier": "gold"}}));
        let (items, next) = follow(app, None, 2);
        assert_eq!(
            summary(&items),
            vec![
                ("upsert".into(), "A".into(), 1),
                ("upsert".into(), "B".into(), 1),
                ("upsert".into(), "A".into(), 2),
            ],
            "the unchanged POST of A added nothing"
        );
        let customer = &items[0]["customer"];
        assert_eq!(customer["code"], "A");
        assert_eq!(customer["location"]["country"]["code"], "ES");
        assert!(items[0]["at"].as_str().is_some_and(|at| at.ends_with('Z')));

        app.post(&json!({"code": "C"}));
        let (later, _) = follow(app, next.as_deref(), 100);
        assert_eq!(summary(&later), vec![("upsert".into(), "C".into(), 1)]);
    }
}

on_both_backends! {
    /// A feed item (and so a webhook's) writes its customer byte for byte as
    /// `GET /customers/{code}` does, though the feed writes the stored metadata out without
    /// reading it into values: key order, numbers past 64 bits, exponents, escapes, nesting.
    fn a_feed_item_writes_its_customer_as_a_read_does(app: &TestApp) {
        let body = r#"{"code": "exact", "country": "FR", "city": "Paris", "yearBorn": 1984,
            "gender": 2, "metadata": {"z": 1, "a": {"y": [1.50, 2e3, -0.0, {}], "b": null},
            "big": 123456789012345678901234567890, "tiny": 1e-400, "text": "caf\u00e9 \"q\" \n \ud83d\ude00",
            "empty": {}, "list": []}}"#;
        let parsed: Value = serde_json::from_str(body).expect("the test's body is JSON");
        app.post(&parsed);
        app.post(&json!({"code": "plain"}));
        let (items, _) = follow(app, None, 100);
        for code in ["exact", "plain"] {
            let item = items
                .iter()
                .find(|item| item["code"] == code)
                .unwrap_or_else(|| panic!("{code} in the feed: {items:?}"));
            let read = app.customer(code).expect("stored");
            assert_eq!(
                serde_json::to_string(&item["customer"]).ok(),
                serde_json::to_string(&read).ok(),
                "{code}: the feed's customer and the read's differ"
            );
        }
        let exact = app.customer("exact").expect("stored");
        assert_eq!(
            serde_json::to_string(&exact["metadata"]).ok().as_deref(),
            Some(
                r#"{"z":1,"a":{"y":[1.50,2e+3,-0.0,{}]},"big":123456789012345678901234567890,"tiny":1e-400,"text":"café \"q\" \n 😀","empty":{},"list":[]}"#
            ),
            "metadata comes back in its order with its numbers' digits (an exponent gets its \
             sign), and a nested null removes its key, as in any merge patch"
        );
    }
}

on_both_backends! {
    /// DELETE adds a `delete` item with only the code, and the erased customer's earlier
    /// items leave the feed.
    fn erasure_reaches_the_feed(app: &TestApp) {
        app.post(&json!({"code": "gone@example.com", "metadata": {"secret": "x"}}));
        app.post(&json!({"code": "gone@example.com", "isActive": false}));
        app.post(&json!({"code": "stays"}));
        assert_eq!(app.delete("/customers/gone%40example.com"), StatusCode::NO_CONTENT);
        let (items, _) = follow(app, None, 100);
        assert_eq!(
            summary(&items),
            vec![
                ("upsert".into(), "stays".into(), 1),
                ("delete".into(), "gone@example.com".into(), 2),
            ]
        );
        assert_eq!(items[1]["customer"], Value::Null);
        let text = serde_json::to_string(&items).unwrap_or_default();
        assert!(!text.contains("secret"), "no data of the erased customer: {text}");
    }
}

on_both_backends! {
    /// With `wait`, an empty page is held until a change commits, and answers at once then.
    fn a_waiting_follower_is_answered_when_a_change_commits(app: &TestApp) {
        let (_, head) = follow(app, None, 100);
        let base = app.base.clone();
        let key = app.admin_key.clone();
        let path = match head {
            Some(cursor) => format!("{base}/changes?wait=20&after={cursor}"),
            None => format!("{base}/changes?wait=20"),
        };
        let started = Instant::now();
        let waiter = std::thread::spawn(move || {
            let response = reqwest::blocking::Client::new()
                .get(path)
                .bearer_auth(key)
                .timeout(Duration::from_secs(30))
                .send()
                .expect("long poll");
            (response.status(), response.json::<Value>().expect("a page"))
        });
        std::thread::sleep(Duration::from_millis(500));
        app.post(&json!({"code": "late"}));
        let (status, page) = waiter.join().expect("waiter");
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["items"][0]["code"], "late", "{page}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "answered when the change committed, not at the end of the wait"
        );
        let next = page["next"].as_str().expect("a next cursor").to_owned();
        let (status, page) = app.get(&format!("/changes?wait=1&after={next}"));
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["items"], json!([]), "an empty page after the wait: {page}");
        assert_eq!(page["next"], next.as_str(), "an empty page keeps the cursor it was given");
    }
}

on_both_backends! {
    /// Cursors this service did not give out (malformed, past the newest change, from a
    /// history of the data this database does not have), and out-of-range limits, are 400s
    /// that say what is wrong, never an empty page a follower would wait on forever.
    fn bad_feed_requests_are_refused(app: &TestApp) {
        app.post(&json!({"code": "A"}));
        let (items, _) = follow(app, None, 100);
        let head = items.last().and_then(|item| item["cursor"].as_str()).expect("a cursor").to_owned();
        let (txid, seq) = head.rsplit('.').next().and_then(|position| position.split_once('-')).expect("txid-seq");
        let past_head = format!("{txid}-{}", seq.parse::<i64>().expect("seq") + 1000);
        for path in [
            "/changes?after=yesterday".to_owned(),
            "/changes?after=0.1-1".to_owned(),
            format!("/changes?after={past_head}"),
            format!("/changes?after=99.{txid}-{seq}"),
            "/changes?limit=0".to_owned(),
            "/changes?limit=1001".to_owned(),
            "/changes?wait=31".to_owned(),
        ] {
            let (status, body) = app.get(&path);
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
            assert!(body["detail"].is_string());
        }
        let (_, body) = app.get(&format!("/changes?after={past_head}"));
        assert!(body["detail"].as_str().is_some_and(|detail| detail.contains("past the newest change")), "{body}");
        let (status, _) = app.get(&format!("/changes?after={head}"));
        assert_eq!(status, StatusCode::OK, "the head itself is a cursor");
    }
}

on_both_backends! {
    /// Past retention a cursor gets 410 with where to resume after a resync, and that
    /// cursor works.
    fn a_cursor_older_than_retention_is_gone_with_a_resume_cursor(app: &TestApp) {
        app.post(&json!({"code": "old1"}));
        let (items, _) = follow(app, None, 100);
        let first = items[0]["cursor"].as_str().expect("cursor").to_owned();
        app.post(&json!({"code": "old2"}));
        app.post(&json!({"code": "old3"}));
        let pruned = app
            .store
            .prune_changes(clientela_core::Timestamp(i64::MAX))
            .expect("prune");
        assert_eq!(pruned, 3);
        let (status, problem) = app.get(&format!("/changes?after={first}"));
        assert_eq!(status, StatusCode::GONE, "{problem}");
        assert!(problem["detail"].as_str().is_some_and(|detail| detail.contains("GET /customers")));
        let resume = problem["resume"].as_str().expect("a resume cursor").to_owned();
        app.post(&json!({"code": "new"}));
        let (status, page) = app.get(&format!("/changes?wait=10&after={resume}"));
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(summary(page["items"].as_array().expect("items")), vec![("upsert".into(), "new".into(), 1)]);
    }
}

on_both_backends! {
    /// `?dryRun=true` answers what would happen and writes nothing, the feed included.
    fn a_dry_run_reports_and_writes_nothing(app: &TestApp) {
        app.post(&json!({"code": "kept", "yearBorn": 1990}));
        let (status, body) = app.post_to(
            "/customers?dryRun=true",
            &json!([
                {"code": "kept", "yearBorn": 1991},
                {"code": "kept2", "country": "Atlantis"},
                {"code": "kept", "yearBorn": 1990},
                {"code": "bad", "yearBorn": 1200}
            ]),
        );
        assert_eq!(status, StatusCode::OK, "{body}");
        let results = body["results"].as_array().expect("results");
        assert_eq!(results[0]["result"], "updated");
        assert_eq!(results[1]["result"], "created");
        assert_eq!(results[1]["warnings"][0]["field"], "country");
        assert_eq!(results[2]["result"], "updated", "applied in order: back to 1990 after 1991");
        assert!(results[3]["error"].is_object());
        assert_eq!(app.customer("kept").expect("kept")["yearBorn"], 1990);
        assert!(app.customer("kept2").is_none());
        let (items, _) = follow(app, None, 100);
        assert_eq!(items.len(), 1, "only the real POST is in the feed");

        let (status, body) = app.post_to("/customers?dryRun=true", &json!({"code": "solo"}));
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["result"], "created");
        assert!(app.customer("solo").is_none());
    }
}

on_both_backends! {
    /// Two replicas, eight writers, and a follower reading from both all along: the
    /// follower's log is exactly the set of committed changes, each once.
    fn a_follower_sees_every_change_once_across_replicas(app: &TestApp) {
        let other = app.second_instance();
        let bases = [app.base.clone(), other.base.clone()];
        let key = app.admin_key.clone();
        let writers: Vec<_> = (0..8)
            .map(|writer| {
                let bases = bases.clone();
                let key = key.clone();
                std::thread::spawn(move || {
                    let client = reqwest::blocking::Client::new();
                    let mut committed = Vec::new();
                    for round in 0..25 {
                        let code = format!("c{}", (writer * 7 + round) % 20);
                        let body = json!({"code": code, "metadata": {format!("w{writer}"): round}});
                        let answer: Value = client
                            .post(format!("{}/customers", bases[round % 2]))
                            .bearer_auth(&key)
                            .json(&body)
                            .send()
                            .expect("post")
                            .json()
                            .expect("answer");
                        if answer["result"] != "unchanged" {
                            committed.push((code, answer["customer"]["version"].as_i64().expect("version")));
                        }
                    }
                    committed
                })
            })
            .collect();
        let follower = {
            let bases = bases.clone();
            let key = key.clone();
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                let mut seen = Vec::new();
                let mut after: Option<String> = None;
                let mut quiet_since: Option<Instant> = None;
                for call in 0.. {
                    let mut url = format!("{}/changes?limit=7", bases[call % 2]);
                    if let Some(cursor) = &after {
                        url.push_str(&format!("&after={cursor}"));
                    }
                    let page: Value = client.get(url).bearer_auth(&key).send().expect("feed").json().expect("page");
                    let items = page["items"].as_array().cloned().unwrap_or_default();
                    for item in &items {
                        seen.push((item["code"].as_str().unwrap_or_default().to_owned(), item["version"].as_i64().unwrap_or_default()));
                    }
                    after = page["next"].as_str().map(str::to_owned).or(after);
                    if items.is_empty() {
                        let since = *quiet_since.get_or_insert_with(Instant::now);
                        if since.elapsed() > Duration::from_secs(5) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    } else {
                        quiet_since = None;
                    }
                }
                seen
            })
        };
        let mut committed: Vec<(String, i64)> = writers
            .into_iter()
            .flat_map(|writer| writer.join().expect("writer"))
            .collect();
        let seen = follower.join().expect("follower");
        let unique: BTreeSet<&(String, i64)> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no change seen twice");
        committed.sort();
        let mut seen_sorted = seen.clone();
        seen_sorted.sort();
        assert_eq!(seen_sorted, committed, "every committed change seen, nothing else");
        // Each customer's changes arrive in version order.
        let mut last: BTreeMap<&str, i64> = BTreeMap::new();
        for (code, version) in &seen {
            let previous = last.insert(code, *version).unwrap_or(0);
            assert_eq!(*version, previous + 1, "{code} in order");
        }
    }
}

on_both_backends! {
    /// `after=now` starts at the newest change: only what commits later follows.
    fn after_now_follows_only_what_commits_later(app: &TestApp) {
        app.post(&json!({"code": "before"}));
        let (seen, _) = follow(app, None, 100);
        assert_eq!(seen.len(), 1, "the earlier change is visible before `now` is asked");
        let (status, page) = app.get("/changes?after=now");
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["items"], json!([]));
        let next = page["next"].as_str().expect("a cursor to go on from").to_owned();
        app.post(&json!({"code": "after"}));
        let (later, _) = follow(app, Some(&next), 100);
        assert_eq!(summary(&later), vec![("upsert".into(), "after".into(), 1)]);
    }
}

on_both_backends! {
    /// Retention removes the feed's oldest changes up to the cutoff and keeps every later
    /// one: a follower that had read up to the newest removed change goes on without a
    /// gap, one further back gets 410.
    fn retention_removes_only_what_is_older_than_the_cutoff(app: &TestApp) {
        app.post(&json!({"code": "early1"}));
        app.post(&json!({"code": "early2"}));
        let (items, _) = follow(app, None, 100);
        let first = items[0]["cursor"].as_str().expect("cursor").to_owned();
        let second = items[1]["cursor"].as_str().expect("cursor").to_owned();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let cutoff = clientela_core::Timestamp::now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        app.post(&json!({"code": "late"}));
        let pruned = app.store.prune_changes(cutoff).expect("prune");
        assert_eq!(pruned, 2, "the two changes before the cutoff go");
        let (status, _) = app.get(&format!("/changes?after={first}"));
        assert_eq!(status, StatusCode::GONE, "a cursor before the newest removed change lost one");
        let (items, _) = follow(app, Some(&second), 100);
        assert_eq!(summary(&items), vec![("upsert".into(), "late".into(), 1)]);
        let (items, _) = follow(app, None, 100);
        assert_eq!(summary(&items), vec![("upsert".into(), "late".into(), 1)], "from the start: what is kept");
        assert_eq!(app.store.prune_changes(cutoff).expect("prune again"), 0);
    }
}

on_both_backends! {
    /// Each upsert names the fields it changed, and nothing else: none for a create with
    /// defaults only; a metadata key as `metadata.<key>`; a field removed with null. A delete
    /// names none, and an erased customer's earlier items, names included, leave the feed.
    fn each_upsert_names_the_fields_it_changed(app: &TestApp) {
        app.post(&json!({"code": "plain"}));
        app.post(&json!({"code": "F", "country": "ES", "metadata": {"tier": "gold", "plan": "a"}}));
        app.post(&json!({"code": "F", "yearBorn": 1990, "metadata": {"tier": "silver"}}));
        app.post(&json!({"code": "F", "yearBorn": null, "metadata": {"plan": null}}));
        app.post(&json!({"code": "gone", "metadata": {"erasedKeyName": 1}}));
        assert_eq!(app.delete("/customers/gone"), StatusCode::NO_CONTENT);
        let (items, _) = follow(app, None, 100);
        let fields: Vec<(String, Option<Value>)> = items
            .iter()
            .map(|item| {
                (item["code"].as_str().unwrap_or_default().to_owned(), item.get("changedFields").cloned())
            })
            .collect();
        assert_eq!(
            fields,
            vec![
                ("plain".into(), Some(json!([]))),
                ("F".into(), Some(json!(["country", "location", "metadata.tier", "metadata.plan"]))),
                ("F".into(), Some(json!(["yearBorn", "metadata.tier"]))),
                ("F".into(), Some(json!(["yearBorn", "metadata.plan"]))),
                ("gone".into(), None),
            ]
        );
        assert_eq!(items[4]["op"], "delete");
        let text = serde_json::to_string(&items).unwrap_or_default();
        assert!(!text.contains("erasedKeyName"), "no name of the erased customer's data: {text}");
    }
}
