//! The histories ("epochs") of the data, so that a feed cursor and an ETag name the history
//! they were given out in, and one from a history that forked away is never taken for a
//! position or a version of another (see `changes.rs` for what a follower sees).
//!
//! # Why
//! When a standby is promoted after its primary stopped, the transactions the standby had
//! not received are lost (asynchronous replication), and the new primary hands out their
//! transaction ids, sequence numbers and customer versions again, for other changes. A
//! cursor `txid-seq` from the old primary may then sit *past* changes the new primary
//! commits, and an `If-Match` version may name other contents.
//!
//! # What is recorded
//! `feed_histories` holds one row per history: its `epoch` (1, 2, …), the PostgreSQL
//! timeline it runs on (a promotion always starts a new timeline), and its fork point: the
//! last change row (`txid`, `seq`) it inherited from the history before it. Every
//! PostgreSQL write transaction starts with [`enter`]: it compares the server's timeline
//! with the newest history's; on a new timeline the first writer locks the table, reads
//! the newest change row (every row there is one the standby received: no transaction of
//! the new timeline can have written a change row yet, since each passes through here
//! first and waits on that lock), records the new history, and commits it with its own
//! changes. Everything the new primary writes has a transaction id above every inherited
//! one, so it sorts after the fork point.
//!
//! Reading is cheap: one indexed row per write transaction. A switchover that loses nothing
//! also starts a history; cursors then continue (they are at or before the fork point) and
//! ETags from before it answer 412 once (the client reads the customer again).
//!
//! SQLite has one history, epoch 1, forever.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::connection::DbConnection;
use crate::error::StoreError;

/// The server's current timeline, on a primary (it fails during recovery): the first eight
/// hexadecimal digits of the name of the WAL file being written. `pg_control_checkpoint()`
/// would lag behind a promotion until its first checkpoint completes.
const PG_TIMELINE: &str =
    "('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint";

/// The newest change row, whatever the snapshot: a new history's fork point (ordered by the
/// column `changes.txid`, not the BIGINT the output calls `txid`: see `changes.rs`).
pub(crate) const PG_NEWEST_ROW: &str = "SELECT (txid::text)::bigint AS txid, seq FROM changes \
     ORDER BY changes.txid DESC, changes.seq DESC LIMIT 1";

/// The epoch of the only history of a SQLite database, and of cursors and ETags that name
/// none (those given out before histories were recorded).
pub const FIRST_EPOCH: i64 = 1;

/// The last change row inherited at a fork.
#[derive(QueryableByName)]
struct ForkRow {
    #[diesel(sql_type = BigInt)]
    txid: i64,
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

#[derive(QueryableByName)]
struct Newest {
    #[diesel(sql_type = BigInt)]
    epoch: i64,
    #[diesel(sql_type = BigInt)]
    timeline: i64,
    #[diesel(sql_type = BigInt)]
    current: i64,
}

/// One recorded history.
#[derive(QueryableByName, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct History {
    #[diesel(sql_type = BigInt)]
    pub(crate) epoch: i64,
    /// The last change row inherited from the history before (0, 0: none).
    #[diesel(sql_type = BigInt)]
    pub(crate) fork_txid: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) fork_seq: i64,
}

