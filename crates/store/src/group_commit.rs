//! Group commit on SQLite: concurrent write transactions share one commit.
//!
//! SQLite has one writer connection, so write transactions run one after the other anyway;
//! what each also pays on its own is its commit: in WAL mode (`synchronous = NORMAL`),
//! writing every page it dirtied to the WAL, the right-most pages of the customers table,
//! of the feed and of each index, and the trees' upper pages. Four single-customer POSTs
//! committed one by one write those hot pages four times; committed together, once.
//!
//! # How a group forms
//! There is no writer thread: each request's blocking thread runs its own transaction body
//! on its own stack, so nothing has to be `'static` or cross a channel, and a write on an
//! idle server makes no hand-off beyond the one to its blocking thread.
//! 1. A writer announces itself (`waiting`) and takes the group's lock.
//! 2. If the writer before it left a transaction open, it joins that one; otherwise it takes
//!    the writer connection and begins one (`BEGIN IMMEDIATE`, as before).
//! 3. It runs its body in a SAVEPOINT of its own. A body that fails rolls back to its
//!    savepoint and leaves its neighbours' work untouched, exactly as when it ran alone.
//! 4. If another writer is already waiting for the lock (and the group is below
//!    [`MAX_MEMBERS`]), it leaves the transaction open for that writer and waits for the
//!    group's commit. Otherwise it commits the group and tells every member how that went.
//!
//! A member answers only once its group has committed, so a POST still answers after its
//! data is in the WAL (read-your-writes and durability are unchanged), and a commit that
//! fails fails every member of its group: none of them is acknowledged. Bodies run one at a
//! time, in the order writers take the lock, so a member sees the writes of the members
//! before it exactly as if they had committed: the merge of each customer stays atomic, and
//! the feed's rows still commit in `seq` order.
//!
//! A group never waits for writers that have not arrived: it grows only while writers are
//! queued anyway behind the one running. One writer alone commits at once, as before.
//! Under load, a group is about as large as the number of concurrent writers
//! (`write_pool_size` write slots in the API), at most [`MAX_MEMBERS`].
//!
//! # Not on PostgreSQL
//! Sharing a transaction means sharing a connection, so the bodies of a group run one after
//! the other in one database session, where PostgreSQL's write pool runs them side by side.
//! Measured with `bench ingest` (4 connections, batches of 100): grouped, 5,900–9,000
//! customers/s against 22,000–29,600 ungrouped. PostgreSQL already lets concurrent commits
//! share a WAL flush, so its writers keep a transaction each.
//!
//! # Why a waiting writer cannot be stranded
//! A transaction is left open only for a writer already counted in `waiting`, which is
//! blocked on the lock and so will take it: every writer that takes the lock either leaves
//! the transaction for the next counted one or commits it. Nothing between taking the lock
//! and that decision can return early: a body's panic is caught and carried on after the
//! decision, and database errors are values.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;

use crate::connection::{Checkout, DbConnection, Pool};
use crate::error::StoreError;
use crate::sql::WriteSql;

/// The most requests one group commits together: a bound on how long the first of them
/// waits for its answer, and on the size of one commit.
pub(crate) const MAX_MEMBERS: usize = 16;

/// The group commit of one SQLite store (shared by its clones).
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    /// The transaction left open for the next writer, if any.
    open: Mutex<Option<OpenGroup>>,
    /// Writers blocked on `open`'s lock.
    waiting: AtomicUsize,
    /// Groups finished (committed or failed), and the members they held.
    groups: AtomicU64,
    members: AtomicU64,
}

/// A transaction that members have written into and that nobody has committed yet.
struct OpenGroup {
    connection: Checkout,
    members: usize,
    commit: Arc<CommitOutcome>,
}

impl std::fmt::Debug for OpenGroup {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("OpenGroup")
            .field("members", &self.members)
            .finish()
    }
}

/// How a group's commit went, for its members waiting on it: `None` until it is done, then
/// `Ok`, or the commit's error as text (every member reports it).
#[derive(Debug, Default)]
struct CommitOutcome {
    done: Mutex<Option<Result<(), String>>>,
    signal: Condvar,
}

impl CommitOutcome {
    fn set(&self, outcome: Result<(), String>) {
        *self.done.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
        self.signal.notify_all();
    }

