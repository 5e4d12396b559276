//! The change feed: every committed change of a customer, once, in commit order, for a
//! downstream tool to follow (`GET /changes`, `clientela-api changes --follow`).
//!
//! # What is written
//! Each write transaction that changes customers adds one row per changed customer to
//! `changes` (code, `upsert` or `delete`, the version written, when, and for an upsert the
//! names of the fields it changed), in the same transaction: a change is in the feed if and
//! only if it committed. A merge that changes nothing writes nothing, so it adds nothing.
//! Rows carry no customer data (field names, never values): a page joins each upsert with
//! the customer as it is when the page is read. Erasing a customer deletes its earlier rows
//! and adds a `delete` row carrying only the code, so nothing of the erased customer stays
//! in the feed.
//!
//! # Exactly once, in order, across replicas
//! A follower passes the `next` cursor of each page to the next call and must never miss a
//! row nor see one twice. The trap is a row that commits *behind* a cursor a reader already
//! passed.
//! - SQLite has one writer at a time (`BEGIN IMMEDIATE` on one connection per process, and
//!   the database's write lock across processes), so rows commit in `seq` order: a reader
//!   that saw row `n` has seen every row below it that will ever exist.
//! - On PostgreSQL a sequence number is taken before commit, so with many writers a row with
//!   a lower number can commit after one with a higher number has been read. Each row
//!   therefore also records the id of the transaction that wrote it (`txid`, a 64-bit xid8
//!   that never wraps), the feed is ordered by `(txid, seq)`, and a reader only returns rows
//!   whose `txid` is below `pg_snapshot_xmin(pg_current_snapshot())`: the oldest transaction
//!   still running. Every transaction below that horizon has ended, so every row it will
//!   ever have is already visible, and any row written later belongs to a transaction at or
//!   above the horizon, which sorts after everything returned. A reader on any replica
//!   sees the same rows in the same order, since the horizon and the order come from the
//!   database. The cost: a long-running write transaction holds the feed back until it
//!   ends, and transaction ids are server-wide, so that is any transaction that has written,
//!   in any database of the PostgreSQL server (read-only ones, `pg_dump` included, hold
//!   nothing back). Ours end within `statement_timeout`; that delay, never a skip, is the
//!   price of exactly once.
//!   The order is that of transaction ids; for one customer it is also commit order (its
//!   writers take the customer's lock before their first write, so a later writer's
//!   transaction id is higher), and across customers it is an order consistent with every
//!   customer's own.
//!
//! # Across a failover (PostgreSQL)
//! Exactly once holds within one history of the data. A promotion that lost the old
//! primary's last transactions starts another, in which transaction ids (and so positions)
//! are handed out again. Each history is recorded with its fork point, the last row it
//! inherited (`history.rs`), and a cursor names its history (`<epoch>.<txid>-<seq>`; the
//! first history's are written `<txid>-<seq>`, as before histories existed). A cursor from
//! an older history at or before every later fork point continues in the newest one, which
//! holds every row up to it; one past a fork point is refused with
//! [`StoreError::CursorForked`], resuming at that fork point: the follower may read rows
//! again there, never miss one. A cursor past the newest row, or of a history this database
//! does not have, is refused as not given out here ([`StoreError::BadCursor`]); on a primary
//! just promoted that no write has reached, the read records the new history first.
//!
//! # Retention
//! Rows older than the retention are removed; a cursor from before them is refused
//! (`retention.rs`).

use std::collections::HashMap;

use clientela_core::Timestamp;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, SmallInt, Text};

use crate::cursor::Cursor;
use crate::error::StoreError;
use crate::feed_customers::{self, FeedCustomer};
use crate::history::{self, FIRST_EPOCH};
use crate::retention::horizon;
use crate::{DbConnection, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOp {
    Upsert,
    Delete,
}

impl ChangeOp {
    fn number(self) -> i16 {
        match self {
            ChangeOp::Upsert => 0,
            ChangeOp::Delete => 1,
        }
    }
}

/// One item of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub cursor: Cursor,
    pub op: ChangeOp,
    pub code: String,
    /// The version this change wrote (for a delete: the last version the customer had).
    pub version: i64,
    pub at: Timestamp,
    /// For an upsert, the customer as it is now (its version may be newer than this
    /// change's: a later item for the same code follows); `None` for a delete, or when the
    /// customer has been erased since.
    pub customer: Option<FeedCustomer>,
    /// For an upsert, the fields it changed
    /// ([`Customer::changed_fields`](clientela_core::Customer::changed_fields):
    /// `metadata.<key>` for a metadata key; empty for a create with defaults only); `None`
    /// for a delete, and for an upsert recorded before the feed kept them.
    pub changed_fields: Option<Vec<String>>,
}

