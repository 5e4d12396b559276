//! Webhook subscriptions as stored: what each sends where, its cursor into the change feed,
//! the batch in flight, its failures, the replica delivering it, and its latest deliveries.
//! How they are delivered is the API's (`clientela_api::webhooks`); this module keeps the
//! state every replica shares, and its writes are the ones that make delivery safe:
//!
//! - **One deliverer per subscription.** A replica delivers a subscription only while it
//!   holds its lease ([`Store::take_webhook_lease`]): taken when free or expired, renewed by
//!   its holder, taken over by another replica once it expires (its holder died). Every
//!   write of delivery state is conditional on holding the lease, so a replica that lost it
//!   (paused too long) can no longer move the cursor.
//! - **At least once, in order.** A batch is recorded (its message id and the cursor of its
//!   last change) before it is sent, and the cursor moves past it only once it was answered
//!   2xx ([`Store::advance_webhook`]): after a crash the next holder sends the recorded
//!   batches again, under the same message ids. One write records several batches to send
//!   next (the first in flight, the rest `queued`) and moves the cursor past all those the
//!   receiver took since the last write, so a deliverer keeping up writes once every few
//!   batches, not twice per batch.
//! - **Secrets the database alone cannot use.** A signing secret is stored encrypted with a
//!   pad derived from the suppression secret, which is kept outside the database.
//!
//! Every write goes through the store's write transactions ([`WebhookWrite`], run by
//! `WriteSql::webhook_write`), so on SQLite it joins the group commit of the writes in
//! progress instead of waiting for the writer behind them, and on PostgreSQL it runs on a
//! connection of its own ([`crate::WEBHOOK_WRITE_CONNECTIONS`]) instead of waiting for one
//! of the writer pool behind the ingest writes holding them all: a deliverer keeps up with
//! ingest. Those writes touch only the webhook tables and take no customer's lock.

use diesel::prelude::*;
use rand::{Rng, RngCore};

use crate::Store;
use crate::error::StoreError;
use crate::schema::{webhook_deliveries, webhooks};
use crate::suppression_key::hex;

/// How many delivery attempts are kept per subscription.
pub const KEPT_DELIVERIES: i64 = 100;

/// A subscription as stored (its secret aside).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// `upsert`, `delete` or `upsert,delete`.
    pub events: String,
    /// A JSON array of field names, or `None` for every upsert.
    pub fields: Option<String>,
    pub created_at: i64,
    /// The feed cursor after which delivery goes on.
    pub cursor: String,
    pub paused_reason: Option<String>,
    pub paused_at: Option<i64>,
    /// The batch in flight: its message id and the cursor of its last change.
    pub batch_id: Option<String>,
    pub batch_end: Option<String>,
    pub attempts: i32,
    pub failing_since: Option<i64>,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_success_at: Option<i64>,
    pub lease_holder: Option<String>,
    pub lease_until: Option<i64>,
    /// The batches recorded to follow the one in flight, as stored: see
    /// [`Webhook::recorded_batches`].
    pub queued: Option<String>,
}

impl Webhook {
    /// The batches recorded to send next, in order: the one in flight, then those queued
    /// behind it. A queue that does not read (written by nothing but this crate) is taken
    /// as empty: those changes are then sent in new batches.
    pub fn recorded_batches(&self) -> Vec<NextBatch> {
        let (Some(message_id), Some(end)) = (&self.batch_id, &self.batch_end) else {
            return Vec::new();
        };
        let mut batches = vec![NextBatch {
            message_id: message_id.clone(),
            end: end.clone(),
        }];
        if let Some(queued) = &self.queued {
            let pairs: Vec<(String, String)> = serde_json::from_str(queued).unwrap_or_default();
            batches.extend(
                pairs
                    .into_iter()
                    .map(|(message_id, end)| NextBatch { message_id, end }),
            );
        }
        batches
    }
}

/// A new subscription.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub id: String,
    pub url: String,
    pub events: String,
    pub fields: Option<String>,
    /// Where delivery starts: after this feed cursor.
    pub cursor: String,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = webhooks)]