    fn wait(&self) -> Result<(), String> {
        let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(outcome) = &*done {
                return outcome.clone();
            }
            done = self
                .signal
                .wait(done)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// How deep in transactions diesel says the connection is (1: the group's, 2: a member's
/// savepoint too); `None` outside a transaction or when diesel lost track of it.
fn depth(sqlite: &mut SqliteConnection) -> Option<u32> {
    AnsiTransactionManager::transaction_manager_status_mut(sqlite)
        .transaction_depth()
        .ok()
        .flatten()
        .map(|depth| depth.get())
}

fn sqlite(connection: &mut DbConnection) -> Result<&mut SqliteConnection, StoreError> {
    match connection {
        DbConnection::Sqlite(sqlite) => Ok(sqlite),
        DbConnection::Postgres(_) => Err(StoreError::Unavailable(
            "group commit is for SQLite only".into(),
        )),
    }
}

impl OpenGroup {
    fn begin(pool: &Pool) -> Result<OpenGroup, StoreError> {
        let mut connection = pool.get()?;
        AnsiTransactionManager::begin_transaction_sql(sqlite(&mut connection)?, "BEGIN IMMEDIATE")?;
        Ok(OpenGroup {
            connection,
            members: 0,
            commit: Arc::default(),
        })
    }

    /// Runs one member's body in its savepoint. A body that panicked has its savepoint
    /// undone here, so the group's transaction stays whole; the panic is returned.
    fn run<T>(
        &mut self,
        body: impl FnOnce(&mut dyn WriteSql) -> Result<T, StoreError>,
    ) -> std::thread::Result<Result<T, StoreError>> {
        let sqlite = match sqlite(&mut self.connection) {
            Ok(sqlite) => sqlite,
            Err(error) => return Ok(Err(error)),
        };
        let ran = panic::catch_unwind(AssertUnwindSafe(|| {
            sqlite.transaction(|sqlite| body(sqlite))
        }));
        if ran.is_err() && depth(sqlite) == Some(2) {
            let _ = AnsiTransactionManager::rollback_transaction(sqlite);
        }
        ran
    }

    /// Whether the group's transaction is still open and sound: SQLite rolls a whole
    /// transaction back by itself after some errors (a full disk, an I/O error), and then
    /// the members before lost their work too.
    fn intact(&mut self) -> bool {
        sqlite(&mut self.connection).is_ok_and(|sqlite| depth(sqlite) == Some(1))
    }

    /// Commits (or, when no longer intact, rolls back) and tells the members.
    fn finish(mut self) -> Result<(), String> {
        let outcome = if self.intact() {
            sqlite(&mut self.connection)
                .and_then(|sqlite| Ok(AnsiTransactionManager::commit_transaction(sqlite)?))
                .map_err(|error| format!("the group's commit failed: {error}"))
        } else {
            if let Ok(sqlite) = sqlite(&mut self.connection) {
                let _ = AnsiTransactionManager::rollback_transaction(sqlite);
            }
            Err("the database rolled the group's transaction back".to_owned())
        };
        self.commit.set(outcome.clone());
        outcome
    }
}

impl GroupCommit {
    /// How many group transactions have finished, and how many writers they held in all
    /// (their ratio is the mean group size, for `/metrics`).
    pub(crate) fn commits(&self) -> (u64, u64) {
        (
            self.groups.load(Ordering::Relaxed),
            self.members.load(Ordering::Relaxed),
        )
    }

    /// Runs `body` in its own savepoint of a group transaction on `pool`'s connection,
    /// and returns its result once the group has committed (see the module docs).
    pub(crate) fn run<T>(
        &self,
        pool: &Pool,
        body: impl FnOnce(&mut dyn WriteSql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let mut group = match open.take() {
            Some(group) => group,
            None => OpenGroup::begin(pool)?,
        };
        let ran = group.run(body);
        group.members += 1;
        let commit = Arc::clone(&group.commit);
        let committed = if group.intact()
            && group.members < MAX_MEMBERS
            && self.waiting.load(Ordering::SeqCst) > 0
        {
            *open = Some(group);
            drop(open);
            match &ran {
                // A member whose body failed wrote nothing: its answer does not wait.
                Ok(Err(_)) => Ok(()),
                _ => commit.wait(),
            }
        } else {
            self.groups.fetch_add(1, Ordering::Relaxed);
            self.members
                .fetch_add(group.members as u64, Ordering::Relaxed);
            // Committed under the lock: the next writer needs this connection anyway.
            let committed = group.finish();
            drop(open);
            committed
        };
        let result = match ran {
            Ok(result) => result,
            Err(panicked) => panic::resume_unwind(panicked),
        };
        match committed {
            Ok(()) => result,
            Err(_) if result.is_err() => result,
            Err(reason) => Err(StoreError::Unavailable(reason)),
        }
    }
}

#[cfg(test)]
mod tests;
