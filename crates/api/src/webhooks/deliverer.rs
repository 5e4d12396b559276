//! The deliverer: one per server process, on a thread and a small runtime of its own, so a
//! slow receiver never takes a worker that answers requests.
//!
//! Every [`TICK`] (and whenever this replica commits a change) it looks for active
//! subscriptions it is not delivering yet and tries to take their lease; for each one it
//! holds, a task runs [`deliver`]: read the feed after the subscription's cursor, keep what
//! the subscription wants, record the next batches, send them signed one after the other,
//! and move the cursor past those the receiver took (2xx) or schedule the retry. Every
//! write of that state is conditional on the lease, which the task renews before each step
//! and gives up when it stops.
//!
//! # Keeping up
//! One batch is in flight per subscription, so what a batch costs besides its request is
//! what bounds delivery. While a batch is in flight the task reads the feed's next rows
//! ahead (rows only, up to [`READ_AHEAD`] batches); one write records up to that many
//! batches and moves the cursor past those taken before (`plan.rs`, "Writes"), so most
//! batches cost their customers' read and their request, nothing else. After a write it
//! made itself the task knows the subscription's state, and reads it again only after
//! anything else (a failure, a write that did not apply: a replay or a removal meanwhile).
//!
//! The deliverer's threads run at a lower CPU priority than those answering requests
//! ([`BACKGROUND_NICE`]): on a machine saturated by ingest, delivery falls behind (its lag
//! shows in the metrics) rather than slowing the requests, and catches up when load drops.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use clientela_core::Timestamp;
use clientela_store::{
    AfterFailure, Change, ChangeOp, Cursor, Delivery, NextBatch, Store, StoreError, Webhook,
};
use tokio::sync::watch;

use super::attempt::{Outcome, after_failure, client, micros, post};
use super::filter::Filter;
use super::plan::{Plan, READ_AHEAD, ReadAhead};
use super::{LEASE, WebhookOptions, new_id};
use crate::feed::{ChangeItem, FeedSignal};
use crate::metrics::Metrics;

/// How much lower than the process's the deliverer's threads set their CPU priority (their
/// nice value, Linux only): under contention the scheduler gives a thread at +10 about a
/// tenth of the time of one at the process's own, so requests come first; on an idle
/// machine it changes nothing.
pub const BACKGROUND_NICE: i32 = 10;

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

/// How often the deliverer looks for subscriptions to take, and a task with nothing to send
/// looks for changes other replicas committed.
pub const TICK: Duration = Duration::from_millis(250);

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

/// What the supervisor and its tasks share.
struct Shared {
    store: Store,
    options: WebhookOptions,
    feed: Arc<FeedSignal>,
    metrics: Arc<Metrics>,
    client: reqwest::Client,
    /// This replica's name in leases.
    holder: String,
    /// The subscriptions this replica runs a task for.
    delivering: Mutex<HashSet<String>>,
    stopped: watch::Receiver<bool>,
}

impl Shared {
    fn stopping(&self) -> bool {
        *self.stopped.borrow()
    }

