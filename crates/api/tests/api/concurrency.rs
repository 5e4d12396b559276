//! No lost updates: concurrent merge patches of one customer each keep their field.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

const WRITERS: usize = 40;

/// Sends 40 patches at once, each adding its own metadata key, spread over `apps`; every
/// key must be there afterwards and the version must count every write.
fn patch_concurrently(apps: &[&TestApp]) {
    apps[0].post(&json!({"code": "HOT", "metadata": {"seed": true}}));
    std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let app = apps[writer % apps.len()];
            scope.spawn(move || {
                let patch = json!({"code": "HOT", "metadata": {format!("k{writer:02}"): writer}});
                let (status, body) = app.post(&patch);
                assert_eq!(status, StatusCode::OK, "writer {writer}: {body}");
                assert_eq!(body["result"], "updated");
            });
        }
    });
    let stored = apps[0].customer("HOT").expect("stored");
    let metadata: BTreeMap<String, Value> =
        serde_json::from_value(stored["metadata"].clone()).expect("object");
    assert_eq!(
        metadata.len(),
        WRITERS + 1,
        "a field was lost: {metadata:?}"
    );
    assert_eq!(stored["version"], WRITERS as i64 + 1);
}

on_both_backends! {
    /// 40 concurrent patches through one server: none is lost.
    fn concurrent_patches_lose_nothing(app: &TestApp) {
        patch_concurrently(&[app]);
    }
}

/// Sends 8 batches of the same 30 codes at once, in forward, reverse and rotated orders,
/// spread over `apps`: every batch succeeds (no deadlock or serialization failure reaches a
/// client) and every patch lands.
fn overlapping_batches(apps: &[&TestApp]) {
    let codes: Vec<String> = (0..30).map(|index| format!("X{index:02}")).collect();
    std::thread::scope(|scope| {
        for writer in 0..8 {
            let (codes, app) = (&codes, apps[writer % apps.len()]);
            scope.spawn(move || {
                let mut order: Vec<&String> = codes.iter().collect();
                match writer % 4 {
                    1 => order.reverse(),
                    2 => order.rotate_left(11),
                    3 => order.rotate_right(7),
                    _ => {}
                }
                let batch: Vec<Value> = order
                    .iter()
                    .map(|code| json!({"code": code, "metadata": {format!("w{writer}"): true}}))
                    .collect();
                let (status, body) = app.post(&Value::Array(batch));
                assert_eq!(status, StatusCode::OK, "writer {writer}: {body}");
                assert_eq!(body["failed"], 0, "{body}");
            });
        }
    });
    for code in &codes {
        let stored = apps[0].customer(code).expect("stored");
        assert_eq!(
            stored["metadata"].as_object().map(|m| m.len()),
            Some(8),
            "{code}"
        );
        assert_eq!(stored["version"], 8, "{code}: one version per batch");
    }
}

on_both_backends! {
    /// Two instances on one database, batches overlapping in codes in different orders:
    /// nothing fails, nothing is lost.
    fn overlapping_batches_across_two_instances_lose_nothing(app: &TestApp) {
        let second = app.second_instance();
        overlapping_batches(&[app, &second]);
    }
}

on_both_backends! {
    /// Batches overlapping in codes, sent concurrently in opposite orders, all succeed (no
    /// deadlock reaches a client) and every patch lands.
    fn overlapping_batches_do_not_deadlock(app: &TestApp) {
        let codes: Vec<String> = (0..30).map(|index| format!("O{index:02}")).collect();
        std::thread::scope(|scope| {
            for writer in 0..8 {
                let codes = &codes;
                scope.spawn(move || {
                    let mut order: Vec<&String> = codes.iter().collect();
                    if writer % 2 == 1 {
                        order.reverse();
                    }
                    let batch: Vec<Value> = order
                        .iter()
                        .map(|code| json!({"code": code, "metadata": {format!("w{writer}"): true}}))
                        .collect();
                    let (status, body) = app.post(&Value::Array(batch));
                    assert_eq!(status, StatusCode::OK, "{body}");
                    assert_eq!(body["failed"], 0, "{body}");
                });
            }
        });
        for code in &codes {
            let stored = app.customer(code).expect("stored");
            assert_eq!(stored["metadata"].as_object().map(|m| m.len()), Some(8), "{code}");
        }
    }
}

/// Two API instances (own pools, own servers) on one PostgreSQL: still nothing lost.
#[test]
fn two_instances_on_one_postgres_lose_nothing() {
    let Some(first) = TestApp::postgres() else {
        return;
    };
    let second = first.second_instance();
    patch_concurrently(&[&first, &second]);
}
