//! Failover: a primary and a streaming standby the test creates, the API given the libpq
//! multi-host URL of both (`target_session_attrs=read-write`), a writer and a change feed
//! follower running throughout, then the primary fails (stopped at once, frozen, or cut off
//! by the network) and the standby is promoted.
//!
//! What must hold, after a promotion that lost the primary's last writes (the standby had
//! stopped receiving them, as an asynchronous standby behind its primary would):
//! - writes answer 503 with `Retry-After` while no primary is there, then 200 again within
//!   seconds of the promotion;
//! - the follower skips no change the new primary holds: its cursor from the old history
//!   is answered 410 with a `resume` cursor at the fork point, and it continues from there;
//! - an `ETag` from before the fork no longer matches (412), even where the version number
//!   has come back with other contents;
//! - a write that reaches a server that went read-only is 503 with `Retry-After`, not 500.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cluster::PrivateCluster;
use crate::support::{Server, client, temporary_folder};

/// Codes the writer cycles through, so versions climb and come back after the fork.
const CODES: usize = 8;

#[derive(Default)]
struct Log {
    /// Acknowledged writes: (code, version, when).
    acknowledged: Vec<(String, i64, Instant)>,
    /// Answers other than 200 to writes: (status, when).
    refused: Vec<(u16, Instant)>,
    /// Every item the follower read: (code, version, cursor).
    followed: Vec<(String, i64, String)>,
    /// `resume` cursors the follower was given with a 410.
    resumed: Vec<String>,
}

pub fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_lossy_promotion_keeps_the_feed_exact_and_writes_come_back_within_seconds() {
    failover(Replication::LaggingAsynchronous, Failure::Stop);
}

/// With synchronous replication, a promotion after the primary stopped at once under a
/// steady stream of writes loses no acknowledged write, and the follower goes on without
/// a 410 (its cursor is at or before the fork point).
#[test]
fn a_promotion_with_synchronous_replication_loses_no_acknowledged_write() {
    failover(Replication::Synchronous, Failure::Stop);
}

/// A primary that freezes (its kernel still acknowledges every packet, so no TCP setting
/// notices) is left behind with the default settings: the calls waiting on it answer 503
/// at their deadline, the connections to it are not used again, and writes reach the
/// promoted standby within seconds of the promotion.
#[test]
fn a_frozen_primary_is_left_behind_within_seconds_of_the_promotion() {
    failover(Replication::Synchronous, Failure::Freeze);
}

/// The network to the primary cut (packets dropped, nothing answers), with the default
/// settings: `tcp_user_timeout` and the keepalives end the connections to it, and writes
/// reach the promoted standby within seconds of the promotion.
#[test]
fn a_primary_cut_off_by_the_network_is_left_behind_within_seconds_of_the_promotion() {
    failover(Replication::Synchronous, Failure::NetworkCut);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replication {
    /// Asynchronous, and the standby stops receiving before the primary stops.
    LaggingAsynchronous,
    /// `synchronous_standby_names = '*'`, `synchronous_commit = on`.
    Synchronous,
}

/// How the primary fails, and how long before the standby is promoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// Stopped at once (`pg_ctl stop -m immediate`), promotion a second later.
    Stop,
    /// Every process of it stopped (SIGSTOP), promotion 5 s later.
    Freeze,
    /// Its network link cut, promotion 5 s later.
    NetworkCut,
}