    /// Runs a store call on a blocking thread, abandoned (and the store fenced) past its
    /// deadline, as a request's call is (`state.rs`, "Deadlines").
    async fn store<T: Send + 'static>(
        self: &Arc<Self>,
        call: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        let deadline = self.options.store_deadline;
        let started = Instant::now();
        match tokio::time::timeout(deadline, tokio::task::spawn_blocking(move || call(&store)))
            .await
        {
            Ok(outcome) => outcome
                .map_err(|error| StoreError::Unavailable(format!("webhook task: {error}")))?,
            Err(_) => {
                self.store.fence(started);
                Err(StoreError::Unavailable(format!(
                    "the database did not answer within {} ms",
                    deadline.as_millis()
                )))
            }
        }
    }

    /// Waits up to `wait`, less if this replica commits a change or the deliverer stops.
    async fn pause(&self, wait: Duration) {
        let mut stopped = self.stopped.clone();
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = self.feed.next_change() => {}
            _ = stopped.changed() => {}
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

/// What a task does after a step.
enum Next {
    /// Goes on at once with what it knows.
    Go,
    /// Waits for new changes (nothing left to send, everything written).
    Wait,
    /// Reads the subscription again (a write did not apply, a batch failed).
    Reread,
}

/// Delivers one subscription for as long as this replica holds its lease.
async fn deliver(shared: &Arc<Shared>, id: &str) {
    // Until when this replica holds the lease, as far as it knows: renewed once a third of
    // it has passed, not on every step, so an idle subscription costs a write every few
    // seconds, not four a second.
    let mut held_until = 0;
    let mut lag = LagMeter::default();
    // The subscription as last read, and what this task knows beyond it.
    let mut known: Option<(Webhook, Plan)> = None;
    let mut secret: Option<[u8; 32]> = None;
    while !shared.stopping() {
        let now = Timestamp::now().micros();
        if held_until - now < micros(LEASE) * 2 / 3 {
            let (holder, lease_id) = (shared.holder.clone(), id.to_owned());
            let until = now + micros(LEASE);
            let held = shared
                .store(move |store| store.take_webhook_lease(&lease_id, &holder, now, until))
                .await;
            if !matches!(held, Ok(true)) {
                break;
            }
            held_until = until;
        }
        let (subscription, mut plan) = match known.take() {
            Some(known) => known,
            None => {
                let wanted = id.to_owned();
                match shared.store(move |store| store.webhook(&wanted)).await {
                    Ok(Some(subscription)) if subscription.paused_reason.is_none() => {
                        let plan = Plan::stored(&subscription);
                        (subscription, plan)
                    }
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(%error, webhook = id, "could not read a webhook subscription");
                        shared.pause(Duration::from_secs(1)).await;
                        continue;
                    }
                }
            }
        };
        lag.measure(shared, id, &plan.cursor);
        if let Some(at) = subscription.next_attempt_at
            && at > now
        {
            let wait = Duration::from_micros(u64::try_from(at - now).unwrap_or(0));
            // Read again after the wait: a replay or a resume may come meanwhile.
            shared.pause(wait.min(LEASE / 3)).await;
            continue;
        }
        if secret.is_none() {
            let looked_up = id.to_owned();
            secret = match shared
                .store(move |store| store.webhook_secret(&looked_up))
                .await
            {
                Ok(Some(secret)) => Some(secret),
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%error, webhook = id, "could not read a webhook secret");
                    shared.pause(Duration::from_secs(1)).await;
                    continue;
                }
            };
        }
        let Some(key) = &secret else { continue };
        match step(shared, &subscription, &mut plan, key).await {
            Ok(Next::Go) => known = Some((subscription, plan)),
            // Everything is written before a wait; read again after it, as a replay may
            // come meanwhile.
            Ok(Next::Wait) => shared.pause(TICK).await,
            Ok(Next::Reread) => {}
            Err(StoreError::CursorExpired { resume }) => {
                let reason = format!(
                    "the change feed no longer holds the changes after this subscription's \
                     cursor; copy every customer again, then replay from `{resume}`"
                );
                let (holder, paused) = (shared.holder.clone(), id.to_owned());
                let now = Timestamp::now().micros();
                let _ = shared
                    .store(move |store| store.pause_webhook(&paused, &holder, &reason, now))
                    .await;
                break;
            }
            Err(StoreError::CursorForked { resume }) => {
                // A failover forked the feed's history after this cursor: deliver again from
                // the fork point (some changes twice, which at-least-once allows; none
                // skipped).
                tracing::warn!(
                    webhook = id,
                    %resume,
                    "the change feed's history forked at a failover; delivering again from \
                     the fork point"
                );
                let replayed = id.to_owned();
                if let Err(error) = shared
                    .store(move |store| store.replay_webhook(&replayed, &resume))
                    .await
                {
                    tracing::warn!(%error, webhook = id, "could not move a webhook's cursor");
                    shared.pause(Duration::from_secs(1)).await;
                }
            }
            Err(error) => {
                tracing::warn!(%error, webhook = id, "could not read the change feed");
                shared.pause(Duration::from_secs(1)).await;
            }
        }
    }
    // Stopping: what the receiver took is written, so the next holder does not send it again.
    if let Some((_, mut plan)) = known
        && plan.unwritten()
    {
        write(shared, id, &mut plan).await;
    }
    lag.stop(shared, id).await;
}

