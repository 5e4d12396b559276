//! Retention of the change feed: [`Store::prune_changes`] removes rows older than the
//! retention and records the newest one removed in `changes_horizon`; a cursor at or below
//! it has lost changes, and reading from it is refused ([`StoreError::CursorExpired`]) with
//! the cursor to resume from after a full resync.

use clientela_core::Timestamp;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::cursor::Cursor;
use crate::error::StoreError;
use crate::{DbConnection, Store};

#[derive(QueryableByName)]
pub(crate) struct HorizonRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) txid: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) seq: i64,
}

impl Store {
    /// Removes the changes committed before `cutoff`; returns how many. Cursors at or below
    /// the newest one removed are refused from then on.
    /// The feed's `delete` items are the last place an erased customer's code is kept (so
    /// that downstream tools learn of the erasure); removing them scrubs SQLite's WAL as an
    /// erasure does.
    pub fn prune_changes(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let removed = self.write_transaction(&[], |sql| Ok(sql.prune_changes(cutoff.micros())?))?;
        if removed > 0 {
            self.scrub_sqlite_wal();
        }
        Ok(removed)
    }
}

/// The newest change retention removed, as a cursor of the history `epoch`; `None` while
/// nothing was removed.
pub(crate) fn horizon(
    connection: &mut DbConnection,
    epoch: i64,
) -> Result<Option<Cursor>, StoreError> {
    let row: Option<HorizonRow> =
        diesel::sql_query("SELECT txid, seq FROM changes_horizon WHERE id = 1")
            .get_result(connection)
            .optional()?;
    Ok(row.map(|row| Cursor::at(epoch, row.txid, row.seq)))
}

/// The body of `WriteSql::prune_changes` for one backend: deletes the oldest rows of the
/// feed, in feed order, up to the first one committed at or after `$cutoff` (microseconds),
/// and moves the horizon up to the newest row deleted.
///
/// Removing a prefix of the feed rather than every row older than the cutoff needs no index
/// on `at`, which every feed row would otherwise pay for on every write: the oldest rows
/// are read in the primary key's order until the first one to keep, so a pass costs what
/// it removes. A row older than the cutoff that sorts after a newer one (on PostgreSQL, a
/// transaction that started earlier but ran longer) stays until the rows before it go:
/// retention is how long changes are kept at least.
///
/// `$txid` reads the transaction id as a BIGINT (PostgreSQL's is an `xid8`); `$below` and
/// `$upto` select the rows before, and up to, the position `($1, $2)`; `$order` and
/// `$reverse` are the feed order and its reverse (on PostgreSQL naming `changes.txid`, the
/// column, not the BIGINT the output calls `txid`, as in the feed's page query). SQLite's `txid` is
/// always 0, so there they compare and order by `seq` alone, which reads the rowid in order
/// (a row value `(txid, seq)` would scan the table). SQLite numbers `$N` parameters in the
/// order they first appear, so `$1` must come before `$2` in each text.
macro_rules! prune_changes_body {
    (
        $connection:expr, $cutoff:expr, $txid:literal, $below:literal, $upto:literal,
        $order:literal, $reverse:literal
    ) => {{
        use diesel::prelude::*;
        use diesel::sql_types::BigInt;
        use $crate::retention::HorizonRow;
        let cutoff: i64 = $cutoff;
        let kept: Option<HorizonRow> = diesel::sql_query(concat!(
            "SELECT ", $txid, " AS txid, seq FROM changes WHERE at >= $1 ORDER BY ", $order,
            " LIMIT 1"
        ))
        .bind::<BigInt, _>(cutoff)
        .get_result($connection)
        .optional()?;
        let newest: Option<HorizonRow> = match kept {
            Some(kept) => diesel::sql_query(concat!(
                "SELECT ", $txid, " AS txid, seq FROM changes WHERE ", $below, " ORDER BY ", $reverse,
                " LIMIT 1"
            ))
            .bind::<BigInt, _>(kept.txid)
            .bind::<BigInt, _>(kept.seq)
            .get_result($connection)
            .optional()?,
            None => diesel::sql_query(concat!(
                "SELECT ", $txid, " AS txid, seq FROM changes ORDER BY ", $reverse, " LIMIT 1"
            ))
            .get_result($connection)
            .optional()?,
        };
        match newest {
            None => Ok(0),
            Some(newest) => {
                let removed = diesel::sql_query(concat!(
                    "DELETE FROM changes WHERE ", $upto
                ))
                .bind::<BigInt, _>(newest.txid)
                .bind::<BigInt, _>(newest.seq)
                .execute($connection)?;
                diesel::sql_query(
                    "INSERT INTO changes_horizon (id, txid, seq) VALUES (1, $1, $2) \
                     ON CONFLICT (id) DO UPDATE SET txid = excluded.txid, seq = excluded.seq \
                     WHERE (excluded.txid, excluded.seq) > (changes_horizon.txid, changes_horizon.seq)",
                )
                .bind::<BigInt, _>(newest.txid)
                .bind::<BigInt, _>(newest.seq)
                .execute($connection)?;
                Ok(removed)
            }
        }
    }};
}
pub(crate) use prune_changes_body;
