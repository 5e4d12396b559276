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
//! - **At least once, in order.** The cursor moves only once a batch was answered 2xx
//!   ([`Store::finish_webhook_batch`]). A batch is recorded before it is sent
//!   ([`Store::start_webhook_batch`]): after a crash the next holder sends the same changes
//!   again, under the same message id.
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

/// The next batch, recorded as in flight in the same write that finishes the one before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextBatch {
    pub message_id: String,
    pub end: String,
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
    Start {
        id: &'a str,
        holder: &'a str,
        message_id: &'a str,
        end: &'a str,
    },
    Skip {
        id: &'a str,
        holder: &'a str,
        cursor: &'a str,
    },
    Finish {
        holder: &'a str,
        delivery: &'a Delivery,
        next: Option<&'a NextBatch>,
    },
    Fail {
        holder: &'a str,
        delivery: &'a Delivery,
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

    /// Records the batch about to be sent (its message id and last cursor), if `holder`
    /// still holds the lease. Whether it does.
    pub fn start_webhook_batch(
        &self,
        id: &str,
        holder: &str,
        message_id: &str,
        end: &str,
    ) -> Result<bool, StoreError> {
        self.webhook_write(&WebhookWrite::Start {
            id,
            holder,
            message_id,
            end,
        })
    }

    /// Moves the cursor past changes none of which the subscription sends (the batch in
    /// flight, if any, with them: nothing of it is left to send), if `holder` still holds
    /// the lease. Whether it does.
    pub fn skip_webhook_changes(
        &self,
        id: &str,
        holder: &str,
        cursor: &str,
    ) -> Result<bool, StoreError> {
        self.webhook_write(&WebhookWrite::Skip { id, holder, cursor })
    }

    /// The receiver took the batch in flight: the cursor moves to its end, its failures are
    /// forgotten, the attempt is logged, and `next` (if any) is recorded as the batch now in
    /// flight. Whether `holder` still held the lease and the batch was still the one in
    /// flight (if not, nothing changes: it was replayed, or another replica sends it again).
    pub fn finish_webhook_batch(
        &self,
        holder: &str,
        delivery: &Delivery,
        next: Option<&NextBatch>,
    ) -> Result<bool, StoreError> {
        self.webhook_write(&WebhookWrite::Finish {
            holder,
            delivery,
            next,
        })
    }

    /// The batch in flight failed: the attempt is logged with its error, and delivery
    /// either waits to try again or pauses. Whether `holder` still held the lease.
    pub fn fail_webhook_batch(
        &self,
        holder: &str,
        delivery: &Delivery,
        after: &AfterFailure,
    ) -> Result<bool, StoreError> {
        self.webhook_write(&WebhookWrite::Fail {
            holder,
            delivery,
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

/// Whether this attempt's log entry also trims the subscription's log to its newest
/// [`KEPT_DELIVERIES`]: one in sixteen, so the log stays bounded without a trim per batch.
pub(crate) fn trims_log() -> bool {
    rand::rng().random_ratio(1, 16)
}

/// The body of `WriteSql::webhook_write`, the same diesel code for both backends (expanded
/// in each `WriteSql` impl, where the connection's type is known).
macro_rules! webhook_write_body {
    ($connection:expr, $write:expr) => {{
        use diesel::prelude::*;
        use $crate::schema::{webhook_deliveries, webhooks};
        use $crate::webhooks::{AfterFailure, WebhookWrite};
        let connection = $connection;
        let log = |connection: &mut _, delivery: &$crate::webhooks::Delivery| -> QueryResult<()> {
            diesel::insert_into(webhook_deliveries::table)
                .values(delivery)
                .execute(connection)?;
            if $crate::webhooks::trims_log() {
                let oldest_kept: Option<i64> = webhook_deliveries::table
                    .filter(webhook_deliveries::webhook_id.eq(&delivery.webhook_id))
                    .order(webhook_deliveries::id.desc())
                    .offset($crate::webhooks::KEPT_DELIVERIES - 1)
                    .select(webhook_deliveries::id)
                    .first(connection)
                    .optional()?;
                if let Some(oldest_kept) = oldest_kept {
                    diesel::delete(
                        webhook_deliveries::table
                            .filter(webhook_deliveries::webhook_id.eq(&delivery.webhook_id))
                            .filter(webhook_deliveries::id.lt(oldest_kept)),
                    )
                    .execute(connection)?;
                }
            }
            Ok(())
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
            WebhookWrite::Start {
                id,
                holder,
                message_id,
                end,
            } => diesel::update(webhooks::table.find(*id))
                .filter(webhooks::lease_holder.eq(*holder))
                .set((
                    webhooks::batch_id.eq(*message_id),
                    webhooks::batch_end.eq(*end),
                ))
                .execute(connection)?,
            WebhookWrite::Skip { id, holder, cursor } => diesel::update(webhooks::table.find(*id))
                .filter(webhooks::lease_holder.eq(*holder))
                .set((
                    webhooks::cursor.eq(*cursor),
                    webhooks::batch_id.eq(None::<String>),
                    webhooks::batch_end.eq(None::<String>),
                    webhooks::attempts.eq(0),
                    webhooks::failing_since.eq(None::<i64>),
                    webhooks::next_attempt_at.eq(None::<i64>),
                ))
                .execute(connection)?,
            WebhookWrite::Finish {
                holder,
                delivery,
                next,
            } => {
                let target = webhooks::table
                    .find(&delivery.webhook_id)
                    .filter(webhooks::lease_holder.eq(*holder))
                    .filter(webhooks::batch_id.eq(&delivery.message_id));
                let moved = diesel::update(target)
                    .set((
                        webhooks::cursor.eq(webhooks::batch_end.assume_not_null()),
                        webhooks::batch_id.eq(next.map(|next| next.message_id.as_str())),
                        webhooks::batch_end.eq(next.map(|next| next.end.as_str())),
                        webhooks::attempts.eq(0),
                        webhooks::failing_since.eq(None::<i64>),
                        webhooks::next_attempt_at.eq(None::<i64>),
                        webhooks::last_success_at.eq(delivery.at),
                    ))
                    .execute(connection)?;
                if moved > 0 {
                    log(connection, delivery)?;
                }
                moved
            }
            WebhookWrite::Fail {
                holder,
                delivery,
                after,
            } => {
                let held: Option<Option<i64>> = webhooks::table
                    .find(&delivery.webhook_id)
                    .filter(webhooks::lease_holder.eq(*holder))
                    .select(webhooks::failing_since)
                    .first(connection)
                    .optional()?;
                match held {
                    None => 0,
                    Some(failing_since) => {
                        let (next_attempt_at, paused_reason, paused_at) = match after {
                            AfterFailure::RetryAt(at) => (Some(*at), None, None),
                            AfterFailure::Pause(reason) => {
                                (None, Some(reason.as_str()), Some(delivery.at))
                            }
                        };
                        diesel::update(webhooks::table.find(&delivery.webhook_id))
                            .set((
                                webhooks::attempts.eq(webhooks::attempts + 1),
                                webhooks::failing_since.eq(failing_since.unwrap_or(delivery.at)),
                                webhooks::last_error.eq(&delivery.error),
                                webhooks::next_attempt_at.eq(next_attempt_at),
                                webhooks::paused_reason.eq(paused_reason),
                                webhooks::paused_at.eq(paused_at),
                            ))
                            .execute(connection)?;
                        log(connection, delivery)?;
                        1
                    }
                }
            }
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