pub(crate) struct WebhookInsert<'a> {
    pub(crate) id: &'a str,
    pub(crate) url: &'a str,
    pub(crate) events: &'a str,
    pub(crate) fields: Option<&'a str>,
    pub(crate) secret: String,
    pub(crate) created_at: i64,
    pub(crate) cursor: &'a str,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub webhook_id: String,
    /// When it was sent, microseconds since the Unix epoch.
    pub at: i64,
    /// The `webhook-id` it carried.
    pub message_id: String,
    pub items: i32,
    /// The receiver's status; `None` when no answer came.
    pub status: Option<i32>,
    pub duration_ms: i64,
    pub error: Option<String>,
}

/// What happens to a subscription after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time (microseconds).
    RetryAt(i64),
    /// Stop until resumed, for this reason.
    Pause(String),
}

/// A batch recorded before it is sent: the `webhook-id` it carries on every attempt, and the
/// cursor of the last change it covers (after the end of the batch before it, or the cursor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextBatch {
    pub message_id: String,
    pub end: String,
}

/// Where a deliverer has got to, written in one go ([`Store::advance_webhook`],
/// [`Store::fail_webhook_batch`]) and only while nothing else moved the subscription: its
/// holder still holds the lease, and the cursor and batch in flight are still those the
/// deliverer last read or wrote (a replay, a skip past a forked history or a removal since
/// wins, and the deliverer reads the subscription again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub webhook_id: String,
    pub holder: String,
    /// The cursor and the message id of the batch in flight as stored now.
    pub stored_cursor: String,
    pub stored_batch: Option<String>,
    /// The cursor after every change the receiver took (or the subscription does not send).
    pub cursor: String,
    /// The log entries of the batches the receiver took since the last write, oldest first.
    pub delivered: Vec<Delivery>,
    /// The batches recorded to send next, in order: the first is in flight.
    pub next: Vec<NextBatch>,
}

impl Progress {
    /// The batches after the first, as the `queued` column holds them.
    pub(crate) fn queued(&self) -> Option<String> {
        let queued: Vec<(&str, &str)> = self
            .next
            .iter()
            .skip(1)
            .map(|batch| (batch.message_id.as_str(), batch.end.as_str()))
            .collect();
        (!queued.is_empty()).then(|| serde_json::to_string(&queued).unwrap_or_default())
    }

    /// Whether the batch in flight changes (its failures are then forgotten).
    pub fn new_batch_in_flight(&self) -> bool {
        self.next.first().map(|batch| batch.message_id.as_str()) != self.stored_batch.as_deref()
    }
}

