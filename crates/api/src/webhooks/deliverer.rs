//! The deliverer: one per server process, on a thread and a small runtime of its own, so a
//! slow receiver never takes a worker that answers requests.
//!
//! Every [`TICK`] (and whenever this replica commits a change) it looks for active
//! subscriptions it is not delivering yet and tries to take their lease; for each one it
//! holds, a task runs [`deliver`]: read the feed after the subscription's cursor, keep what
//! the subscription wants, record the batch, send it signed, then move the cursor (2xx) or
//! schedule the retry. Every write of that state is conditional on the lease, which the task
//! renews before each step and gives up when it stops.
//!
//! # Keeping up
//! One batch is in flight per subscription, so what a batch costs besides its request is
//! what bounds delivery. While a batch is in flight the task reads the feed's next rows
//! ahead ([`ReadAhead`], up to [`READ_AHEAD`] batches, rows only); once the receiver took
//! it, one write moves the cursor and records the next batch while, at the same time, the
//! next batch's customers are read; then it is sent. After a write it made itself the task
//! knows the subscription's state, and reads it again only after anything else (a failure,
//! a wait, a write that did not apply: a replay or a removal meanwhile).

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use clientela_core::Timestamp;
use clientela_store::{
    AfterFailure, Change, ChangeOp, Cursor, Delivery, NextBatch, Store, StoreError, Webhook,
};
use tokio::sync::watch;

use super::attempt::{after_failure, client, micros, post};
use super::filter::Filter;
use super::{LEASE, WebhookOptions, new_id};
use crate::feed::{ChangeItem, FeedSignal};
use crate::metrics::Metrics;

/// How often the deliverer looks for subscriptions to take, and a task with nothing to send
/// looks for changes other replicas committed.
pub const TICK: Duration = Duration::from_millis(250);

/// How many batches' worth of feed rows a task reads ahead at most.
pub const READ_AHEAD: usize = 10;

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
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            // Four for its store calls, and as many again for calls abandoned on a server
            // that stopped answering.
            .max_blocking_threads(4 * clientela_store::SPARE_FACTOR as usize)
            .thread_name("webhooks")
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("webhooks".into())
            .spawn(move || runtime.block_on(supervise(shared)))?;
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

/// What to do with a subscription next.
enum Step {
    /// Nothing new after the cursor.
    Wait,
    /// Changes after the cursor, none of which the subscription sends: move past them.
    Skip(String),
    /// A batch to send.
    Send(Batch),
}

struct Batch {
    message_id: String,
    /// The cursor of the last change the batch covers (sent or not).
    end: String,
    items: Vec<ChangeItem>,
    /// Whether it is new (else it was recorded already, by this replica or another).
    new: bool,
}

