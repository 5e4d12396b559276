//! SQLite WAL checkpoints off the request path.
//!
//! In WAL mode a commit appends pages to the `-wal` file; a *checkpoint* copies them back
//! into the database file and syncs it. SQLite's default is to checkpoint inside whichever
//! commit pushes the WAL past 1000 pages, so that one request (and every request queued
//! behind the single writer) waits for a copy and an `fsync`: a single customer's commit
//! writes about five pages, so under load that is one request in two hundred. Measured
//! with `cargo xtask bench read`: single-POST p99 5.3 ms with the default, 2.1 ms without it.
//!
//! So every connection of the store turns automatic checkpoints off, and one thread per
//! store, with its own connection, checkpoints in the background:
//! - every [`INTERVAL`], a `PASSIVE` checkpoint: it copies what it can without waiting for
//!   anyone, while the writer goes on committing;
//! - when the WAL still holds more than [`RESTART_FRAMES`] pages after that, a `RESTART`
//!   checkpoint, which makes the next commit write the WAL from its start again. A passive
//!   checkpoint never catches up with a writer that never pauses, so without this the file
//!   would grow for as long as the load lasts. The restart runs on the store's writer
//!   connection, taken from its pool like any write: it waits its turn behind the commit
//!   in progress instead of racing writers for SQLite's lock (which a busy writer would win
//!   every time), holds writers back only while it copies the pages of the last few
//!   milliseconds, and cannot be starved. It does not wait for readers: one still reading
//!   an old snapshot makes it give up until the next tick.
//! - after an erasure, a `TRUNCATE` checkpoint, so no copy of the erased customer's pages
//!   stays in the `-wal` file ([`Checkpointer::scrub`]). It needs every reader of the file
//!   to have moved past the erasure: a long-running reader (another process copying the
//!   file, `sqlite3 .backup`) holds it off. A truncation that waits also holds every writer
//!   back, so it never waits: it is tried on the writer's connection with no busy wait, and
//!   when a reader is in the way, it is tried again every [`INTERVAL`] until it succeeds.
//!   The erased data leaves the WAL as soon as the last reader that could see it is done.
//! - when the store is dropped, a `TRUNCATE` checkpoint, leaving an empty WAL.
//!
//! Durability does not change: a commit is in the WAL (and, with `synchronous = FULL`,
//! synced) before it is acknowledged, whenever it is later checkpointed.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Integer;

use crate::connection::{DbConnection, Pool};
use crate::error::StoreError;

/// How often the WAL is checkpointed.
pub(crate) const INTERVAL: Duration = Duration::from_millis(100);

/// WAL pages (4 KiB each: 64 MiB) past which the WAL is restarted.
pub(crate) const RESTART_FRAMES: i32 = 16_384;