fn failover(replication: Replication, failure: Failure) {
    if std::env::var("CLIENTELA_TEST_PG").is_err() {
        eprintln!("skipped: set CLIENTELA_TEST_PG to run PostgreSQL tests");
        return;
    }
    let network = match failure {
        Failure::NetworkCut => match crate::cluster::Network::create() {
            Some(network) => Some(network),
            None => return,
        },
        Failure::Stop | Failure::Freeze => None,
    };
    let Some(primary) = PrivateCluster::create_in(network.clone()) else {
        return;
    };
    let standby = primary.standby();
    if replication == Replication::Synchronous {
        primary.sql(&[
            "ALTER SYSTEM SET synchronous_standby_names = '*'",
            "SELECT pg_reload_conf()",
        ]);
        wait_until("a synchronous standby", Duration::from_secs(30), || {
            primary.sql(&["SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'"])
                == "1"
        });
    }
    let folder = temporary_folder();
    let url = format!(
        "postgres://postgres@{}:{},127.0.0.1:{}/postgres?target_session_attrs=read-write",
        primary.host, primary.port, standby.port
    );
    // The database settings at their defaults, as an operator would run.
    let settings = [
        ("CLIENTELA__DATABASE__URL", url.as_str()),
        ("CLIENTELA__WEBHOOKS__ALLOW_PRIVATE_NETWORKS", "true"),
        ("CLIENTELA__WEBHOOKS__FIRST_RETRY_MS", "50"),
    ];
    let server = Server::start(folder.path(), &crate::support::Database::Sqlite, &settings);
    let client = client();
    // A webhook subscription follows the feed too, delivered by the server itself.
    let receiver = crate::receiver::Receiver::start();
    crate::webhooks::subscribe(&server, &receiver);
    let log = Mutex::new(Log::default());
    let stop_writer = AtomicBool::new(false);
    let stop_follower = AtomicBool::new(false);
    let lock = || log.lock().expect("log");

    let post = |body: &Value| {
        client
            .post(server.url("/customers"))
            .bearer_auth(&server.key)
            .json(body)
            .send()
            .expect("an answer to a POST")
    };
    /// Stops the writer and the follower however the scope ends (a failed step included).
    struct Stop<'a>(&'a AtomicBool, &'a AtomicBool);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
            self.1.store(true, Ordering::Relaxed);
        }
    }
    let (stale_etag, promoted_at) = std::thread::scope(|scope| {
        let _stop = Stop(&stop_writer, &stop_follower);
        scope.spawn(|| {
            let mut n = 0_usize;
            while !stop_writer.load(Ordering::Relaxed) {
                let code = format!("c{}", n % CODES);
                let response = post(&json!({"code": code, "metadata": {"n": n}}));
                let status = response.status().as_u16();
                if status == 200 {
                    let body: Value = response.json().unwrap_or(Value::Null);
                    let version = body["customer"]["version"]
                        .as_i64()
                        .or_else(|| body["version"].as_i64())
                        .unwrap_or(-1);
                    lock().acknowledged.push((code, version, Instant::now()));
                } else {
                    assert!(
                        status == 503 && response.headers().contains_key("retry-after"),
                        "a write during the failover: {status} {}",
                        response.text().unwrap_or_default()
                    );
                    lock().refused.push((status, Instant::now()));
                    std::thread::sleep(Duration::from_millis(50));
                }
                n += 1;
            }
        });
        scope.spawn(|| {
            let mut after: Option<String> = None;
            let mut empty_pages = 0;
            loop {
                let path = match &after {
                    Some(cursor) => format!("/changes?limit=200&wait=1&after={cursor}"),
                    None => "/changes?limit=200&wait=1".to_owned(),
                };
                let Ok(response) = client
                    .get(server.url(&path))
                    .bearer_auth(&server.key)
                    .send()
                else {
                    continue;
                };
                let status = response.status().as_u16();
                let page: Value = response.json().unwrap_or(Value::Null);
                match status {
                    200 => {
                        let items = page["items"].as_array().cloned().unwrap_or_default();
                        if items.is_empty() && stop_follower.load(Ordering::Relaxed) {
                            empty_pages += 1;
                            if empty_pages > 2 {
                                return;
                            }
                        }
                        let mut log = lock();
                        for item in &items {
                            log.followed.push((
                                item["code"].as_str().unwrap_or_default().to_owned(),
                                item["version"].as_i64().unwrap_or(-1),
                                item["cursor"].as_str().unwrap_or_default().to_owned(),
                            ));
                        }
                        after = page["next"].as_str().map(str::to_owned).or(after);
                    }
                    410 => {
                        let resume = page["resume"].as_str().expect("a resume cursor").to_owned();
                        lock().resumed.push(resume.clone());
                        after = Some(resume);
                    }
                    503 => std::thread::sleep(Duration::from_millis(100)),
                    other => panic!("the feed answered {other}: {page}"),
                }
            }
        });

        // Both servers in step, writes flowing.
        wait_until(
            "writes before the failover",
            Duration::from_secs(30),
            || lock().acknowledged.len() >= 100,
        );
        let etag = client
            .get(server.url("/customers/c0"))
            .bearer_auth(&server.key)
            .send()
            .expect("GET")
            .headers()
            .get("etag")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .expect("an ETag");
        // The standby stops receiving: what the primary commits from now on is lost when
        // it is promoted (as with an asynchronous standby that is behind).
        if replication == Replication::LaggingAsynchronous {
            standby.sql(&[
                "ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=1'",
                "SELECT pg_reload_conf()",
            ]);
        }
        let cut = lock().acknowledged.len();
        wait_until(
            "writes the standby never receives",
            Duration::from_secs(30),
            || lock().acknowledged.len() >= cut + 100,
        );
        let failed = Instant::now();
        match failure {
            Failure::Stop => primary.stop_immediately(),
            Failure::Freeze => primary.freeze(),
            Failure::NetworkCut => network.as_ref().expect("a network").cut(),
        }
        std::thread::sleep(match failure {
            Failure::Stop => Duration::from_secs(1),
            Failure::Freeze | Failure::NetworkCut => Duration::from_secs(5),
        });
        let promoted = Instant::now();
        standby.promote();
        wait_until("writes on the new primary", Duration::from_secs(30), || {
            lock()
                .acknowledged
                .last()
                .is_some_and(|(_, _, at)| *at > promoted)
        });
        let writes_back = lock()
            .acknowledged
            .iter()
            .find(|(_, _, at)| *at > promoted)
            .map(|(_, _, at)| at.duration_since(promoted));
        let last_before = lock()
            .acknowledged
            .iter()
            .rev()
            .find(|(_, _, at)| *at <= failed)
            .map(|(_, _, at)| failed.duration_since(*at));
        eprintln!(
            "failover ({replication:?}, {failure:?}): last write acknowledged {last_before:?} \
             before the failure, writes back {writes_back:?} after the promotion"
        );
        let settled = lock().acknowledged.len();
        wait_until(
            "writes after the promotion",
            Duration::from_secs(30),
            || lock().acknowledged.len() >= settled + 100,
        );
        stop_writer.store(true, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(500));
        stop_follower.store(true, Ordering::Relaxed);
        (etag, writes_back)
    });

    let log = log.into_inner().expect("log");
    let promoted_at = promoted_at.expect("a write after the promotion");
    assert!(
        promoted_at < Duration::from_secs(10),
        "writes came back {promoted_at:?} after the promotion"
    );

    // The whole feed the new primary holds, read from the start.
    let mut feed: Vec<String> = Vec::new();
    let mut feed_versions: BTreeSet<(String, i64)> = BTreeSet::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(cursor) => format!("/changes?limit=1000&after={cursor}"),
            None => "/changes?limit=1000".to_owned(),
        };
        let page: Value = client
            .get(server.url(&path))
            .bearer_auth(&server.key)
            .send()
            .expect("GET /changes")
            .json()
            .expect("a page");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        feed.extend(
            items
                .iter()
                .map(|item| item["cursor"].as_str().unwrap_or_default().to_owned()),
        );
        feed_versions.extend(items.iter().map(|item| {
            (
                item["code"].as_str().unwrap_or_default().to_owned(),
                item["version"].as_i64().unwrap_or(-1),
            )
        }));
        after = page["next"].as_str().map(str::to_owned);
    }
    // Every change the new primary holds reached the follower: those it inherited from the
    // old history (at or before the fork point, where the follower was resumed) under their
    // position in either history, those committed after the promotion under their cursor
    // of the new history (their positions may repeat positions of lost changes).
    let position = |cursor: &str| -> (i64, i64) {
        let (txid, seq) = cursor
            .rsplit('.')
            .next()
            .and_then(|position| position.split_once('-'))
            .expect("a cursor");
        (txid.parse().expect("txid"), seq.parse().expect("seq"))
    };
    // The fork point the new primary recorded: the last change it inherited.
    let fork = Some(position(&standby.sql(&[
        "SELECT fork_txid || '-' || fork_seq FROM feed_histories ORDER BY epoch DESC LIMIT 1",
    ])));
    if let Some(resume) = log.resumed.first() {
        assert_eq!(
            Some(position(resume)),
            fork,
            "the follower resumed at the fork point"
        );
    }
    let followed_cursors: BTreeSet<&str> = log
        .followed
        .iter()
        .map(|(_, _, cursor)| cursor.as_str())
        .collect();
    let followed_positions: BTreeSet<(i64, i64)> = log
        .followed
        .iter()
        .map(|(_, _, cursor)| position(cursor))
        .collect();
    let skipped: Vec<&String> = feed
        .iter()
        .filter(|cursor| {
            let inherited = fork.is_some_and(|fork| position(cursor) <= fork);
            if inherited {
                !followed_positions.contains(&position(cursor))
            } else {
                !followed_cursors.contains(cursor.as_str())
            }
        })
        .collect();
    let seen = log.followed.len();
    let lost = log
        .acknowledged
        .iter()
        .filter(|(code, version, _)| !feed_versions.contains(&(code.clone(), *version)))
        .count();
    let distinct = followed_cursors.len();
    eprintln!(
        "failover ({replication:?}, {failure:?}): {} writes acknowledged, {} of them lost with the old \
         primary ({lost} whose version the new primary does not hold at all), {} refused \
         with 503; the new primary's feed holds {} changes; the follower read {seen} items \
         ({} seen twice), was resumed at {:?}, skipped {}",
        log.acknowledged.len(),
        log.acknowledged.len().saturating_sub(feed.len()),
        log.refused.len(),
        feed.len(),
        seen - distinct,
        log.resumed,
        skipped.len()
    );
    // The webhook subscription, delivered across the failover, skips nothing either.
    let missing_from = |cursors: &BTreeSet<String>| -> Vec<String> {
        let positions: BTreeSet<(i64, i64)> =
            cursors.iter().map(|cursor| position(cursor)).collect();
        feed.iter()
            .filter(|cursor| {
                if fork.is_some_and(|fork| position(cursor) <= fork) {
                    !positions.contains(&position(cursor))
                } else {
                    !cursors.contains(*cursor)
                }
            })
            .cloned()
            .collect()
    };
    let delivered = |requests: &[crate::receiver::Received]| -> BTreeSet<String> {
        crate::receiver::all_items(requests)
            .iter()
            .filter_map(|item| item["cursor"].as_str().map(str::to_owned))
            .collect()
    };
    let requests = receiver.wait_for_longer(
        "every change delivered",
        Duration::from_secs(60),
        |requests| missing_from(&delivered(requests)).is_empty(),
    );
    eprintln!(
        "failover ({replication:?}, {failure:?}): the webhook got {} items in {} requests, none missing",
        crate::receiver::all_items(&requests).len(),
        requests.len()
    );
    assert!(
        skipped.is_empty(),
        "the follower skipped {} changes, first {:?}; it read last {:?}\n{}",
        skipped.len(),
        skipped.first(),
        log.followed.iter().rev().take(3).collect::<Vec<_>>(),
        server.logs()
    );
    match replication {
        Replication::LaggingAsynchronous => assert!(
            !log.resumed.is_empty(),
            "the follower's cursor from the lost history was answered 410 with a resume cursor"
        ),
        Replication::Synchronous => {
            assert_eq!(
                lost, 0,
                "acknowledged writes lost with synchronous replication"
            );
            // Besides every acknowledged write, the feed may hold writes whose answer was a
            // 503 (a commit that reached the standby as the primary failed), nothing else.
            assert!(
                feed.len() >= log.acknowledged.len()
                    && feed.len() <= log.acknowledged.len() + log.refused.len(),
                "the new primary's feed holds {} changes for {} acknowledged writes and {} \
                 refused",
                feed.len(),
                log.acknowledged.len(),
                log.refused.len()
            );
        }
    }

    // An ETag from before the fork names the old history: it no longer matches.
    let response = client
        .post(server.url("/customers"))
        .bearer_auth(&server.key)
        .header("if-match", &stale_etag)
        .json(&json!({"code": "c0", "metadata": {"n": "stale"}}))
        .send()
        .expect("POST");
    assert_eq!(
        response.status().as_u16(),
        412,
        "If-Match {stale_etag} from before the fork"
    );

    // A server that goes read-only under the API (fenced, or demoted): writes are 503.
    standby.sql(&[
        "ALTER SYSTEM SET default_transaction_read_only = on",
        "SELECT pg_reload_conf()",
    ]);
    std::thread::sleep(Duration::from_millis(500));
    let response = client
        .post(server.url("/customers"))
        .bearer_auth(&server.key)
        .json(&json!({"code": "read-only"}))
        .send()
        .expect("POST");
    assert_eq!(
        response.status().as_u16(),
        503,
        "a write to a read-only server"
    );
    assert!(response.headers().contains_key("retry-after"));
}