/// Delivers one subscription for as long as this replica holds its lease.
async fn deliver(shared: &Arc<Shared>, id: &str) {
    // Until when this replica holds the lease, as far as it knows: renewed once a third of
    // it has passed, not on every step, so an idle subscription costs a write every few
    // seconds, not four a second.
    let mut held_until = 0;
    let mut lag_measured: Option<Instant> = None;
    let mut lag_task: Option<tokio::task::JoinHandle<()>> = None;
    // The batch recorded as in flight by the last finish, sent without reading it again.
    let mut carried: Option<Batch> = None;
    // The subscription as the last finish left it, used instead of reading it again.
    let mut known: Option<Webhook> = None;
    let mut ahead = ReadAhead::default();
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
        let subscription = match known.take() {
            Some(subscription) => subscription,
            None => {
                let wanted = id.to_owned();
                match shared.store(move |store| store.webhook(&wanted)).await {
                    Ok(Some(subscription)) if subscription.paused_reason.is_none() => subscription,
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(%error, webhook = id, "could not read a webhook subscription");
                        shared.pause(Duration::from_secs(1)).await;
                        continue;
                    }
                }
            }
        };
        // Measured beside delivery, never in its way (counting a long lag takes a while).
        if lag_measured.is_none_or(|at| at.elapsed() >= LAG_EVERY)
            && lag_task
                .as_ref()
                .is_none_or(tokio::task::JoinHandle::is_finished)
        {
            lag_measured = Some(Instant::now());
            lag_task = Some(tokio::spawn(measure_lag(
                shared.clone(),
                subscription.clone(),
            )));
        }
        if let Some(at) = subscription.next_attempt_at
            && at > now
        {
            let wait = Duration::from_micros(u64::try_from(at - now).unwrap_or(0));
            shared.pause(wait.min(LEASE / 3)).await;
            continue;
        }
        let step = match carried.take() {
            Some(batch) if subscription.batch_id.as_deref() == Some(batch.message_id.as_str()) => {
                Ok(Step::Send(batch))
            }
            _ => {
                ahead.clear();
                next_step(shared, &subscription).await
            }
        };
        match step {
            Ok(Step::Wait) => shared.pause(TICK).await,
            Ok(Step::Skip(cursor)) => {
                let (holder, skipped) = (shared.holder.clone(), id.to_owned());
                if let Err(error) = shared
                    .store(move |store| store.skip_webhook_changes(&skipped, &holder, &cursor))
                    .await
                {
                    tracing::warn!(%error, webhook = id, "could not move a webhook's cursor");
                }
            }
            Ok(Step::Send(batch)) => {
                if batch.new && !record(shared, &subscription, &batch).await {
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
                // While the receiver reads this batch, read the rows that follow it.
                ahead.follow(&batch.end);
                let (delivery, ()) = tokio::join!(
                    send(shared, &subscription, key, &batch),
                    ahead.fill(shared, 2 * shared.options.batch_size.max(1)),
                );
                match delivery {
                    Some(delivery) => {
                        (carried, known) =
                            finish(shared, &subscription, &batch, delivery, &mut ahead).await;
                    }
                    None => ahead.clear(),
                }
            }
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
    if let Some(task) = lag_task {
        task.abort();
        let _ = task.await;
    }
    shared.metrics.forget_webhook_lag(id);
}

/// How often a delivering task measures its subscription's lag.
const LAG_EVERY: Duration = Duration::from_secs(1);

/// The most lag counted, in changes.
const LAG_CAP: i64 = 100_000;

/// Sets the subscription's lag gauges: changes not sent yet, and the oldest one's age.
async fn measure_lag(shared: Arc<Shared>, subscription: Webhook) {
    let Ok(after) = subscription.cursor.parse::<Cursor>() else {
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
        shared.metrics.set_webhook_lag(
            &subscription.id,
            u64::try_from(lag.changes).unwrap_or(0),
            seconds,
        );
    }
}

/// Reads what follows the subscription's cursor: the batch in flight again, or the next one.
async fn next_step(shared: &Arc<Shared>, subscription: &Webhook) -> Result<Step, StoreError> {
    let filter = Filter::of(subscription);
    let (Some(message_id), Some(end)) = (&subscription.batch_id, &subscription.batch_end) else {
        return read_after(shared, &filter, &subscription.id, &subscription.cursor).await;
    };
    // The batch in flight, as the feed holds it now (an erased customer's items are gone).
    let page = read_page(shared, &subscription.id, &subscription.cursor).await?;
    let end_cursor: Option<Cursor> = end.parse().ok();
    let items: Vec<ChangeItem> = page
        .into_iter()
        .filter(|change| end_cursor.is_none_or(|end| change.cursor.at_or_before(end)))
        .filter(|change| filter.sends(change))
        .map(ChangeItem::from)
        .collect();
    if items.is_empty() {
        // Everything it held was erased since: nothing is left to send.
        return Ok(Step::Skip(end.clone()));
    }
    Ok(Step::Send(Batch {
        message_id: message_id.clone(),
        end: end.clone(),
        items,
        new: false,
    }))
}

/// The next batch after `cursor`: what the subscription sends of one page of the feed.
async fn read_after(
    shared: &Arc<Shared>,
    filter: &Filter,
    id: &str,
    cursor: &str,
) -> Result<Step, StoreError> {
    let page = read_page(shared, id, cursor).await?;
    let Some(last) = page.last() else {
        return Ok(Step::Wait);
    };
    let end = last.cursor.to_string();
    let items: Vec<ChangeItem> = page
        .into_iter()
        .filter(|change| filter.sends(change))
        .map(ChangeItem::from)
        .collect();
    if items.is_empty() {
        return Ok(Step::Skip(end));
    }
    Ok(Step::Send(Batch {
        message_id: new_id("msg"),
        end,
        items,
        new: true,
    }))
}

/// One page of the feed (`webhooks.batch_size` changes) after `cursor`.
async fn read_page(
    shared: &Arc<Shared>,
    id: &str,
    cursor: &str,
) -> Result<Vec<Change>, StoreError> {
    let after: Cursor = cursor
        .parse()
        .map_err(|error: clientela_store::BadCursor| StoreError::Corrupt {
            code: format!("webhook {id}"),
            detail: error.to_string(),
        })?;
    let limit = shared.options.batch_size.max(1);
    shared
        .store(move |store| store.changes(Some(after), limit))
        .await
}

/// Sends a batch in flight (recorded as such already) and records a failure; returns the
/// log entry of a delivery the receiver took, for the caller to finish it.
async fn send(
    shared: &Arc<Shared>,
    subscription: &Webhook,
    secret: &[u8],
    batch: &Batch,
) -> Option<Delivery> {
    let id = subscription.id.clone();
    let count = batch.items.len();
    let body = serde_json::to_vec(&serde_json::json!({ "items": batch.items }))
        .unwrap_or_else(|_| b"{\"items\":[]}".to_vec());
    let sent_at = Timestamp::now();
    let started = Instant::now();
    let outcome = post(
        &shared.client,
        &shared.options,
        subscription,
        &batch.message_id,
        secret,
        body,
    )
    .await;
    let delivery = Delivery {
        webhook_id: id.clone(),
        at: sent_at.micros(),
        message_id: batch.message_id.clone(),
        items: i32::try_from(count).unwrap_or(i32::MAX),
        status: outcome.status.map(i32::from),
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        error: outcome.error.clone(),
    };
    if outcome.delivered() {
        shared.metrics.observe_webhook_delivery("delivered");
        return Some(delivery);
    }
    let after = after_failure(&shared.options, subscription, &outcome, sent_at.micros());
    shared.metrics.observe_webhook_delivery(match after {
        AfterFailure::Pause(_) => "paused",
        AfterFailure::RetryAt(_) => "retried",
    });
    if let AfterFailure::Pause(reason) = &after {
        tracing::warn!(webhook = %id, %reason, "webhook subscription paused");
    }
    let holder = shared.holder.clone();
    let recorded = shared
        .store(move |store| store.fail_webhook_batch(&holder, &delivery, &after))
        .await;
    if let Err(error) = recorded {
        tracing::warn!(%error, webhook = %id, "could not record a failed webhook delivery");
    }
    None
}

/// After a delivery the receiver took: takes the next batch from the rows read ahead (reading
/// more first when they are short of one), then in one write moves the cursor past the
/// delivered batch and records the next as in flight, while the next batch's customers are
/// read. Returns the next batch when it is recorded and holds something to send (the caller
/// sends it at once), and the subscription as the write left it when it applied.
async fn finish(
    shared: &Arc<Shared>,
    subscription: &Webhook,
    delivered: &Batch,
    delivery: Delivery,
    ahead: &mut ReadAhead,
) -> (Option<Batch>, Option<Webhook>) {
    let size = shared.options.batch_size.max(1);
    ahead.follow(&delivered.end);
    ahead.fill(shared, size).await;
    let filter = Filter::of(subscription);
    let next = ahead.take(size, &filter);
    let recorded = next.as_ref().map(|(end, _)| NextBatch {
        message_id: new_id("msg"),
        end: end.clone(),
    });
    let rows = next.map(|(_, rows)| rows).unwrap_or_default();
    let holder = shared.holder.clone();
    let written = recorded.clone();
    let last_success_at = delivery.at;
    let (finished, rows) = tokio::join!(
        shared.store(move |store| store.finish_webhook_batch(&holder, &delivery, written.as_ref())),
        shared.store(move |store| store.with_customers(rows)),
    );
    match finished {
        Ok(true) => {}
        Ok(false) => {
            ahead.clear();
            return (None, None);
        }
        Err(error) => {
            tracing::warn!(%error, webhook = %subscription.id, "could not move a webhook's cursor");
            ahead.clear();
            return (None, None);
        }
    }
    let known = Webhook {
        cursor: delivered.end.clone(),
        batch_id: recorded.as_ref().map(|next| next.message_id.clone()),
        batch_end: recorded.as_ref().map(|next| next.end.clone()),
        attempts: 0,
        failing_since: None,
        next_attempt_at: None,
        last_success_at: Some(last_success_at),
        ..subscription.clone()
    };
    // The customers as they are now; an upsert of a customer erased since is gone from the
    // feed (the erasure removed it), and from the batch. A batch left empty, or whose
    // customers could not be read, is sent (or skipped) the long way, from the feed.
    let carried = match (recorded, rows) {
        (Some(next), Ok(rows)) => {
            let items: Vec<ChangeItem> = rows
                .into_iter()
                .filter(|change| change.op == ChangeOp::Delete || change.customer.is_some())
                .map(ChangeItem::from)
                .collect();
            (!items.is_empty()).then(|| Batch {
                message_id: next.message_id,
                end: next.end,
                items,
                new: false,
            })
        }
        _ => None,
    };
    (carried, Some(known))
}

/// Feed rows read ahead of the batch in flight: those after `after`, in feed order, none in
/// a batch yet, their customers not read (that is done when their batch is sent).
#[derive(Default)]
struct ReadAhead {
    /// The cursor the rows follow: the end of the batch in flight (`None`: nothing read).
    after: Option<String>,
    rows: VecDeque<Change>,
}

impl ReadAhead {
    fn clear(&mut self) {
        self.after = None;
        self.rows.clear();
    }

    /// Makes these the rows after `end` (a batch about to be sent, or just delivered):
    /// kept when they are, dropped when they follow anything else.
    fn follow(&mut self, end: &str) {
        if self.after.as_deref() != Some(end) {
            self.rows.clear();
            self.after = Some(end.to_owned());
        }
    }

    /// Reads more rows when fewer than `wanted` are held: up to [`READ_AHEAD`] batches'
    /// worth. A failure drops what was read ahead: the batch in flight goes on from the
    /// subscription's cursor, where the error (a fork, an expired cursor) is dealt with.
    async fn fill(&mut self, shared: &Arc<Shared>, wanted: usize) {
        if self.rows.len() >= wanted {
            return;
        }
        let Some(from) = self.rows.back().map(|row| row.cursor).or_else(|| {
            self.after
                .as_deref()
                .and_then(|after| after.parse::<Cursor>().ok())
        }) else {
            return;
        };
        let limit = shared.options.batch_size.max(1) * READ_AHEAD;
        match shared
            .store(move |store| store.change_rows(Some(from), limit))
            .await
        {
            Ok(rows) => self.rows.extend(rows),
            Err(_) => self.clear(),
        }
    }

    /// The next batch: up to `size` rows (those the subscription sends) and the cursor of
    /// the last; `None` when no row is held, or none of the next `size` is sent (those are
    /// skipped the long way).
    fn take(&mut self, size: usize, filter: &Filter) -> Option<(String, Vec<Change>)> {
        let count = size.min(self.rows.len());
        let end = self.rows.get(count.checked_sub(1)?)?.cursor.to_string();
        let rows: Vec<Change> = self
            .rows
            .drain(..count)
            .filter(|change| filter.sends(change))
            .collect();
        if rows.is_empty() {
            self.clear();
            return None;
        }
        self.after = Some(end.clone());
        Some((end, rows))
    }
}

/// Records a new batch as in flight before it is sent; whether this replica still holds the
/// lease (if not, it sends nothing).
async fn record(shared: &Arc<Shared>, subscription: &Webhook, batch: &Batch) -> bool {
    let (holder, id, message_id, end) = (
        shared.holder.clone(),
        subscription.id.clone(),
        batch.message_id.clone(),
        batch.end.clone(),
    );
    match shared
        .store(move |store| store.start_webhook_batch(&id, &holder, &message_id, &end))
        .await
    {
        Ok(recorded) => recorded,
        Err(error) => {
            tracing::warn!(%error, webhook = %subscription.id, "could not record a webhook batch");
            shared.pause(Duration::from_secs(1)).await;
            false
        }
    }
}