/// The background checkpoint thread of one SQLite store; stops (after a last checkpoint)
/// when dropped.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// An erasure's WAL truncation is still to be done (see [`Checkpointer::scrub`]).
    scrub_pending: Arc<AtomicBool>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path`, whose writes go through `writer`.
    pub(crate) fn start(path: &Path, writer: Pool) -> Result<Checkpointer, StoreError> {
        let mut connection = SqliteConnection::establish(&path.to_string_lossy())
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        connection.batch_execute("PRAGMA busy_timeout = 10000;")?;
        let (stop, stopped) = mpsc::channel();
        let scrub_pending = Arc::new(AtomicBool::new(false));
        let pending = scrub_pending.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(connection, &writer, &stopped, &pending))?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
            scrub_pending,
        })
    }

    /// After an erasure: truncates the WAL now if no reader is in the way, else leaves it to
    /// the checkpoint thread, which tries again until it succeeds. Never waits for a reader.
    pub(crate) fn scrub(&self, writer: &Pool) {
        match try_truncate(writer) {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(
                    "a reader of the database file holds the WAL; the erased data leaves it \
                     once that reader is done"
                );
                self.scrub_pending.store(true, Ordering::Release);
            }
            Err(error) => {
                tracing::warn!(%error, "the WAL could not be truncated after an erasure; will retry");
                self.scrub_pending.store(true, Ordering::Release);
            }
        }
    }
}

/// A `TRUNCATE` checkpoint on the writer's connection, without waiting: true when the WAL is
/// empty now, false when a reader (or another process's writer) is in the way.
pub(crate) fn try_truncate(writer: &Pool) -> Result<bool, StoreError> {
    let mut connection = writer.get()?;
    let DbConnection::Sqlite(sqlite) = &mut *connection else {
        return Ok(true);
    };
    let state = without_waiting(sqlite, Mode::Truncate)?;
    Ok(state.busy == 0 && state.log <= 0)
}

/// A checkpoint on the writer's connection that does not wait for readers (its busy timeout
/// set to zero for it): a RESTART or TRUNCATE that waits holds every writer back meanwhile.
fn without_waiting(writer: &mut SqliteConnection, mode: Mode) -> QueryResult<WalState> {
    let waits: BusyTimeout = diesel::sql_query("PRAGMA busy_timeout").get_result(writer)?;
    writer.batch_execute("PRAGMA busy_timeout = 0")?;
    let state = checkpoint(writer, mode);
    writer.batch_execute(&format!("PRAGMA busy_timeout = {}", waits.timeout))?;
    state
}

#[derive(QueryableByName)]
struct BusyTimeout {
    #[diesel(sql_type = Integer)]
    timeout: i32,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(
    mut connection: SqliteConnection,
    writer: &Pool,
    stopped: &Receiver<()>,
    scrub_pending: &AtomicBool,
) {
    let mut failing = false;
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        if scrub_pending.load(Ordering::Acquire) && matches!(try_truncate(writer), Ok(true)) {
            scrub_pending.store(false, Ordering::Release);
            tracing::info!("the WAL is truncated: the erased data has left it");
        }
        match tick(&mut connection, writer, RESTART_FRAMES) {
            Ok(_) => failing = false,
            // Said once per failing stretch, not ten times a second.
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "SQLite checkpoint failed; will retry");
            }
            Err(_) => {}
        }
    }
    if let Err(error) = checkpoint(&mut connection, Mode::Truncate) {
        tracing::warn!(%error, "last SQLite checkpoint failed; the WAL stays until next start");
    }
}

/// One round: a passive checkpoint, then a restart on the writer's connection if the WAL
/// is still over `restart_frames`. Returns the state the last checkpoint left.
pub(crate) fn tick(
    connection: &mut SqliteConnection,
    writer: &Pool,
    restart_frames: i32,
) -> Result<WalState, StoreError> {
    let state = checkpoint(connection, Mode::Passive)?;
    if state.log <= restart_frames {
        return Ok(state);
    }
    match &mut *writer.get()? {
        DbConnection::Sqlite(writer) => Ok(without_waiting(writer, Mode::Restart)?),
        DbConnection::Postgres(_) => Ok(state),
    }
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Passive,
    Restart,
    Truncate,
}

/// What `PRAGMA wal_checkpoint` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub(crate) struct WalState {
    /// 1 when a RESTART or TRUNCATE could not finish (someone held on past the timeout).
    #[diesel(sql_type = Integer)]
    pub busy: i32,
    /// Pages in the WAL (-1 when the database is not in WAL mode).
    #[diesel(sql_type = Integer)]
    pub log: i32,
    /// Pages of the WAL already copied into the database.
    #[diesel(sql_type = Integer)]
    pub checkpointed: i32,
}

fn checkpoint(connection: &mut SqliteConnection, mode: Mode) -> QueryResult<WalState> {
    let pragma = match mode {
        Mode::Passive => "PRAGMA wal_checkpoint(PASSIVE)",
        Mode::Restart => "PRAGMA wal_checkpoint(RESTART)",
        Mode::Truncate => "PRAGMA wal_checkpoint(TRUNCATE)",
    };
    diesel::sql_query(pragma).get_result(connection)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::connection::{SqliteSync, Target, build_pool};

    fn writer_pool(path: &Path) -> Pool {
        let pool = build_pool(
            &Target::Sqlite(path.to_owned()),
            SqliteSync::Normal,
            1,
            Duration::from_secs(10),
        )
        .unwrap();
        let mut connection = pool.get().unwrap();
        connection
            .batch_execute("CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY, text TEXT)")
            .unwrap();
        drop(connection);
        pool
    }

    /// Commits rows `rows`, one transaction each, through the writer pool.
    fn write(pool: &Pool, rows: std::ops::Range<i32>) {
        for n in rows {
            diesel::sql_query("INSERT INTO t (n, text) VALUES (?, ?)")
                .bind::<Integer, _>(n)
                .bind::<diesel::sql_types::Text, _>("x".repeat(100))
                .execute(&mut *pool.get().unwrap())
                .unwrap();
        }
    }

    /// Pages (4 KiB) in the WAL file, which only grows: its high-water mark.
    fn wal_pages(path: &Path) -> u64 {
        std::fs::metadata(path.with_extension("db-wal")).map_or(0, |meta| meta.len() / 4096)
    }

    /// Checkpoints `path` fifty times, 10 ms apart, restarting past `restart_frames`,
    /// while another thread commits as fast as it can; returns the WAL's size in pages and
    /// how many commits were made meanwhile (each appends at least one page to the WAL).
    fn under_a_writer_that_never_pauses(path: &Path, restart_frames: i32) -> (u64, u64) {
        let pool = writer_pool(path);
        let stop = AtomicBool::new(false);
        let commits = std::thread::scope(|scope| {
            let writer = scope.spawn(|| {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    write(&pool, n..n + 1);
                    n += 1;
                }
                u64::try_from(n).unwrap_or(0)
            });
            let mut checkpointer = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
            for _ in 0..50 {
                std::thread::sleep(Duration::from_millis(10));
                tick(&mut checkpointer, &pool, restart_frames).unwrap();
            }
            stop.store(true, Ordering::Relaxed);
            writer.join().unwrap()
        });
        (wal_pages(path), commits)
    }

    /// Measured against the commits each run made, not against each other: how fast the
    /// writer goes depends on what else the machine runs.
    #[test]
    fn a_wal_over_the_limit_is_restarted_so_it_stops_growing() {
        let folder = tempfile::tempdir().unwrap();
        let (passive_only, passive_commits) =
            under_a_writer_that_never_pauses(&folder.path().join("a.db"), i32::MAX);
        let (restarting, restarting_commits) =
            under_a_writer_that_never_pauses(&folder.path().join("b.db"), 256);
        eprintln!(
            "WAL pages: passive only {passive_only} after {passive_commits} commits, \
             restarting past 256: {restarting} after {restarting_commits} commits"
        );
        assert!(
            passive_only >= passive_commits / 2,
            "passive checkpoints alone never catch up, the WAL grows with the commits: \
             {passive_only} pages after {passive_commits} commits"
        );
        assert!(
            restarting < (restarting_commits / 4).max(1_024),
            "restarts keep the WAL near the limit: {restarting} pages after \
             {restarting_commits} commits"
        );
    }

    #[test]
    fn dropping_the_checkpointer_copies_everything_and_empties_the_wal() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("test.db");
        let pool = writer_pool(&path);
        let checkpointer = Checkpointer::start(&path, pool.clone()).unwrap();
        write(&pool, 0..100);
        assert!(wal_pages(&path) >= 100, "every commit is in the WAL");
        drop(checkpointer);
        assert_eq!(wal_pages(&path), 0, "WAL truncated");
        let rows: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM t)",
        ))
        .get_result(&mut *pool.get().unwrap())
        .unwrap();
        assert_eq!(rows, 100, "nothing lost");
    }
}
