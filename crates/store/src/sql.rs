//! The SQL that writes run, in one place, for both backends.
//!
//! [`WriteSql`] is implemented for `SqliteConnection` and `PgConnection` (upsert needs the
//! concrete backend: diesel's `MultiConnection` has no `ON CONFLICT`). The statements of
//! the batch upsert are written per backend so that each is prepared once per connection
//! ([`prepared`]); the rest is the same diesel code for both. [`Store::write_transaction`](crate::Store) runs a body over it inside a
//! transaction that already holds the write locks; see the crate docs for why that is safe.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt};
use diesel::sqlite::SqliteConnection;
use sha2::{Digest, Sha256};

mod prepared;

use crate::changes::NewChange;
use crate::retention::prune_changes_body;
use crate::rows::CustomerRow;
use crate::schema::{changes, customers, suppressions};
use crate::webhooks::{WebhookWrite, webhook_write_body};

/// The statements a write transaction may run.
pub(crate) trait WriteSql {
    /// The stored rows of these codes (absent codes are simply missing).
    fn existing(&mut self, codes: &[&str]) -> QueryResult<Vec<CustomerRow>>;
    /// Which of these code hashes are suppressed.
    fn suppressed(&mut self, hashes: &[String]) -> QueryResult<Vec<String>>;
    /// Inserts or replaces whole rows, all in one statement.
    fn upsert(&mut self, rows: &[CustomerRow]) -> QueryResult<usize>;
    fn delete_customer(&mut self, code: &str) -> QueryResult<usize>;
    /// Stores a keyed suppression hash.
    fn suppress(&mut self, hash: &str, now: i64) -> QueryResult<usize>;
    /// Removes these hashes (a code's keyed and legacy forms).
    fn unsuppress(&mut self, hashes: &[String]) -> QueryResult<usize>;
    /// Adds rows to the change feed.
    fn record_changes(&mut self, rows: &[NewChange<'_>]) -> QueryResult<usize>;
    /// Removes every feed row of a code (erasure).
    fn forget_changes(&mut self, code: &str) -> QueryResult<usize>;
    /// Removes the feed rows committed before `cutoff` (microseconds); see `changes.rs`.
    fn prune_changes(&mut self, cutoff: i64) -> QueryResult<usize>;
    /// A write of webhook state; whether it changed a row (see `webhooks.rs`).
    fn webhook_write(&mut self, write: &WebhookWrite<'_>) -> QueryResult<bool>;
    /// Any statements: for tests of the transaction machinery, with tables of their own.
    #[cfg(test)]
    fn execute(&mut self, statements: &str) -> QueryResult<()>;
}

/// The statements that are the same text on both backends.
macro_rules! shared_write_sql {
    () => {
        fn delete_customer(&mut self, code: &str) -> QueryResult<usize> {
            diesel::delete(customers::table.find(code)).execute(self)
        }

        fn suppress(&mut self, hash: &str, now: i64) -> QueryResult<usize> {
            diesel::insert_into(suppressions::table)
                .values((
                    suppressions::code_hash.eq(hash),
                    suppressions::created_at.eq(now),
                    suppressions::kind.eq(crate::suppression_key::KEYED_KIND),
                ))
                .on_conflict_do_nothing()
                .execute(self)
        }

        fn unsuppress(&mut self, hashes: &[String]) -> QueryResult<usize> {
            diesel::delete(suppressions::table.filter(suppressions::code_hash.eq_any(hashes)))
                .execute(self)
        }

        fn forget_changes(&mut self, code: &str) -> QueryResult<usize> {
            diesel::delete(changes::table.filter(changes::code.eq(code))).execute(self)
        }

        fn webhook_write(&mut self, write: &WebhookWrite<'_>) -> QueryResult<bool> {
            webhook_write_body!(self, write)
        }

        #[cfg(test)]
        fn execute(&mut self, statements: &str) -> QueryResult<()> {
            diesel::connection::SimpleConnection::batch_execute(self, statements)
        }
    };
}

impl WriteSql for SqliteConnection {
    fn existing(&mut self, codes: &[&str]) -> QueryResult<Vec<CustomerRow>> {
        prepared::SqliteRowsOf {
            codes: &prepared::json_array(codes),
        }
        .load(self)
    }

    fn suppressed(&mut self, hashes: &[String]) -> QueryResult<Vec<String>> {
        prepared::SqliteSuppressedOf {
            hashes: &prepared::json_array(hashes),
        }
        .load(self)
    }

    fn upsert(&mut self, rows: &[CustomerRow]) -> QueryResult<usize> {
        let mut written = 0;
        for row in rows {
            written += prepared::SqliteUpsert { row }.execute(self)?;
        }
        Ok(written)
    }

    shared_write_sql!();

    fn record_changes(&mut self, rows: &[NewChange<'_>]) -> QueryResult<usize> {
        let mut written = 0;
        for change in rows {
            written += prepared::SqliteRecordChange { change }.execute(self)?;
        }
        Ok(written)
    }

    fn prune_changes(&mut self, cutoff: i64) -> QueryResult<usize> {
        prune_changes_body!(
            self,
            cutoff,
            "txid",
            "txid = $1 AND seq < $2",
            "txid = $1 AND seq <= $2",
            "seq",
            "seq DESC"
        )
    }
}

impl WriteSql for PgConnection {
    fn existing(&mut self, codes: &[&str]) -> QueryResult<Vec<CustomerRow>> {
        customers::table
            .filter(customers::code.eq_any(codes))
            .select(CustomerRow::as_select())
            .load(self)
    }

    fn suppressed(&mut self, hashes: &[String]) -> QueryResult<Vec<String>> {
        suppressions::table
            .filter(suppressions::code_hash.eq_any(hashes))
            .select(suppressions::code_hash)
            .load(self)
    }

    fn upsert(&mut self, rows: &[CustomerRow]) -> QueryResult<usize> {
        prepared::PgUpsert::new(rows).execute(self)
    }

    shared_write_sql!();

    fn record_changes(&mut self, rows: &[NewChange<'_>]) -> QueryResult<usize> {
        prepared::PgRecordChanges::new(rows).execute(self)
    }

    fn prune_changes(&mut self, cutoff: i64) -> QueryResult<usize> {
        prune_changes_body!(
            self,
            cutoff,
            "(txid::text)::bigint",
            "(txid, seq) < (($1::text)::xid8, $2)",
            "(txid, seq) <= (($1::text)::xid8, $2)",
            "changes.txid, changes.seq",
            "changes.txid DESC, changes.seq DESC"
        )
    }
}

/// Takes the transaction-scoped advisory lock of every code, in ascending key order.
///
/// Every PostgreSQL writer of a customer takes its code's lock first, so writers of one code
/// run one after the other, across connections and API replicas alike, whether or not the
/// row exists yet. Taking all of a batch's locks up front, always in the same order, means
/// two batches can never wait on each other in a cycle: no deadlocks. `unnest` yields the
/// array in order, and the array is sorted here.
pub(crate) fn lock_codes(connection: &mut PgConnection, codes: &[&str]) -> QueryResult<()> {
    let mut keys: Vec<i64> = codes.iter().map(|code| advisory_lock_key(code)).collect();
    keys.sort_unstable();
    keys.dedup();
    diesel::sql_query("SELECT pg_advisory_xact_lock(key) FROM unnest($1) AS key")
        .bind::<Array<BigInt>, _>(&keys)
        .execute(connection)?;
    Ok(())
}

/// A stable 64-bit key for a code's advisory lock. Two codes sharing a key only wait on each
/// other, which is harmless. Stable across builds, so replicas of any version agree.
pub fn advisory_lock_key(code: &str) -> i64 {
    let digest = Sha256::digest(code.as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}
