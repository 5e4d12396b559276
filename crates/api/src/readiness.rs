//! What `/readyz` answers: whether the database answered a recent probe, known without
//! asking it during the request, so the answer comes within a second even while the
//! database does not answer at all (a probe may then hang for `database.connect_timeout`
//! and more).
//!
//! A background thread pings the database every [`PROBE_EVERY`] while `/readyz` is being
//! asked (it starts on the first request and stops a minute after the last), recording
//! each outcome. A request is ready when the last probe succeeded less than [`FRESH_FOR`]
//! ago; a probe that has not come back for that long counts as a failure. A request
//! that finds no fresh success waits up to [`FIRST_WAIT`] for a newer probe.
//!
//! A probe that has not come back after [`ABANDON_AFTER`] (a frozen server holds it without
//! end) is left behind: the store is fenced (`Store::fence`, so no call reuses a connection
//! to that server) and a new probing thread takes over, so `/readyz` turns ready again as
//! soon as a database answers, through the multi-host list if need be.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clientela_store::Store;

/// How often the database is probed while `/readyz` is asked.
pub const PROBE_EVERY: Duration = Duration::from_millis(250);
/// How old a successful probe may be and still count.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// How long a request waits for a probe newer than itself when the last one failed.
pub const FIRST_WAIT: Duration = Duration::from_millis(500);
/// How long the probes go on after the last request.
const KEEP_PROBING: Duration = Duration::from_secs(60);
/// How long a probe may take before a new probing thread replaces the one waiting on it.
pub const ABANDON_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
struct Probes {
    /// When the last probe ended, and how.
    last: Option<(Instant, Result<(), String>)>,
    /// When the last probe that succeeded ended.
    last_ok: Option<Instant>,
    asked: Option<Instant>,
    running: bool,
    /// When the probe under way started.
    probing_since: Option<Instant>,
    /// Which probing thread is the current one; an abandoned one stops when it sees a newer.
    thread: u64,
}

/// The database's readiness as the background probes last saw it. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    probes: Arc<Mutex<Probes>>,
}

impl Readiness {
    /// Whether the database answered a probe in the last [`FRESH_FOR`]; the reason when
    /// not. A fresh success answers at once; otherwise the request waits up to
    /// [`FIRST_WAIT`] for a probe newer than itself (a database that has just come back is
    /// ready at once), then answers from the last one: never waits on the database longer.
    pub async fn check(&self, store: &Store) -> Result<(), String> {
        let started = Instant::now();
        self.keep_probing(store);
        loop {
            let (last, last_ok) = match self.probes.lock() {
                Ok(probes) => (probes.last.clone(), probes.last_ok),
                Err(_) => return Err("the readiness probe failed".into()),
            };
            let fresh = last_ok.is_some_and(|at| at.elapsed() < FRESH_FOR);
            let newer = last.as_ref().is_some_and(|(at, _)| *at >= started);
            match last {
                Some((_, Ok(()))) if fresh => return Ok(()),
                Some((_, Err(reason))) if newer || started.elapsed() >= FIRST_WAIT => {
                    return Err(reason);
                }
                Some(_) if started.elapsed() >= FIRST_WAIT => {
                    return Err(format!(
                        "the database has not answered a probe for {:.1} s",
                        last_ok.map_or(0.0, |at| at.elapsed().as_secs_f64())
                    ));
                }
                None if started.elapsed() >= FIRST_WAIT => {
                    return Err("the database has not answered the first probe yet".into());
                }
                _ => actix_web::rt::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// Notes the request, and starts the probing thread if it is not running.
    fn keep_probing(&self, store: &Store) {
        let Ok(mut probes) = self.probes.lock() else {
            return;
        };
        probes.asked = Some(Instant::now());
        let stuck = probes
            .probing_since
            .filter(|since| since.elapsed() > ABANDON_AFTER);
        if probes.running && stuck.is_none() {
            return;
        }
        if let Some(since) = stuck {
            store.fence(since);
        }
        probes.running = true;
        probes.probing_since = None;
        probes.thread += 1;
        let thread = probes.thread;
        drop(probes);
        let shared = self.probes.clone();
        let store = store.clone();
        let spawned = std::thread::Builder::new()
            .name("readiness".into())
            .spawn(move || probe_while_asked(&shared, &store, thread));
        if spawned.is_err()
            && let Ok(mut probes) = self.probes.lock()
        {
            probes.running = false;
        }
    }
}

fn probe_while_asked(shared: &Mutex<Probes>, store: &Store, thread: u64) {
    loop {
        match shared.lock() {
            Ok(mut probes) if probes.thread == thread => {
                probes.probing_since = Some(Instant::now())
            }
            _ => return,
        }
        let outcome = store.ping().map_err(|error| error.to_string());
        let Ok(mut probes) = shared.lock() else {
            return;
        };
        if probes.thread != thread {
            return;
        }
        probes.probing_since = None;
        let now = Instant::now();
        if outcome.is_ok() {
            probes.last_ok = Some(now);
        }
        probes.last = Some((now, outcome));
        if probes
            .asked
            .is_none_or(|asked| asked.elapsed() > KEEP_PROBING)
        {
            probes.running = false;
            return;
        }
        drop(probes);
        std::thread::sleep(PROBE_EVERY);
    }
}
