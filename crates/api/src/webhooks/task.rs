//! One subscription's delivery: the loop a task runs for as long as its replica holds the
//! subscription's lease (started by the deliverer, `deliverer.rs`).
//!
//! # Keeping up
//! One batch is in flight per subscription, so what a batch costs besides its request is
//! what bounds delivery. While a batch is in flight the task reads the feed's next rows
//! ahead (rows only, up to [`READ_AHEAD`] batches); one write records up to that many
//! batches and moves the cursor past those taken before (`plan.rs`, "Writes"), so most
//! batches cost their customers' read and their request, nothing else. After a write it
//! made itself the task knows the subscription's state, and reads it again only after
//! anything else (a failure, a write that did not apply: a replay or a removal meanwhile).

use std::sync::Arc;
use std::time::{Duration, Instant};

use clientela_core::Timestamp;
use clientela_store::{
    AfterFailure, Change, ChangeOp, Cursor, Delivery, NextBatch, StoreError, Webhook,
};

use super::LEASE;
use super::attempt::{Outcome, after_failure, micros, post};
use super::filter::Filter;
use super::plan::{Plan, READ_AHEAD, ReadAhead};
use super::shared::{Shared, TICK};
use crate::feed::ChangeItem;

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
pub(super) async fn deliver(shared: &Arc<Shared>, id: &str) {
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
        plan.ahead.follow(&plan.cursor);
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

/// The most lag counted, in changes, every [`LAG_EVERY`]: counting costs the database a row
/// per change behind (a hundred thousand took tens of milliseconds a second from ingest
/// while a subscription was seconds behind); the lag in seconds is exact whatever the cap.
const LAG_CAP: i64 = 10_000;

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