/// A write of webhook state; each runs in a write transaction of its own (see the module
/// docs), and those of a deliverer only while `holder` holds the lease.
pub(crate) enum WebhookWrite<'a> {
    Create(WebhookInsert<'a>),
    Delete(&'a str),
    Replay {
        id: &'a str,
        cursor: &'a str,
    },
    Resume(&'a str),
    Lease {
        id: &'a str,
        holder: &'a str,
        now: i64,
        until: i64,
    },
    Release {
        id: &'a str,
        holder: &'a str,
    },
    Advance(&'a Progress),
    Fail {
        progress: &'a Progress,
        failed: &'a Delivery,
        after: &'a AfterFailure,
    },
    Pause {
        id: &'a str,
        holder: &'a str,
        reason: &'a str,
        now: i64,
    },
}

impl Store {
    fn webhook_write(&self, write: &WebhookWrite<'_>) -> Result<bool, StoreError> {
        let pool = self.webhook_writer.as_ref().unwrap_or(&self.writer);
        self.write_transaction_on(pool, &[], |sql| Ok(sql.webhook_write(write)?))
    }

    /// Stores a new subscription with a fresh signing secret; returns the secret (32 bytes),
    /// which is never readable again but through [`Store::webhook_secret`].
    pub fn create_webhook(&self, new: &NewWebhook) -> Result<[u8; 32], StoreError> {
        let mut secret = [0_u8; 32];
        rand::rng().fill_bytes(&mut secret);
        self.webhook_write(&WebhookWrite::Create(WebhookInsert {
            id: &new.id,
            url: &new.url,
            events: &new.events,
            fields: new.fields.as_deref(),
            secret: hex(&self.seal_webhook_secret(&new.id, &secret)),
            created_at: new.created_at,
            cursor: &new.cursor,
        }))?;
        Ok(secret)
    }

    /// Every subscription, oldest first.
    pub fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        Ok(webhooks::table
            .select(Webhook::as_select())
            .order((webhooks::created_at.asc(), webhooks::id.asc()))
            .load(&mut *self.readers.get()?)?)
    }

    pub fn webhook(&self, id: &str) -> Result<Option<Webhook>, StoreError> {
        Ok(webhooks::table
            .find(id)
            .select(Webhook::as_select())
            .first(&mut *self.readers.get()?)
            .optional()?)
    }

    /// The subscription's signing secret, decrypted.
    pub fn webhook_secret(&self, id: &str) -> Result<Option<[u8; 32]>, StoreError> {
        let stored: Option<String> = webhooks::table
            .find(id)
            .select(webhooks::secret)
            .first(&mut *self.readers.get()?)
            .optional()?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        let sealed = hex_decode(&stored).ok_or_else(|| StoreError::Corrupt {
            code: format!("webhook {id}"),
            detail: "its secret is not hexadecimal".into(),
        })?;
        Ok(Some(self.seal_webhook_secret(id, &sealed)))
    }

    /// Removes a subscription and its delivery log; whether it existed.
    pub fn delete_webhook(&self, id: &str) -> Result<bool, StoreError> {
        self.webhook_write(&WebhookWrite::Delete(id))
    }

    /// Delivery starts again after `cursor`, and a pause ends: the batch in flight (if any)
    /// is dropped and its failures forgotten. Whether the subscription exists.
    pub fn replay_webhook(&self, id: &str, cursor: &str) -> Result<bool, StoreError> {
        self.webhook_write(&WebhookWrite::Replay { id, cursor })
    }

    /// Ends a pause: delivery goes on where it stopped (the batch in flight first, under its
    /// message id). Whether the subscription exists.
    pub fn resume_webhook(&self, id: &str) -> Result<bool, StoreError> {
        self.webhook_write(&WebhookWrite::Resume(id))
    }

    /// Takes (or renews) the lease of a subscription for `holder` until `until`
    /// (microseconds), if it is free, expired at `now`, or `holder`'s already. Whether
    /// `holder` holds it now.
    pub fn take_webhook_lease(
        &self,
        id: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        self.webhook_write(&WebhookWrite::Lease {
            id,
            holder,
            now,
            until,
        })
    }

    /// Gives a lease up (a replica stopping), so another may take it at once.
    pub fn release_webhook_lease(&self, id: &str, holder: &str) -> Result<(), StoreError> {
        self.webhook_write(&WebhookWrite::Release { id, holder })?;
        Ok(())
    }

    /// Writes a deliverer's progress: the cursor past the batches the receiver took, their
    /// log entries, and the batches to send next (the first in flight). Whether it applied
    /// (see [`Progress`]); a new batch in flight starts with no failures.
    pub fn advance_webhook(&self, progress: &Progress) -> Result<bool, StoreError> {
        self.webhook_write(&WebhookWrite::Advance(progress))
    }

    /// The batch in flight (`progress.next`'s first) failed: the progress before it is
    /// written as by [`Store::advance_webhook`], the attempt is logged with its error, and
    /// delivery either waits to try again or pauses. Whether it applied.
    pub fn fail_webhook_batch(
        &self,
        progress: &Progress,
        failed: &Delivery,
        after: &AfterFailure,
    ) -> Result<bool, StoreError> {
        self.webhook_write(&WebhookWrite::Fail {
            progress,
            failed,
            after,
        })
    }

    /// Pauses a subscription for `reason` (the feed no longer holds its cursor, say), if
    /// `holder` holds its lease.
    pub fn pause_webhook(
        &self,
        id: &str,
        holder: &str,
        reason: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.webhook_write(&WebhookWrite::Pause {
            id,
            holder,
            reason,
            now,
        })
    }

    /// The latest delivery attempts of a subscription, newest first.
    pub fn webhook_deliveries(&self, id: &str, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        Ok(webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(id))
            .order(webhook_deliveries::id.desc())
            .limit(limit)
            .select(Delivery::as_select())
            .load(&mut *self.readers.get()?)?)
    }

    /// `secret` XOR a pad only this server's suppression secret gives for this id: sealing
    /// and opening are the same operation. The pad is an HMAC of the id (unique per
    /// subscription), so no two secrets share one.
    fn seal_webhook_secret(&self, id: &str, secret: &[u8]) -> [u8; 32] {
        let pad = self.suppression_key.derive(&format!("webhook-secret:{id}"));
        let mut sealed = [0_u8; 32];
        for (index, byte) in sealed.iter_mut().enumerate() {
            *byte = secret.get(index).copied().unwrap_or(0) ^ pad[index];
        }
        sealed
    }
}

/// Whether a write logging `entries` attempts also trims the subscription's log to its
/// newest [`KEPT_DELIVERIES`]: about one write in sixteen entries, so the log stays bounded
/// (near [`KEPT_DELIVERIES`] plus a few dozen) without a trim per write.
pub(crate) fn trims_log(entries: usize) -> bool {
    let entries = u32::try_from(entries).unwrap_or(u32::MAX).min(16);
    entries > 0 && rand::rng().random_ratio(entries, 16)
}

/// The body of `WriteSql::webhook_write`, the same diesel code for both backends (expanded
/// in each `WriteSql` impl, where the connection's type is known).
macro_rules! webhook_write_body {
    ($connection:expr, $write:expr) => {{
        use diesel::prelude::*;
        use $crate::schema::{webhook_deliveries, webhooks};
        use $crate::webhooks::{AfterFailure, WebhookWrite};
        let connection = $connection;
        let log =
            |connection: &mut _, entries: &[&$crate::webhooks::Delivery]| -> QueryResult<()> {
                let Some(first) = entries.first() else {
                    return Ok(());
                };
                let id = &first.webhook_id;
                diesel::insert_into(webhook_deliveries::table)
                    .values(
                        entries
                            .iter()
                            .map(|&entry| entry.clone())
                            .collect::<Vec<_>>(),
                    )
                    .execute(connection)?;
                if $crate::webhooks::trims_log(entries.len()) {
                    let oldest_kept: Option<i64> = webhook_deliveries::table
                        .filter(webhook_deliveries::webhook_id.eq(id))
                        .order(webhook_deliveries::id.desc())
                        .offset($crate::webhooks::KEPT_DELIVERIES - 1)
                        .select(webhook_deliveries::id)
                        .first(connection)
                        .optional()?;
                    if let Some(oldest_kept) = oldest_kept {
                        diesel::delete(
                            webhook_deliveries::table
                                .filter(webhook_deliveries::webhook_id.eq(id))
                                .filter(webhook_deliveries::id.lt(oldest_kept)),
                        )
                        .execute(connection)?;
                    }
                }
                Ok(())
            };
        // Moves the subscription to `progress` if nothing else moved it (see `Progress`);
        // then its row is this transaction's until it ends. Returns the failures of the
        // batch now in flight (none when it is new) and when it started failing.
        let advance = |connection: &mut _,
                       progress: &$crate::webhooks::Progress|
         -> QueryResult<Option<(i32, Option<i64>)>> {
            let first = progress.next.first();
            let target = webhooks::table
                .find(&progress.webhook_id)
                .filter(webhooks::lease_holder.eq(&progress.holder))
                .filter(webhooks::cursor.eq(&progress.stored_cursor));
            let values = (
                webhooks::cursor.eq(&progress.cursor),
                webhooks::batch_id.eq(first.map(|batch| batch.message_id.as_str())),
                webhooks::batch_end.eq(first.map(|batch| batch.end.as_str())),
                webhooks::queued.eq(progress.queued()),
            );
            let moved = match &progress.stored_batch {
                Some(stored) => diesel::update(target.filter(webhooks::batch_id.eq(stored)))
                    .set(values)
                    .execute(connection)?,
                None => diesel::update(target.filter(webhooks::batch_id.is_null()))
                    .set(values)
                    .execute(connection)?,
            };
            if moved == 0 {
                return Ok(None);
            }
            let mut failures: (i32, Option<i64>) = webhooks::table
                .find(&progress.webhook_id)
                .select((webhooks::attempts, webhooks::failing_since))
                .first(connection)?;
            let last_success = progress.delivered.last().map(|entry| entry.at);
            if progress.new_batch_in_flight() || last_success.is_some() {
                failures = (0, None);
                diesel::update(webhooks::table.find(&progress.webhook_id))
                    .set((
                        webhooks::attempts.eq(0),
                        webhooks::failing_since.eq(None::<i64>),
                        webhooks::next_attempt_at.eq(None::<i64>),
                    ))
                    .execute(connection)?;
            }
            if let Some(at) = last_success {
                diesel::update(webhooks::table.find(&progress.webhook_id))
                    .set(webhooks::last_success_at.eq(at))
                    .execute(connection)?;
            }
            Ok(Some(failures))
        };
        let changed: usize = match $write {
            WebhookWrite::Create(row) => diesel::insert_into(webhooks::table)
                .values(row)
                .execute(connection)?,
            WebhookWrite::Delete(id) => {
                diesel::delete(
                    webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(*id)),
                )
                .execute(connection)?;
                diesel::delete(webhooks::table.find(*id)).execute(connection)?
            }
            WebhookWrite::Replay { id, cursor } => diesel::update(webhooks::table.find(*id))
                .set((
                    webhooks::cursor.eq(*cursor),
                    webhooks::batch_id.eq(None::<String>),
                    webhooks::batch_end.eq(None::<String>),
                    webhooks::queued.eq(None::<String>),
                    webhooks::paused_reason.eq(None::<String>),
                    webhooks::paused_at.eq(None::<i64>),
                    webhooks::attempts.eq(0),
                    webhooks::failing_since.eq(None::<i64>),
                    webhooks::next_attempt_at.eq(None::<i64>),
                ))
                .execute(connection)?,
            WebhookWrite::Resume(id) => diesel::update(webhooks::table.find(*id))
                .set((
                    webhooks::paused_reason.eq(None::<String>),
                    webhooks::paused_at.eq(None::<i64>),
                    webhooks::attempts.eq(0),
                    webhooks::failing_since.eq(None::<i64>),
                    webhooks::next_attempt_at.eq(None::<i64>),
                ))
                .execute(connection)?,
            WebhookWrite::Lease {
                id,
                holder,
                now,
                until,
            } => diesel::update(webhooks::table.find(*id))
                .filter(
                    webhooks::lease_holder
                        .is_null()
                        .or(webhooks::lease_holder.eq(*holder))
                        .or(webhooks::lease_until.lt(*now)),
                )
                .set((
                    webhooks::lease_holder.eq(*holder),
                    webhooks::lease_until.eq(*until),
                ))
                .execute(connection)?,
            WebhookWrite::Release { id, holder } => diesel::update(webhooks::table.find(*id))
                .filter(webhooks::lease_holder.eq(*holder))
                .set((
                    webhooks::lease_holder.eq(None::<String>),
                    webhooks::lease_until.eq(None::<i64>),
                ))
                .execute(connection)?,
            WebhookWrite::Advance(progress) => match advance(connection, progress)? {
                None => 0,
                Some(_) => {
                    log(connection, &progress.delivered.iter().collect::<Vec<_>>())?;
                    1
                }
            },
            WebhookWrite::Fail {
                progress,
                failed,
                after,
            } => match advance(connection, progress)? {
                None => 0,
                Some((attempts, failing_since)) => {
                    let (next_attempt_at, paused_reason, paused_at) = match after {
                        AfterFailure::RetryAt(at) => (Some(*at), None, None),
                        AfterFailure::Pause(reason) => {
                            (None, Some(reason.as_str()), Some(failed.at))
                        }
                    };
                    diesel::update(webhooks::table.find(&progress.webhook_id))
                        .set((
                            webhooks::attempts.eq(attempts + 1),
                            webhooks::failing_since.eq(failing_since.unwrap_or(failed.at)),
                            webhooks::last_error.eq(&failed.error),
                            webhooks::next_attempt_at.eq(next_attempt_at),
                            webhooks::paused_reason.eq(paused_reason),
                            webhooks::paused_at.eq(paused_at),
                        ))
                        .execute(connection)?;
                    let mut entries: Vec<_> = progress.delivered.iter().collect();
                    entries.push(*failed);
                    log(connection, &entries)?;
                    1
                }
            },
            WebhookWrite::Pause {
                id,
                holder,
                reason,
                now,
            } => diesel::update(webhooks::table.find(*id))
                .filter(webhooks::lease_holder.eq(*holder))
                .set((
                    webhooks::paused_reason.eq(*reason),
                    webhooks::paused_at.eq(*now),
                    webhooks::last_error.eq(*reason),
                ))
                .execute(connection)?,
        };
        Ok(changed > 0)
    }};
}

pub(crate) use webhook_write_body;

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}