/// A row to add to the feed, inside a write transaction.
#[derive(Debug, Clone)]
pub(crate) struct NewChange<'a> {
    pub(crate) code: &'a str,
    pub(crate) op: i16,
    pub(crate) version: i64,
    pub(crate) at: i64,
    /// The changed fields' names as a JSON array (an upsert); `None` for a delete.
    pub(crate) changed_fields: Option<String>,
}

impl<'a> NewChange<'a> {
    pub(crate) fn new(code: &'a str, op: ChangeOp, version: i64, at: Timestamp) -> Self {
        NewChange {
            code,
            op: op.number(),
            version,
            at: at.micros(),
            changed_fields: None,
        }
    }

    /// The names of the fields an upsert changed, kept with its row (names only).
    pub(crate) fn with_changed_fields(mut self, names: &[String]) -> Self {
        self.changed_fields = Some(serde_json::to_string(names).unwrap_or_else(|_| "[]".into()));
        self
    }
}

#[derive(QueryableByName)]
struct ChangeRow {
    #[diesel(sql_type = BigInt)]
    txid: i64,
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = SmallInt)]
    op: i16,
    #[diesel(sql_type = BigInt)]
    version: i64,
    #[diesel(sql_type = BigInt)]
    at: i64,
    #[diesel(sql_type = Nullable<Text>)]
    changed_fields: Option<String>,
    /// The newest history as the same statement saw it (SQLite: the one).
    #[diesel(sql_type = BigInt)]
    newest_epoch: i64,
}

impl ChangeRow {
    fn cursor(&self, epoch: i64) -> Cursor {
        Cursor::at(epoch, self.txid, self.seq)
    }
}

/// PostgreSQL: rows after a cursor, below the oldest running transaction, in feed order.
///
/// The output names `txid` the column read as a BIGINT, and an `ORDER BY` name means an
/// output column before a table column: `ORDER BY txid` would sort by that expression,
/// which no index holds, reading and sorting the whole feed for every page. The order is
/// therefore written `changes.txid`, the primary key's column, read in index order
/// (`feed_queries_read_the_primary_key_in_order` checks every such query's plan).
const PG_PAGE: &str = "SELECT (txid::text)::bigint AS txid, seq, code, op, version, at, changed_fields, \
       (SELECT max(epoch) FROM feed_histories) AS newest_epoch \
     FROM changes \
     WHERE (txid, seq) > ($1::text::xid8, $2) \
       AND txid < pg_snapshot_xmin(pg_current_snapshot()) \
     ORDER BY changes.txid, changes.seq LIMIT $3";
const PG_LAST: &str = "SELECT (txid::text)::bigint AS txid, seq, code, op, version, at, changed_fields, \
       (SELECT max(epoch) FROM feed_histories) AS newest_epoch \
     FROM changes \
     WHERE txid < pg_snapshot_xmin(pg_current_snapshot()) \
     ORDER BY changes.txid DESC, changes.seq DESC LIMIT 1";
const SQLITE_PAGE: &str = "SELECT txid, seq, code, op, version, at, changed_fields, \
     1 AS newest_epoch FROM changes \
     WHERE seq > ? ORDER BY seq LIMIT ?";
const SQLITE_LAST: &str = "SELECT txid, seq, code, op, version, at, changed_fields, \
     1 AS newest_epoch FROM changes ORDER BY seq DESC LIMIT 1";

/// PostgreSQL: how many visible rows follow a cursor (up to `$3`), and the oldest one's time.
const PG_BEHIND: &str = "SELECT count(*) AS changes, min(at) AS oldest FROM (SELECT at \
     FROM changes WHERE (txid, seq) > ($1::text::xid8, $2) \
       AND txid < pg_snapshot_xmin(pg_current_snapshot()) \
     ORDER BY txid, seq LIMIT $3) AS behind";
