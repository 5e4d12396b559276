//! The deliverer: one per server process, on a thread and a small runtime of its own, so a
//! slow receiver never takes a worker that answers requests.
//!
//! Every [`TICK`](super::shared::TICK) (and whenever this replica commits a change) it looks for active
//! subscriptions it is not delivering yet and tries to take their lease; for each one it
//! holds, a task runs [`deliver`]: read the feed after the subscription's cursor, keep what
//! the subscription wants, record the next batches, send them signed one after the other,
//! and move the cursor past those the receiver took (2xx) or schedule the retry. Every
//! write of that state is conditional on the lease, which the task renews before each step
//! and gives up when it stops.
//!
//! The deliverer's threads run at a lower CPU priority than those answering requests
//! ([`BACKGROUND_NICE`]): on a machine saturated by ingest, delivery falls behind (its lag
//! shows in the metrics) rather than slowing the requests, and catches up when load drops.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use clientela_core::Timestamp;
use clientela_store::{Store, Webhook};
use tokio::sync::watch;

use super::attempt::client;
use super::shared::{Shared, TICK};
use super::task::deliver;
use super::{WebhookOptions, new_id};
use crate::feed::FeedSignal;
use crate::metrics::Metrics;

/// How much lower than the process's the deliverer's threads set their CPU priority (their
/// nice value, Linux only): under contention the scheduler gives a thread at +5 about a
/// third of the time of one at the process's own, so requests come first; on an idle
/// machine it changes nothing. +10 (a tenth) let delivery fall behind writes at half the
/// server's maximum rate now and then (BENCHMARKS.md).
pub const BACKGROUND_NICE: i32 = 5;

/// The nice value of the deliverer's threads: [`BACKGROUND_NICE`] above that of the thread
/// starting the deliverer (the process's), at most 19. `None` where threads have no nice
/// value of their own (anywhere but Linux).
fn background_priority() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        let own = rustix::process::getpriority_process(Some(rustix::thread::gettid())).ok()?;
        Some((own + BACKGROUND_NICE).min(19))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Sets the calling thread's nice value to `priority` (Linux, where each thread has its own;
/// elsewhere `priority` is `None`). A thread started by another of the deliverer's threads
/// has it already, so it is set, not lowered again.
fn run_in_background(priority: Option<i32>) {
    #[cfg(target_os = "linux")]
    if let Some(priority) = priority {
        let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), priority);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = priority;
}

/// The running deliverer; stops (giving its leases up) when dropped.
#[derive(Debug)]
pub struct Deliverer {
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Deliverer {
    /// Starts delivering the subscriptions of `store`.
    pub fn start(
        store: Store,
        options: WebhookOptions,
        feed: Arc<FeedSignal>,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<Deliverer> {
        let client = client(&options).map_err(std::io::Error::other)?;
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            store,
            options,
            feed,
            metrics,
            client,
            holder: new_id("replica"),
            delivering: Mutex::default(),
            stopped,
        });
        let priority = background_priority();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            // Four for its store calls, and as many again for calls abandoned on a server
            // that stopped answering.
            .max_blocking_threads(4 * clientela_store::SPARE_FACTOR as usize)
            .thread_name("webhooks")
            .on_thread_start(move || run_in_background(priority))
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("webhooks".into())
            .spawn(move || {
                run_in_background(priority);
                runtime.block_on(supervise(shared));
            })?;
        Ok(Deliverer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Deliverer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Takes the subscriptions nobody delivers, and keeps the paused-subscriptions gauge.
async fn supervise(shared: Arc<Shared>) {
    let mut stopped = shared.stopped.clone();
    while !shared.stopping() {
        match shared.store(Store::webhooks).await {
            Ok(subscriptions) => {
                let paused = subscriptions
                    .iter()
                    .filter(|subscription| subscription.paused_reason.is_some())
                    .count();
                shared.metrics.set_webhooks_paused(paused);
                for subscription in subscriptions {
                    start_task(&shared, subscription);
                }
            }
            Err(error) => tracing::warn!(%error, "could not list webhook subscriptions"),
        }
        tokio::select! {
            () = tokio::time::sleep(TICK) => {}
            _ = stopped.changed() => {}
        }
    }
    // Wait for the tasks to give their leases up.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !delivering(&shared).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn delivering(shared: &Shared) -> std::sync::MutexGuard<'_, HashSet<String>> {
    shared
        .delivering
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Starts a task for an active subscription this replica may take (free or expired lease).
fn start_task(shared: &Arc<Shared>, subscription: Webhook) {
    let now = Timestamp::now().micros();
    let free = subscription.lease_holder.as_deref() == Some(shared.holder.as_str())
        || subscription.lease_until.is_none_or(|until| until < now);
    if subscription.paused_reason.is_some() || !free {
        return;
    }
    if !delivering(shared).insert(subscription.id.clone()) {
        return;
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        let id = subscription.id.clone();
        deliver(&shared, &id).await;
        let holder = shared.holder.clone();
        let released = id.clone();
        let _ = shared
            .store(move |store| store.release_webhook_lease(&released, &holder))
            .await;
        delivering(&shared).remove(&id);
    });
}