/// One step of delivery: records the next batches when none is left to send (or writes
/// what is overdue), then sends the first.
async fn step(
    shared: &Arc<Shared>,
    subscription: &Webhook,
    plan: &mut Plan,
    secret: &[u8],
) -> Result<Next, StoreError> {
    let id = subscription.id.as_str();
    let size = shared.options.batch_size.max(1);
    if plan.batches.is_empty() {
        plan.ahead.follow(&plan.cursor.clone());
        fill(shared, &mut plan.ahead, size * READ_AHEAD).await?;
        if !plan.cut(size) {
            // Nothing after the cursor: write what is not written yet, then wait.
            if plan.unwritten() && !write(shared, id, plan).await {
                return Ok(Next::Reread);
            }
            return Ok(Next::Wait);
        }
        if !write(shared, id, plan).await {
            return Ok(Next::Reread);
        }
    } else if plan.overdue() && !write(shared, id, plan).await {
        return Ok(Next::Reread);
    }
    let Some(batch) = plan.batches.front().cloned() else {
        return Ok(Next::Go);
    };
    let filter = Filter::of(subscription);
    let items = match plan.prepared.take() {
        Some((message_id, items)) if message_id == batch.message_id => items,
        _ => {
            let rows = match plan.take_rows(0, &filter) {
                Some(rows) => rows,
                None => read_rows(shared, plan, &batch, &filter).await?,
            };
            current_items(shared, rows).await?
        }
    };
    if items.is_empty() {
        plan.passed();
        return Ok(Next::Go);
    }
    // While the receiver reads this batch, read the rows that follow, and the customers of
    // the next batch when its rows are at hand.
    let next = plan
        .batches
        .get(1)
        .map(|next| next.message_id.clone())
        .zip(plan.take_rows(1, &filter));
    let (sent, read, prepared) = tokio::join!(
        send(shared, subscription, secret, &batch.message_id, &items),
        fill(shared, &mut plan.ahead, size * READ_AHEAD / 2),
        async {
            match next {
                Some((message_id, rows)) => current_items(shared, rows)
                    .await
                    .ok()
                    .map(|items| (message_id, items)),
                None => None,
            }
        },
    );
    if read.is_err() {
        // The batch goes on from the cursor, where the error (a fork, an expired cursor)
        // is dealt with.
        plan.ahead.clear();
    }
    if prepared.is_none() && plan.ahead.after.as_deref() != Some(batch.end.as_str()) {
        // The next batch's rows were taken but its customers not read: read it again.
        plan.ahead.clear();
    }
    plan.prepared = prepared;
    match sent {
        Sent::Taken(delivery) => {
            plan.taken(delivery);
            Ok(Next::Go)
        }
        Sent::Failed(delivery, outcome) => {
            let failing = Webhook {
                attempts: plan.attempts,
                failing_since: plan.failing_since,
                ..subscription.clone()
            };
            let after = after_failure(&shared.options, &failing, &outcome, delivery.at);
            shared.metrics.observe_webhook_delivery(match after {
                AfterFailure::Pause(_) => "paused",
                AfterFailure::RetryAt(_) => "retried",
            });
            if let AfterFailure::Pause(reason) = &after {
                tracing::warn!(webhook = id, %reason, "webhook subscription paused");
            }
            let progress = plan.progress(id, &shared.holder);
            let recorded = shared
                .store(move |store| store.fail_webhook_batch(&progress, &delivery, &after))
                .await;
            if let Err(error) = recorded {
                tracing::warn!(%error, webhook = id, "could not record a failed webhook delivery");
            }
            Ok(Next::Reread)
        }
    }
}

/// The items of `rows` with their customers as they are now: an upsert of a customer erased
/// since is gone from the feed (the erasure removed it), and from the batch.
async fn current_items(
    shared: &Arc<Shared>,
    rows: Vec<Change>,
) -> Result<Vec<ChangeItem>, StoreError> {
    let changes = if rows.is_empty() {
        rows
    } else {
        shared
            .store(move |store| store.with_customers(rows))
            .await?
    };
    Ok(changes
        .into_iter()
        .filter(|change| change.op == ChangeOp::Delete || change.customer.is_some())
        .map(ChangeItem::from)
        .collect())
}

/// The rows of the first recorded batch read from the feed (the rows read ahead do not hold
/// them: after a restart, say): those after the cursor up to the batch's end that the
/// subscription sends. The rows read ahead follow the batch from then on.
async fn read_rows(
    shared: &Arc<Shared>,
    plan: &mut Plan,
    batch: &NextBatch,
    filter: &Filter,
) -> Result<Vec<Change>, StoreError> {
    let corrupt = |error: clientela_store::BadCursor| StoreError::Corrupt {
        code: "webhook cursor".into(),
        detail: error.to_string(),
    };
    let after: Cursor = plan.cursor.parse().map_err(corrupt)?;
    let end: Cursor = batch.end.parse().map_err(corrupt)?;
    let limit = shared.options.batch_size.max(1);
    let mut rows = shared
        .store(move |store| store.change_rows(Some(after), limit))
        .await?;
    rows.retain(|change| change.cursor.at_or_before(end) && filter.sends(change));
    plan.ahead.follow(&batch.end);
    Ok(rows)
}