const SQLITE_BEHIND: &str = "SELECT count(*) AS changes, min(at) AS oldest FROM (SELECT at \
     FROM changes WHERE seq > ? ORDER BY seq LIMIT ?) AS behind";

/// How far a reader is behind the feed ([`Store::changes_behind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedLag {
    /// Changes not read yet, up to the cap asked for.
    pub changes: i64,
    /// When the oldest of them committed.
    pub oldest_at: Option<Timestamp>,
}

#[derive(QueryableByName)]
struct BehindRow {
    #[diesel(sql_type = BigInt)]
    changes: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    oldest: Option<i64>,
}

impl Store {
    /// Up to `limit` changes after `after` (from the oldest kept when `None`), in feed
    /// order, each upsert with its customer as it is now. Refuses a cursor older than what
    /// retention kept.
    pub fn changes(&self, after: Option<Cursor>, limit: usize) -> Result<Vec<Change>, StoreError> {
        let mut connection = self.readers.get()?;
        let mut changes = self.rows_after(&mut connection, after, limit)?;
        attach_customers(&mut connection, &mut changes)?;
        Ok(changes)
    }

    /// [`Store::changes`] without the customers (every `customer` is `None`), for a reader
    /// that reads them when it uses the rows ([`Store::with_customers`]): a webhook deliverer
    /// reading ahead of the batch it sends.
    pub fn change_rows(
        &self,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<Vec<Change>, StoreError> {
        self.rows_after(&mut *self.readers.get()?, after, limit)
    }

    /// Sets the customer of each upsert in `changes` as it is now, `None` for one erased
    /// since (whose upserts the feed no longer holds), as [`Store::changes`] does.
    pub fn with_customers(&self, mut changes: Vec<Change>) -> Result<Vec<Change>, StoreError> {
        if changes.iter().any(|change| change.op == ChangeOp::Upsert) {
            attach_customers(&mut *self.readers.get()?, &mut changes)?;
        }
        Ok(changes)
    }

    /// The rows of [`Store::changes`], without their customers.
    fn rows_after(
        &self,
        connection: &mut DbConnection,
        asked: Option<Cursor>,
        wanted: usize,
    ) -> Result<Vec<Change>, StoreError> {
        let after = asked;
        let mut histories = history::all(connection)?;
        let mut epoch = histories.last().map_or(FIRST_EPOCH, |newest| newest.epoch);
        let mut horizon = horizon(connection, epoch)?;
        let after = match after {
            Some(after) => Some(match in_history(connection, after, &histories, horizon) {
                // Past the newest change: on a primary just promoted that no write has
                // reached yet, the new history is not recorded; record it and look again
                // (the cursor is then past its fork point: 410).
                Err(StoreError::BadCursor(_)) if history::record_if_new(connection)? != epoch => {
                    histories = history::all(connection)?;
                    epoch = histories.last().map_or(FIRST_EPOCH, |newest| newest.epoch);
                    horizon = self::horizon(connection, epoch)?;
                    in_history(connection, after, &histories, horizon)?
                }
                outcome => outcome?,
            }),
            None => None,
        };
        self.epoch.saw(epoch);
        if let (Some(after), Some(horizon)) = (after, horizon)
            && after < horizon
        {
            let resume = last_row(connection)?.map_or(horizon, |row| row.cursor(epoch));
            return Err(StoreError::CursorExpired {
                resume: resume.to_string(),
            });
        }
        let after = after.unwrap_or(Cursor::at(epoch, 0, 0));
        let limit = i64::try_from(wanted).unwrap_or(i64::MAX);
        let rows: Vec<ChangeRow> = match connection {
            DbConnection::Postgres(postgres) => diesel::sql_query(PG_PAGE)
                .bind::<Text, _>(after.txid.to_string())
                .bind::<BigInt, _>(after.seq)
                .bind::<BigInt, _>(limit)
                .load(postgres)?,
            DbConnection::Sqlite(sqlite) => diesel::sql_query(SQLITE_PAGE)
                .bind::<BigInt, _>(after.seq)
                .bind::<BigInt, _>(limit)
                .load(sqlite)?,
        };
        // The histories were read before the page, each statement in a snapshot of its own:
        // a promotion's first write may have recorded a new history, and rows in it, in
        // between. The page's own statement says which history is the newest; rows read
        // under an older one would be given cursors of that history: read again.
        if rows.first().is_some_and(|row| row.newest_epoch != epoch) {
            return self.rows_after(connection, asked, wanted);
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let op = if row.op == ChangeOp::Delete.number() {
                    ChangeOp::Delete
                } else {
                    ChangeOp::Upsert
                };
                // Written by this crate as a JSON array of names; anything else reads as
                // "not known", as for a row from before the column existed.
                let changed_fields = match op {
                    ChangeOp::Upsert => row
                        .changed_fields
                        .as_deref()
                        .and_then(|names| serde_json::from_str(names).ok()),
                    ChangeOp::Delete => None,
                };
                Change {
                    cursor: row.cursor(epoch),
                    op,
                    version: row.version,
                    at: Timestamp(row.at),
                    code: row.code,
                    customer: None,
                    changed_fields,
                }
            })
            .collect())
    }

    /// The cursor of the newest change a reader can see now (`None` for an empty feed): where
    /// a follower that has just copied every customer resumes.
    pub fn changes_head(&self) -> Result<Option<Cursor>, StoreError> {
        let mut connection = self.readers.get()?;
        let epoch = history::all(&mut connection)?
            .last()
            .map_or(FIRST_EPOCH, |newest| newest.epoch);
        self.epoch.saw(epoch);
        Ok(last_row(&mut connection)?.map(|row| row.cursor(epoch)))
    }

    /// How far a reader at `after` is behind the feed's head: the changes it has not read
    /// (counted up to `cap`) and when the oldest of them committed (webhook lag).
    pub fn changes_behind(&self, after: Cursor, cap: i64) -> Result<FeedLag, StoreError> {
        let mut connection = self.readers.get()?;
        let row: BehindRow = match &mut *connection {
            DbConnection::Postgres(postgres) => diesel::sql_query(PG_BEHIND)
                .bind::<Text, _>(after.txid.to_string())
                .bind::<BigInt, _>(after.seq)
                .bind::<BigInt, _>(cap)
                .get_result(postgres)?,
            DbConnection::Sqlite(sqlite) => diesel::sql_query(SQLITE_BEHIND)
                .bind::<BigInt, _>(after.seq)
                .bind::<BigInt, _>(cap)
                .get_result(sqlite)?,
        };
        Ok(FeedLag {
            changes: row.changes,
            oldest_at: row.oldest.map(Timestamp),
        })
    }
}

