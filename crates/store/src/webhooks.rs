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

use diesel::prelude::*;
use rand::RngCore;

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
struct WebhookInsert<'a> {
    id: &'a str,
    url: &'a str,
    events: &'a str,
    fields: Option<&'a str>,
    secret: String,
    created_at: i64,
    cursor: &'a str,
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

impl Store {
    /// Stores a new subscription with a fresh signing secret; returns the secret (32 bytes),
    /// which is never readable again but through [`Store::webhook_secret`].
    pub fn create_webhook(&self, new: &NewWebhook) -> Result<[u8; 32], StoreError> {
        let mut secret = [0_u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let row = WebhookInsert {
            id: &new.id,
            url: &new.url,
            events: &new.events,
            fields: new.fields.as_deref(),
            secret: hex(&self.seal_webhook_secret(&new.id, &secret)),
            created_at: new.created_at,
            cursor: &new.cursor,
        };
        diesel::insert_into(webhooks::table)
            .values(&row)
            .execute(&mut *self.writer.get()?)?;
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
        let mut connection = self.writer.get()?;
        connection.transaction(|connection| {
            diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
                .execute(connection)?;
            let removed = diesel::delete(webhooks::table.find(id)).execute(connection)?;
            Ok(removed > 0)
        })
    }

    /// Delivery starts again after `cursor`, and a pause ends: the batch in flight (if any)
    /// is dropped and its failures forgotten. Whether the subscription exists.
    pub fn replay_webhook(&self, id: &str, cursor: &str) -> Result<bool, StoreError> {
        let changed = diesel::update(webhooks::table.find(id))
            .set((
                webhooks::cursor.eq(cursor),
                webhooks::batch_id.eq(None::<String>),
                webhooks::batch_end.eq(None::<String>),
                webhooks::paused_reason.eq(None::<String>),
                webhooks::paused_at.eq(None::<i64>),
                webhooks::attempts.eq(0),
                webhooks::failing_since.eq(None::<i64>),
                webhooks::next_attempt_at.eq(None::<i64>),
            ))
            .execute(&mut *self.writer.get()?)?;
        Ok(changed > 0)
    }

    /// Ends a pause: delivery goes on where it stopped (the batch in flight first, under its
    /// message id). Whether the subscription exists.
    pub fn resume_webhook(&self, id: &str) -> Result<bool, StoreError> {
        let changed = diesel::update(webhooks::table.find(id))
            .set((
                webhooks::paused_reason.eq(None::<String>),
                webhooks::paused_at.eq(None::<i64>),
                webhooks::attempts.eq(0),
                webhooks::failing_since.eq(None::<i64>),
                webhooks::next_attempt_at.eq(None::<i64>),
            ))
            .execute(&mut *self.writer.get()?)?;
        Ok(changed > 0)
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
        let taken = diesel::update(webhooks::table.find(id))
            .filter(
                webhooks::lease_holder
                    .is_null()
                    .or(webhooks::lease_holder.eq(holder))
                    .or(webhooks::lease_until.lt(now)),
            )
            .set((
                webhooks::lease_holder.eq(holder),
                webhooks::lease_until.eq(until),
            ))
            .execute(&mut *self.writer.get()?)?;
        Ok(taken > 0)
    }

    /// Gives a lease up (a replica stopping), so another may take it at once.
    pub fn release_webhook_lease(&self, id: &str, holder: &str) -> Result<(), StoreError> {
        diesel::update(webhooks::table.find(id))
            .filter(webhooks::lease_holder.eq(holder))
            .set((
                webhooks::lease_holder.eq(None::<String>),
                webhooks::lease_until.eq(None::<i64>),
            ))
            .execute(&mut *self.writer.get()?)?;
        Ok(())
    }

    /// Records the batch about to be sent (its message id and last cursor), if `holder`
    /// still holds the lease. Whether it does.
    pub fn start_webhook_batch(
        &self,
        id: &str,
        holder: &str,
        message_id: &str,
        batch_end: &str,
    ) -> Result<bool, StoreError> {
        let changed = diesel::update(webhooks::table.find(id))
            .filter(webhooks::lease_holder.eq(holder))
            .set((
                webhooks::batch_id.eq(message_id),
                webhooks::batch_end.eq(batch_end),
            ))
            .execute(&mut *self.writer.get()?)?;
        Ok(changed > 0)
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
        let changed = diesel::update(webhooks::table.find(id))
            .filter(webhooks::lease_holder.eq(holder))
            .set((
                webhooks::cursor.eq(cursor),
                webhooks::batch_id.eq(None::<String>),
                webhooks::batch_end.eq(None::<String>),
                webhooks::attempts.eq(0),
                webhooks::failing_since.eq(None::<i64>),
                webhooks::next_attempt_at.eq(None::<i64>),
            ))
            .execute(&mut *self.writer.get()?)?;
        Ok(changed > 0)
    }

    /// The receiver took the batch in flight: the cursor moves to its end, its failures are
    /// forgotten, and the attempt is logged. Whether `holder` still held the lease (if not,
    /// nothing changes: the new holder sends the batch again).
    pub fn finish_webhook_batch(
        &self,
        holder: &str,
        delivery: &Delivery,
    ) -> Result<bool, StoreError> {
        let mut connection = self.writer.get()?;
        connection.transaction(|connection| {
            let id = delivery.webhook_id.as_str();
            let moved = diesel::update(webhooks::table.find(id))
                .filter(webhooks::lease_holder.eq(holder))
                .filter(webhooks::batch_id.eq(&delivery.message_id))
                .set((
                    webhooks::cursor.eq(webhooks::batch_end.assume_not_null()),
                    webhooks::batch_id.eq(None::<String>),
                    webhooks::batch_end.eq(None::<String>),
                    webhooks::attempts.eq(0),
                    webhooks::failing_since.eq(None::<i64>),
                    webhooks::next_attempt_at.eq(None::<i64>),
                    webhooks::last_success_at.eq(delivery.at),
                ))
                .execute(connection)?;
            if moved > 0 {
                log_delivery(connection, delivery)?;
            }
            Ok(moved > 0)
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
        let mut connection = self.writer.get()?;
        connection.transaction(|connection| {
            let id = delivery.webhook_id.as_str();
            let held: Option<Option<i64>> = webhooks::table
                .find(id)
                .filter(webhooks::lease_holder.eq(holder))
                .select(webhooks::failing_since)
                .first(connection)
                .optional()?;
            let Some(failing_since) = held else {
                return Ok(false);
            };
            let (next_attempt_at, paused_reason, paused_at) = match after {
                AfterFailure::RetryAt(at) => (Some(*at), None, None),
                AfterFailure::Pause(reason) => (None, Some(reason.as_str()), Some(delivery.at)),
            };
            diesel::update(webhooks::table.find(id))
                .set((
                    webhooks::attempts.eq(webhooks::attempts + 1),
                    webhooks::failing_since.eq(failing_since.unwrap_or(delivery.at)),
                    webhooks::last_error.eq(&delivery.error),
                    webhooks::next_attempt_at.eq(next_attempt_at),
                    webhooks::paused_reason.eq(paused_reason),
                    webhooks::paused_at.eq(paused_at),
                ))
                .execute(connection)?;
            log_delivery(connection, delivery)?;
            Ok(true)
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
        let changed = diesel::update(webhooks::table.find(id))
            .filter(webhooks::lease_holder.eq(holder))
            .set((
                webhooks::paused_reason.eq(reason),
                webhooks::paused_at.eq(now),
                webhooks::last_error.eq(reason),
            ))
            .execute(&mut *self.writer.get()?)?;
        Ok(changed > 0)
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

/// Logs an attempt and drops the subscription's attempts beyond the [`KEPT_DELIVERIES`]
/// newest.
fn log_delivery(connection: &mut crate::DbConnection, delivery: &Delivery) -> QueryResult<()> {
    diesel::insert_into(webhook_deliveries::table)
        .values(delivery)
        .execute(connection)?;
    let oldest_kept: Option<i64> = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(&delivery.webhook_id))
        .order(webhook_deliveries::id.desc())
        .offset(KEPT_DELIVERIES - 1)
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
    Ok(())
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}