/// Reads more rows after those held when fewer than `wanted` are: up to [`READ_AHEAD`]
/// batches' worth.
async fn fill(
    shared: &Arc<Shared>,
    ahead: &mut ReadAhead,
    wanted: usize,
) -> Result<(), StoreError> {
    if ahead.rows.len() >= wanted.max(1) {
        return Ok(());
    }
    let Some(from) = ahead.read_from() else {
        return Ok(());
    };
    let limit = shared.options.batch_size.max(1) * READ_AHEAD;
    let rows = shared
        .store(move |store| store.change_rows(Some(from), limit))
        .await?;
    ahead.rows.extend(rows);
    Ok(())
}

/// Writes the plan's progress (see `plan.rs`, "Writes"); whether it applied (if not, the
/// subscription moved meanwhile or the write failed: read it again).
async fn write(shared: &Arc<Shared>, id: &str, plan: &mut Plan) -> bool {
    let progress = plan.progress(id, &shared.holder);
    let written = progress.clone();
    match shared
        .store(move |store| store.advance_webhook(&written))
        .await
    {
        Ok(true) => {
            plan.written(&progress);
            true
        }
        Ok(false) => false,
        Err(error) => {
            tracing::warn!(%error, webhook = id, "could not move a webhook's cursor");
            shared.pause(Duration::from_secs(1)).await;
            false
        }
    }
}

/// What became of a batch sent.
enum Sent {
    /// The receiver answered 2xx: its log entry.
    Taken(Delivery),
    /// It did not: the log entry of the attempt, and what happened.
    Failed(Delivery, Outcome),
}

/// The body of a batch: `{"items": [...]}`, written straight from the items.
#[derive(serde::Serialize)]
struct Body<'a> {
    items: &'a [ChangeItem],
}

/// Sends a batch (recorded already) signed.
async fn send(
    shared: &Arc<Shared>,
    subscription: &Webhook,
    secret: &[u8],
    message_id: &str,
    items: &[ChangeItem],
) -> Sent {
    let body = serde_json::to_vec(&Body { items }).unwrap_or_else(|_| b"{\"items\":[]}".to_vec());
    let sent_at = Timestamp::now();
    let started = Instant::now();
    let outcome = post(
        &shared.client,
        &shared.options,
        subscription,
        message_id,
        secret,
        body,
    )
    .await;
    let delivery = Delivery {
        webhook_id: subscription.id.clone(),
        at: sent_at.micros(),
        message_id: message_id.to_owned(),
        items: i32::try_from(items.len()).unwrap_or(i32::MAX),
        status: outcome.status.map(i32::from),
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        error: outcome.error.clone(),
    };
    if outcome.delivered() {
        shared.metrics.observe_webhook_delivery("delivered");
        Sent::Taken(delivery)
    } else {
        Sent::Failed(delivery, outcome)
    }
}

/// How often a delivering task measures its subscription's lag.
const LAG_EVERY: Duration = Duration::from_secs(1);

/// The most lag counted, in changes.
const LAG_CAP: i64 = 100_000;

/// Measures a subscription's lag every [`LAG_EVERY`], beside delivery, never in its way
/// (counting a long lag takes a while).
#[derive(Default)]
struct LagMeter {
    measured: Option<Instant>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl LagMeter {
    fn measure(&mut self, shared: &Arc<Shared>, id: &str, cursor: &str) {
        if self.measured.is_none_or(|at| at.elapsed() >= LAG_EVERY)
            && self
                .task
                .as_ref()
                .is_none_or(tokio::task::JoinHandle::is_finished)
        {
            self.measured = Some(Instant::now());
            self.task = Some(tokio::spawn(measure_lag(
                shared.clone(),
                id.to_owned(),
                cursor.to_owned(),
            )));
        }
    }

    async fn stop(self, shared: &Shared, id: &str) {
        if let Some(task) = self.task {
            task.abort();
            let _ = task.await;
        }
        shared.metrics.forget_webhook_lag(id);
    }
}

/// Sets the subscription's lag gauges: changes not sent yet after `cursor`, and the oldest
/// one's age.
async fn measure_lag(shared: Arc<Shared>, id: String, cursor: String) {
    let Ok(after) = cursor.parse::<Cursor>() else {
        return;
    };
    if let Ok(lag) = shared
        .store(move |store| store.changes_behind(after, LAG_CAP))
        .await
    {
        let now = Timestamp::now().micros();
        let seconds = lag
            .oldest_at
            .map_or(0.0, |at| (now - at.micros()).max(0) as f64 / 1e6);
        shared
            .metrics
            .set_webhook_lag(&id, u64::try_from(lag.changes).unwrap_or(0), seconds);
    }
}