/// Sets each upsert's customer as stored now (`None` when there is none).
fn attach_customers(
    connection: &mut DbConnection,
    changes: &mut [Change],
) -> Result<(), StoreError> {
    let codes: Vec<&str> = changes
        .iter()
        .filter(|change| change.op == ChangeOp::Upsert)
        .map(|change| change.code.as_str())
        .collect();
    if codes.is_empty() {
        return Ok(());
    }
    // Each customer with the number of upserts of it still to be given one: the last takes
    // it, those before get a copy (a page rarely holds a code twice).
    let mut current: HashMap<String, (FeedCustomer, usize)> =
        feed_customers::stored(connection, &codes)?
            .into_iter()
            .map(|customer| (customer.code().to_owned(), (customer, 0)))
            .collect();
    for code in codes {
        if let Some((_, left)) = current.get_mut(code) {
            *left += 1;
        }
    }
    for change in changes.iter_mut() {
        if change.op != ChangeOp::Upsert {
            change.customer = None;
            continue;
        }
        change.customer = match current.get_mut(&change.code) {
            Some((customer, left)) if *left > 1 => {
                *left -= 1;
                Some(customer.clone())
            }
            Some(_) => current.remove(&change.code).map(|(customer, _)| customer),
            None => None,
        };
    }
    Ok(())
}

