//! clientela-store: customers, suppressions and API keys in SQLite or PostgreSQL.
//!
//! One [`Store`] serves both backends: reads go through diesel's `MultiConnection`, written
//! once; writes go through `sql::WriteSql`, the same diesel code compiled for each backend.
//!
//! # The write path (batch upsert)
//! A `POST /customers` batch is one transaction: read the batch's stored rows in one query,
//! apply each merge patch in Rust (in order, so a code sent twice sees its first patch), and
//! write every changed row with one multi-row `INSERT … ON CONFLICT (code) DO UPDATE`.
//! Unchanged customers are not written.
//!
//! # Concurrency: no lost updates
//! A merge reads a customer and writes it back, so two merges of one code must not
//! interleave. Every writer holds the code's lock from before its read until its commit:
//! - PostgreSQL: `pg_advisory_xact_lock` on a hash of each code, taken for the whole batch
//!   first, in sorted order (`sql::lock_codes`). It covers codes that do not exist yet
//!   (which `SELECT … FOR UPDATE` cannot), holds across any number of API replicas sharing
//!   the database, and the fixed order rules out deadlocks between overlapping batches.
//! - SQLite: one writer connection per process (a pool of one) and `BEGIN IMMEDIATE`, which
//!   takes the database's write lock before the first read, also against other processes.
//!   Readers have their own connections and, in WAL mode, never wait for the writer.
//!   WAL checkpoints run on a background thread, not inside a request's commit
//!   (`checkpoint.rs`).
//!
//! Reads are read-your-writes: a write is committed before its POST answers.

mod changes;
mod checkpoint;
mod connection;
mod customers;
mod error;
mod keys;
mod migrate;
mod reindex;
mod retry;
mod rows;
mod schema;
mod scratch;
mod sql;

use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;

pub use changes::{BadCursor, Change, ChangeOp, Cursor};
pub use connection::{DbConnection, SqliteSync, Target};
pub use customers::{
    BatchRequest, ItemFailure, ItemOutcome, ListQuery, Precondition, prefix_upper_bound,
};
pub use error::StoreError;
pub use keys::{ApiKeyRecord, NewApiKey};
pub use reindex::ReindexPage;
pub use scratch::ScratchSchema;
pub use sql::code_hash;

use checkpoint::Checkpointer;
use connection::{Pool, build_pool};
use sql::WriteSql;

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://PATH` or `postgres://…`.
    pub url: String,
    /// Connections for reads (and, on PostgreSQL, writes).
    pub pool_size: u32,
    /// How long a request waits for a connection before the store reports `Unavailable`.
    pub connect_timeout: Duration,
    pub sqlite_sync: SqliteSync,
    /// Apply pending migrations while opening.
    pub migrate: bool,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> StoreOptions {
        StoreOptions {
            url: url.into(),
            pool_size: 8,
            connect_timeout: Duration::from_secs(5),
            sqlite_sync: SqliteSync::Normal,
            migrate: true,
        }
    }
}

/// The state of one connection pool: connections open, of which idle, and the most it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// The database behind the API. Cheap to clone; every method blocks, so async callers run
/// it on a blocking thread, except [`Store::get_inline`], which answers on the caller's
/// thread only when that is cheaper (a SQLite point read with a reader free).
#[derive(Clone)]
pub struct Store {
    readers: Pool,
    writer: Pool,
    target: Target,
    /// SQLite's background checkpoints; stops when the last clone of the store is dropped.
    _checkpointer: Option<Arc<Checkpointer>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Store")
            .field("target", &self.kind())
            .finish()
    }
}

impl Store {
    pub fn open(options: &StoreOptions) -> Result<Store, StoreError> {
        let target = Target::parse(&options.url)?;
        if let Target::Sqlite(path) = &target
            && let Some(folder) = path
                .parent()
                .filter(|folder| !folder.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder)?;
        }
        let (readers, writer, checkpointer) = match &target {
            Target::Sqlite(path) => {
                // The writer first: it switches the file to WAL before readers open it.
                let writer = build_pool(&target, options.sqlite_sync, 1, options.connect_timeout)?;
                let readers = build_pool(
                    &target,
                    options.sqlite_sync,
                    options.pool_size,
                    options.connect_timeout,
                )?;
                let checkpointer = Checkpointer::start(path, writer.clone())?;
                (readers, writer, Some(Arc::new(checkpointer)))
            }
            Target::Postgres(_) => {
                let pool = build_pool(
                    &target,
                    options.sqlite_sync,
                    options.pool_size,
                    options.connect_timeout,
                )?;
                (pool.clone(), pool, None)
            }
        };
        let store = Store {
            readers,
            writer,
            target,
            _checkpointer: checkpointer,
        };
        if options.migrate {
            store.migrate()?;
        }
        Ok(store)
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn kind(&self) -> &'static str {
        match self.target {
            Target::Sqlite(_) => "sqlite",
            Target::Postgres(_) => "postgres",
        }
    }

    /// Applies pending migrations; returns the names of those applied.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        migrate::run_pending(&mut *self.writer.get()?)
    }

    /// How busy the connection pools are (for `/metrics`). SQLite has a reader pool and a
    /// one-connection writer pool; PostgreSQL one pool for both.
    pub fn pool_usage(&self) -> Vec<PoolUsage> {
        let usage = |name: &'static str, pool: &Pool| {
            let state = pool.state();
            PoolUsage {
                pool: name,
                open: state.connections,
                idle: state.idle_connections,
                max: pool.max_size(),
            }
        };
        match self.target {
            Target::Sqlite(_) => vec![usage("read", &self.readers), usage("write", &self.writer)],
            Target::Postgres(_) => vec![usage("shared", &self.readers)],
        }
    }

    /// Checks that the database answers (for `/readyz`).
    pub fn ping(&self) -> Result<(), StoreError> {
        diesel::sql_query("SELECT 1").execute(&mut *self.readers.get()?)?;
        Ok(())
    }

    /// Runs `body` in a write transaction that holds the locks of `codes` (see the crate
    /// docs). Everything `body` does commits together or not at all. A transaction the
    /// database aborted for a serialization failure or a deadlock runs again, a bounded
    /// number of times ([`retry`]), so `body` must be safe to run more than once: it is,
    /// since a rolled-back attempt left nothing behind.
    fn write_transaction<T>(
        &self,
        codes: &[&str],
        mut body: impl FnMut(&mut dyn WriteSql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = self.writer.get()?;
        retry::with_retries(|| match &mut *connection {
            DbConnection::Sqlite(sqlite) => sqlite.immediate_transaction(|sqlite| body(sqlite)),
            DbConnection::Postgres(postgres) => postgres.transaction(|postgres| {
                sql::lock_codes(postgres, codes)?;
                body(postgres)
            }),
        })
    }
}
