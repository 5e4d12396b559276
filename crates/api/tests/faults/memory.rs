//! Eight maximal bodies at once: the server's peak memory stays under 400 MB and
//! `/healthz` answers within 50 ms throughout. Timed and heavy, so ignored by default; run
//! it on an otherwise idle machine, with the release binary for figures worth quoting:
//! `cargo test --release -p clientela-api --test faults memory -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use crate::support::{Database, Server, client, temporary_folder};

/// The peak resident memory of a process so far (`VmHWM`), in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map(|kb| kb / 1024.0)
        .expect("VmHWM")
}

/// The attack of the review: 25 MiB of `[0,0,0,…]`, under the body limit.
fn zeros_body() -> Vec<u8> {
    let mut body = b"[0".to_vec();
    while body.len() < 25 * 1024 * 1024 - 16 {
        body.extend_from_slice(b",0");
    }
    body.push(b']');
    body
}

/// 100 customers whose metadata is 60000 characters of 4-byte UTF-8: as large as valid
/// customers get.
fn maximal_customers_body(round: usize) -> Vec<u8> {
    let customers: Vec<serde_json::Value> = (0..100)
        .map(|index| {
            serde_json::json!({
                "code": format!("max-{round}-{index}"),
                "metadata": {"k": "😀".repeat(59_980)},
            })
        })
        .collect();
    serde_json::to_vec(&customers).expect("json")
}

fn run(bodies: Vec<Vec<u8>>, label: &str) {
    let folder = temporary_folder();
    let server = Server::start(folder.path(), &Database::Sqlite, &[]);
    let pid = server.child.id();
    let idle = peak_rss_mb(pid);
    let client = client();
    let started = Instant::now();
    let mut slowest_health = Duration::ZERO;
    let statuses = std::thread::scope(|scope| {
        let senders: Vec<_> = bodies
            .into_iter()
            .map(|body| {
                let client = client.clone();
                let url = server.url("/customers");
                let key = server.key.clone();
                scope.spawn(move || {
                    client
                        .post(url)
                        .bearer_auth(key)
                        .header("content-type", "application/json")
                        .body(body)
                        .timeout(Duration::from_secs(300))
                        .send()
                        .map(|response| response.status().as_u16())
                        .unwrap_or(0)
                })
            })
            .collect();
        while senders.iter().any(|sender| !sender.is_finished()) {
            let asked = Instant::now();
            assert_eq!(server.client_health(&client), 200);
            slowest_health = slowest_health.max(asked.elapsed());
            std::thread::sleep(Duration::from_millis(20));
        }
        senders
            .into_iter()
            .map(|sender| sender.join().expect("sender"))
            .collect::<Vec<_>>()
    });
    let peak = peak_rss_mb(pid);
    eprintln!(
        "{label}: statuses {statuses:?} in {:.1} s; RSS idle {idle:.0} MB, peak {peak:.0} MB; \
         slowest /healthz {:.1} ms",
        started.elapsed().as_secs_f64(),
        slowest_health.as_secs_f64() * 1000.0
    );
    assert!(peak <= 400.0, "peak RSS {peak:.0} MB");
    assert!(
        slowest_health <= Duration::from_millis(50),
        "slowest /healthz {slowest_health:?}"
    );
}

#[test]
#[ignore = "timed and heavy: run with --ignored on an idle machine"]
fn eight_arrays_of_zeros_at_once_stay_under_400_mb_and_healthz_stays_fast() {
    let body = zeros_body();
    run(vec![body; 8], "8 x 25 MiB of [0,0,…]");
}

#[test]
#[ignore = "timed and heavy: run with --ignored on an idle machine"]
fn eight_batches_of_maximal_customers_at_once_stay_under_400_mb_and_healthz_stays_fast() {
    run(
        (0..8).map(maximal_customers_body).collect(),
        "8 x 100 maximal customers",
    );
}
