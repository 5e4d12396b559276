//! Crash durability: writers load the server, it is SIGKILLed mid-load, and after a
//! restart on the same data every customer whose POST was answered 200 is there with the
//! answered content.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Database, Server, client, temporary_folder};

const WRITERS: usize = 4;
const BATCH: usize = 10;
/// Acknowledged customers to wait for before the kill, so it lands mid-load.
const ACKNOWLEDGED_BEFORE_KILL: usize = 1000;

/// What one writer was told.
#[derive(Default)]
struct Ledger {
    requests_sent: usize,
    requests_acknowledged: usize,
    /// Created by an acknowledged batch: the fields as sent.
    created: BTreeMap<String, Value>,
    /// Updated by an acknowledged single POST: the customer as answered.
    updated: BTreeMap<String, Value>,
    /// Codes whose update was sent but not answered: either state is right.
    unanswered_updates: Vec<String>,
}

fn customer(writer: usize, batch: usize, item: usize) -> Value {
    json!({
        "code": format!("crash-w{writer}-b{batch:04}-i{item:02}"),
        "city": format!("City {batch}"),
        "yearBorn": 1900 + (batch % 100) as i64,
        "gender": item % 4,
        "metadata": {"writer": writer, "batch": batch, "item": item, "padding": "p".repeat(200)},
    })
}

/// Posts batches of new customers, each followed by an update of one customer of the
/// previous batch, until the server stops answering.
fn write_until_killed(
    server: &Server,
    writer: usize,
    killed: &AtomicBool,
    acknowledged: &AtomicUsize,
) -> Ledger {
    let client = client();
    let mut ledger = Ledger::default();
    for batch in 0.. {
        if killed.load(Ordering::SeqCst) {
            break;
        }
        let items: Vec<Value> = (0..BATCH)
            .map(|item| customer(writer, batch, item))
            .collect();
        ledger.requests_sent += 1;
        let answer = client
            .post(server.url("/customers"))
            .bearer_auth(&server.key)
            .json(&items)
            .send()
            .ok()
            .filter(|response| response.status().is_success())
            .and_then(|response| response.json::<Value>().ok());
        let Some(answer) = answer else { break };
        assert_eq!(answer["failed"], 0, "{answer}");
        ledger.requests_acknowledged += 1;
        for item in items {
            let code = item["code"].as_str().unwrap_or_default().to_owned();
            ledger.created.insert(code, item);
        }
        acknowledged.fetch_add(BATCH, Ordering::SeqCst);

        if batch == 0 {
            continue;
        }
        let code = format!("crash-w{writer}-b{:04}-i00", batch - 1);
        let patch = json!({"code": code, "isActive": false, "metadata": {"updated": batch}});
        ledger.requests_sent += 1;
        let answer = client
            .post(server.url("/customers"))
            .bearer_auth(&server.key)
            .json(&patch)
            .send()
            .ok()
            .filter(|response| response.status().is_success())
            .and_then(|response| response.json::<Value>().ok());
        match answer {
            Some(answer) => {
                ledger.requests_acknowledged += 1;
                ledger.updated.insert(code, answer["customer"].clone());
            }
            None => {
                ledger.unanswered_updates.push(code);
                break;
            }
        }
    }
    ledger
}

/// The fields a POST sets, as read back.
fn sent_fields(stored: &Value) -> Value {
    json!({
        "code": stored["code"],
        "city": stored["city"],
        "yearBorn": stored["yearBorn"],
        "gender": stored["gender"],
        "metadata": stored["metadata"],
    })
}

pub fn acknowledged_writes_survive_sigkill(database: &Database) {
    let folder = temporary_folder();
    let mut server = Server::start(folder.path(), database, &[]);
    let killed = AtomicBool::new(false);
    let acknowledged = AtomicUsize::new(0);
    let ledgers: Vec<Ledger> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (server, killed, acknowledged) = (&server, &killed, &acknowledged);
                scope.spawn(move || write_until_killed(server, writer, killed, acknowledged))
            })
            .collect();
        let started = Instant::now();
        while acknowledged.load(Ordering::SeqCst) < ACKNOWLEDGED_BEFORE_KILL {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the load never got going"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        killed.store(true, Ordering::SeqCst);
        // SIGKILL while the writers are mid-request.
        server.signal("KILL");
        writers
            .into_iter()
            .map(|writer| writer.join().expect("writer"))
            .collect()
    });
    server.wait();

    let restarted = Server::start(folder.path(), database, &[]);
    let client = client();
    let read = |code: &str| restarted.customer(&client, code);
    let mut lost = Vec::new();
    let mut checked = 0;
    for ledger in &ledgers {
        for (code, sent) in &ledger.created {
            checked += 1;
            let Some(stored) = read(code) else {
                lost.push(code.clone());
                continue;
            };
            if let Some(answered) = ledger.updated.get(code) {
                assert_eq!(&stored, answered, "{code}: not as the update was answered");
            } else if !ledger.unanswered_updates.contains(code) {
                assert_eq!(sent_fields(&stored), *sent, "{code}: not as created");
            }
        }
    }
    let sent: usize = ledgers.iter().map(|ledger| ledger.requests_sent).sum();
    let answered: usize = ledgers
        .iter()
        .map(|ledger| ledger.requests_acknowledged)
        .sum();
    let updates: usize = ledgers.iter().map(|ledger| ledger.updated.len()).sum();
    eprintln!(
        "crash on {}: {sent} requests sent, {answered} acknowledged ({checked} customers created, \
         {updates} updated), {} lost",
        database.name(),
        lost.len()
    );
    assert!(
        lost.is_empty(),
        "acknowledged customers lost in the crash: {lost:?}"
    );
}