/// On PostgreSQL, inside a write transaction before anything else: the epoch of the
/// history this transaction writes in, recording a new one when the server runs on a
/// timeline no history has yet (see the module docs).
pub(crate) fn enter(postgres: &mut PgConnection) -> Result<i64, StoreError> {
    let newest = || {
        diesel::sql_query(format!(
            "SELECT epoch, timeline, {PG_TIMELINE} AS current FROM feed_histories \
             ORDER BY epoch DESC LIMIT 1"
        ))
    };
    let seen: Newest = newest().get_result(postgres)?;
    if seen.timeline == seen.current {
        return Ok(seen.epoch);
    }
    // A lock only writers of histories take (SHARE ROW EXCLUSIVE conflicts with itself),
    // held to the end of this transaction: the next writer on this timeline waits, then
    // finds the history recorded.
    postgres.batch_execute("LOCK TABLE feed_histories IN SHARE ROW EXCLUSIVE MODE")?;
    let seen: Newest = newest().get_result(postgres)?;
    if seen.timeline == seen.current {
        return Ok(seen.epoch);
    }
    let fork: Option<ForkRow> = diesel::sql_query(PG_NEWEST_ROW)
        .get_result(postgres)
        .optional()?;
    let (fork_txid, fork_seq) = fork.map_or((0, 0), |row| (row.txid, row.seq));
    let epoch = seen.epoch + 1;
    diesel::sql_query(
        "INSERT INTO feed_histories (epoch, timeline, fork_txid, fork_seq, at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind::<BigInt, _>(epoch)
    .bind::<BigInt, _>(seen.current)
    .bind::<BigInt, _>(fork_txid)
    .bind::<BigInt, _>(fork_seq)
    .bind::<BigInt, _>(clientela_core::Timestamp::now().micros())
    .execute(postgres)?;
    tracing::warn!(
        epoch,
        timeline = seen.current,
        fork = %format!("{fork_txid}-{fork_seq}"),
        "the database runs on a new timeline (a standby was promoted): the change feed \
         continues in a new history; cursors past its fork point resume from there"
    );
    Ok(epoch)
}

/// On PostgreSQL, records the history of the server's timeline if it is new (in a
/// transaction of its own, as [`enter`] does in a write); the newest epoch either way.
/// SQLite: the one history.
pub(crate) fn record_if_new(connection: &mut DbConnection) -> Result<i64, StoreError> {
    match connection {
        DbConnection::Sqlite(_) => Ok(FIRST_EPOCH),
        DbConnection::Postgres(postgres) => postgres.transaction(enter),
    }
}

/// Every recorded history, oldest first (SQLite: the one history).
pub(crate) fn all(connection: &mut DbConnection) -> Result<Vec<History>, StoreError> {
    match connection {
        DbConnection::Sqlite(_) => Ok(vec![History {
            epoch: FIRST_EPOCH,
            fork_txid: 0,
            fork_seq: 0,
        }]),
        DbConnection::Postgres(postgres) => {
            let histories: Vec<History> = diesel::sql_query(
                "SELECT epoch, fork_txid, fork_seq FROM feed_histories ORDER BY epoch",
            )
            .load(postgres)?;
            if histories.is_empty() {
                return Err(StoreError::Migration(
                    "feed_histories is empty: run `clientela-api migrate`".into(),
                ));
            }
            Ok(histories)
        }
    }
}

/// The newest epoch this process knows of, for ETags: raised by every write transaction
/// and feed read, and read again from the database by [`Epoch::refresh_if_stale`] when it
/// is older than [`Epoch::FRESH_FOR`] (so a replica that only serves reads learns of a
/// promotion another replica recorded within that time).
#[derive(Debug, Clone)]
pub(crate) struct Epoch {
    newest: Arc<AtomicI64>,
    checked: Arc<Mutex<Option<Instant>>>,
}

impl Default for Epoch {
    fn default() -> Self {
        Epoch {
            newest: Arc::new(AtomicI64::new(FIRST_EPOCH)),
            checked: Arc::default(),
        }
    }
}

impl Epoch {
    pub(crate) const FRESH_FOR: Duration = Duration::from_secs(1);

    pub(crate) fn get(&self) -> i64 {
        self.newest.load(Ordering::Relaxed)
    }

    pub(crate) fn saw(&self, epoch: i64) {
        self.newest.fetch_max(epoch, Ordering::Relaxed);
        if let Ok(mut checked) = self.checked.lock() {
            *checked = Some(Instant::now());
        }
    }

    /// On PostgreSQL, reads the newest epoch again when the last look is older than
    /// [`Epoch::FRESH_FOR`]. A failure leaves the value as it was (an older epoch only
    /// makes an `If-Match` fail, never pass).
    pub(crate) fn refresh_if_stale(&self, connection: &mut DbConnection) {
        let DbConnection::Postgres(postgres) = connection else {
            return;
        };
        let stale = self
            .checked
            .lock()
            .map(|checked| checked.is_none_or(|at| at.elapsed() >= Epoch::FRESH_FOR))
            .unwrap_or(true);
        if !stale {
            return;
        }
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = BigInt)]
            epoch: i64,
        }
        if let Ok(row) = diesel::sql_query("SELECT max(epoch) AS epoch FROM feed_histories")
            .get_result::<Row>(postgres)
        {
            self.saw(row.epoch);
        }
    }
}

/// A customer's version in the history it was written in: what an `ETag` names. Written
/// `<version>` in the first history (as before histories existed) and
/// `<epoch>.<version>` after, without the quotes of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Etag {
    pub epoch: i64,
    pub version: i64,
}

impl std::fmt::Display for Etag {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.epoch == FIRST_EPOCH {
            write!(formatter, "{}", self.version)
        } else {
            write!(formatter, "{}.{}", self.epoch, self.version)
        }
    }
}

impl std::str::FromStr for Etag {
    type Err = ();

    fn from_str(text: &str) -> Result<Etag, ()> {
        let (epoch, version) = match text.split_once('.') {
            Some((epoch, version)) => (digits(epoch).ok_or(())?, version),
            None => (FIRST_EPOCH, text),
        };
        Ok(Etag {
            epoch,
            version: digits(version).ok_or(())?,
        })
    }
}

/// A non-negative decimal number with nothing else around it (no sign, no spaces).
pub(crate) fn digits(part: &str) -> Option<i64> {
    (!part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit()))
        .then(|| part.parse::<i64>().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::Etag;

    #[test]
    fn an_etag_names_its_history_after_the_first() {
        let first: Etag = "7".parse().expect("an etag");
        assert_eq!(
            first,
            Etag {
                epoch: 1,
                version: 7
            }
        );
        assert_eq!(first.to_string(), "7");
        let later: Etag = "3.7".parse().expect("an etag");
        assert_eq!(
            later,
            Etag {
                epoch: 3,
                version: 7
            }
        );
        assert_eq!(later.to_string(), "3.7");
        for bad in ["", ".", "1.", ".1", "a", "1.2.3", "-1", "+1"] {
            assert!(bad.parse::<Etag>().is_err(), "{bad}");
        }
    }
}