/// `after` as a position in the newest history (`histories`' last), or why it is none:
/// - from a history this database does not have, or past the newest change (a cursor of
///   another database, or made up): [`StoreError::BadCursor`];
/// - from an older history and past the point where a later one forked from it (it may
///   count changes the promoted standby never received, and the new history reuses their
///   transaction ids): [`StoreError::CursorForked`], resuming at the fork point, where
///   both histories agree;
/// - from an older history at or before every later fork point: the same position in the
///   newest history, which holds every change up to there.
fn in_history(
    connection: &mut DbConnection,
    after: Cursor,
    histories: &[history::History],
    horizon: Option<Cursor>,
) -> Result<Cursor, StoreError> {
    let epoch = histories.last().map_or(FIRST_EPOCH, |newest| newest.epoch);
    if after.epoch > epoch || !histories.iter().any(|known| known.epoch == after.epoch) {
        return Err(StoreError::BadCursor(format!(
            "the cursor `{after}` names a history of the change feed this database does not \
             have: use a `next` this service gave out"
        )));
    }
    if after.epoch < epoch {
        let fork = histories
            .iter()
            .filter(|later| later.epoch > after.epoch)
            .map(|later| (later.fork_txid, later.fork_seq))
            .min()
            .unwrap_or_default();
        if after.position() > fork {
            return Err(StoreError::CursorForked {
                resume: Cursor::at(epoch, fork.0, fork.1).to_string(),
            });
        }
    }
    let after = Cursor::at(epoch, after.txid, after.seq);
    let head = last_row(connection)?
        .map(|row| (row.txid, row.seq))
        .max(horizon.map(Cursor::position))
        .unwrap_or_default();
    if after.position() > head {
        return Err(StoreError::BadCursor(format!(
            "the cursor `{after}` is past the newest change of the feed: use a `next` this \
             service gave out"
        )));
    }
    Ok(after)
}

fn last_row(connection: &mut DbConnection) -> Result<Option<ChangeRow>, StoreError> {
    let query = match connection {
        DbConnection::Postgres(_) => PG_LAST,
        DbConnection::Sqlite(_) => SQLITE_LAST,
    };
    Ok(diesel::sql_query(query).get_result(connection).optional()?)
}

#[cfg(test)]
mod tests {
    /// On PostgreSQL the feed's queries read the primary key `(txid, seq)` in order and never
    /// sort: an `ORDER BY txid` that meant the BIGINT the output calls `txid` sorted the whole
    /// feed for every page, slower with every change kept. Sorts and sequential scans are
    /// made as dear as they can be, so a plan holds a sort only when no index gives the order.
    #[test]
    fn feed_queries_read_the_primary_key_in_order() {
        use diesel::RunQueryDsl;
        use diesel::connection::SimpleConnection;
        use diesel::sql_types::Text;

        #[derive(diesel::QueryableByName)]
        struct Plan {
            #[diesel(sql_type = Text)]
            plan: String,
        }
        let Some(scratch) = crate::ScratchSchema::for_test("feed_plans") else {
            return;
        };
        let store = crate::Store::open(&crate::StoreOptions::new(scratch.url())).expect("store");
        let mut connection = store.readers.get().expect("a connection");
        let crate::DbConnection::Postgres(postgres) = &mut *connection else {
            panic!("a PostgreSQL connection");
        };
        postgres
            .batch_execute(
                "SET enable_sort = off; SET enable_seqscan = off; \
                 CREATE FUNCTION pg_temp.plan_of(query text) RETURNS text AS $$ \
                 DECLARE line text; plan text := ''; BEGIN \
                 FOR line IN EXECUTE 'EXPLAIN ' || query LOOP plan := plan || line || E'\\n'; \
                 END LOOP; RETURN plan; END $$ LANGUAGE plpgsql",
            )
            .expect("set up");
        let bound = |query: &str| {
            query
                .replace("$1", "'812'")
                .replace("$2", "40")
                .replace("$3", "100")
        };
        for query in [
            bound(super::PG_PAGE),
            bound(super::PG_LAST),
            bound(super::PG_BEHIND),
            bound(crate::history::PG_NEWEST_ROW),
        ] {
            let plan: Plan = diesel::sql_query("SELECT pg_temp.plan_of($1) AS plan")
                .bind::<Text, _>(&query)
                .get_result(postgres)
                .expect("a plan");
            assert!(
                plan.plan.contains("Index") && !plan.plan.contains("Sort"),
                "{query}\n{}",
                plan.plan
            );
        }
    }
}
