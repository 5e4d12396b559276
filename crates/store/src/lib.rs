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
//!   Writers have a pool of their own, apart from the readers', and wait at most
//!   `lock_timeout` for a lock (then the store reports `Unavailable`), so writers queued
//!   behind one busy code can never take the connections reads need.
//! - SQLite: one writer connection per process (a pool of one) and `BEGIN IMMEDIATE`, which
//!   takes the database's write lock before the first read, also against other processes.
//!   Readers have their own connections and, in WAL mode, never wait for the writer.
//!   WAL checkpoints run on a background thread, not inside a request's commit
//!   (`checkpoint.rs`).
//!
//! # Group commit (SQLite)
//! Writers that arrive while another is writing share its transaction, each in a savepoint
//! of its own, and one commit (`group_commit.rs`): bodies run one at a time, so each sees
//! the ones before it; one body's failure rolls back only its savepoint; each answers only
//! after the shared commit. PostgreSQL's writers keep a transaction each (measured there).
//!
//! Reads are read-your-writes: a write is committed before its POST answers.

mod changes;
mod checkpoint;
mod connection;
mod cursor;
mod customers;
mod error;
mod feed_customers;
mod files;
mod group_commit;
mod history;
mod keys;
mod migrate;
mod reindex;
mod retention;
mod retry;
mod rows;
mod schema;
mod scratch;
mod sql;
mod standby;
mod suppression_key;
mod webhooks;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

pub use changes::{Change, ChangeOp, FeedLag};
pub use connection::{
    ConnectionDefaults, DbConnection, SPARE_FACTOR, SqliteSync, Target, Timeouts, redact_password,
};
pub use cursor::{BadCursor, Cursor};
pub use customers::{
    BatchRequest, Count, EXACT_COUNT_LIMIT, ItemOutcome, ListQuery, Precondition, Suppression,
    prefix_upper_bound,
};
pub use error::StoreError;
pub use feed_customers::FeedCustomer;
pub use history::Etag;
pub use keys::{ApiKeyRecord, NewApiKey};
pub use reindex::ReindexPage;
pub use scratch::ScratchSchema;
pub use sql::advisory_lock_key;
pub use suppression_key::{SuppressionKey, legacy_hash, sha256_hex};
pub use webhooks::{
    AfterFailure, Delivery, KEPT_DELIVERIES, NewWebhook, NextBatch, Progress, Webhook,
};

use checkpoint::Checkpointer;
use connection::{Opened, Pool, build_pool_with};
use group_commit::GroupCommit;
use sql::WriteSql;

/// How to open the store. `Debug` hides the database password.
#[derive(Clone)]
pub struct StoreOptions {
    /// `sqlite://PATH` or `postgres://…`.
    pub url: String,
    /// Connections for reads.
    pub pool_size: u32,
    /// Connections for writes on PostgreSQL, a pool of their own so writers waiting on a
    /// lock can never take the connections reads need (SQLite always has one writer).
    pub write_pool_size: u32,
    /// How long a statement may wait for a lock, and run (503 past either).
    pub timeouts: Timeouts,
    /// The file holding the secret behind stored suppressions (made on first use); `None`
    /// for a secret that lasts as long as the process (tests).
    pub suppression_key_file: Option<PathBuf>,
    /// How long a request waits for a connection before the store reports `Unavailable`.
    pub connect_timeout: Duration,
    /// How PostgreSQL connections notice a server that is gone (libpq settings the
    /// connection string may override).
    pub connection: ConnectionDefaults,
    pub sqlite_sync: SqliteSync,
    /// Apply pending migrations while opening.
    pub migrate: bool,
    /// A hot standby of the PostgreSQL primary to read from (`standby.rs`); `None` reads
    /// from the primary.
    pub read_url: Option<String>,
}

impl StoreOptions {
    /// Read connections unless told otherwise (`database.pool_size`).
    pub const DEFAULT_POOL_SIZE: u32 = 8;
    /// PostgreSQL write connections unless told otherwise (`database.write_pool_size`).
    pub const DEFAULT_WRITE_POOL_SIZE: u32 = 4;
    /// The wait for a connection unless told otherwise (`database.connect_timeout`).
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

    /// The options of `url` with every other setting at its default, the one place the
    /// store's defaults are written (the API's settings take theirs from here).
    pub fn new(url: impl Into<String>) -> StoreOptions {
        StoreOptions {
            url: url.into(),
            pool_size: StoreOptions::DEFAULT_POOL_SIZE,
            write_pool_size: StoreOptions::DEFAULT_WRITE_POOL_SIZE,
            timeouts: Timeouts::default(),
            suppression_key_file: None,
            connect_timeout: StoreOptions::DEFAULT_CONNECT_TIMEOUT,
            connection: ConnectionDefaults::default(),
            sqlite_sync: SqliteSync::default(),
            migrate: true,
            read_url: None,
        }
    }
}

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let StoreOptions {
            url,
            pool_size,
            write_pool_size,
            timeouts,
            suppression_key_file,
            connect_timeout,
            connection,
            sqlite_sync,
            migrate,
            read_url,
        } = self;
        formatter
            .debug_struct("StoreOptions")
            .field("url", &redact_password(url))
            .field("pool_size", pool_size)
            .field("write_pool_size", write_pool_size)
            .field("timeouts", timeouts)
            .field("suppression_key_file", suppression_key_file)
            .field("connect_timeout", connect_timeout)
            .field("connection", connection)
            .field("sqlite_sync", sqlite_sync)
            .field("migrate", migrate)
            .field("read_url", &read_url.as_deref().map(redact_password))
            .finish()
    }
}

/// PostgreSQL connections for the writes of webhook state (a deliverer's lease, its cursor,
/// its attempts; `webhooks.rs`), apart from the writer pool: each is a small write of one
/// subscription's row that takes no customer's lock, and in the writer pool it would wait
/// for a connection behind every ingest write, which is what bounded delivery under load.
pub const WEBHOOK_WRITE_CONNECTIONS: u32 = 1;

/// The state of one connection pool: connections open, of which idle, and the most it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// What SQLite's group commit has done since the store opened: `transactions` write
/// transactions (one per write request) committed in `commits` commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteGroups {
    pub commits: u64,
    pub transactions: u64,
}

/// The database behind the API. Cheap to clone; every method blocks, so async callers run
/// it on a blocking thread, except [`Store::get_inline`], which answers on the caller's
/// thread only when that is cheaper (a SQLite point read with a reader free).
#[derive(Clone)]
pub struct Store {
    readers: Pool,
    writer: Pool,
    /// Connections to the hot standby reads may use (`standby.rs`).
    standby: Option<Pool>,
    /// PostgreSQL: the connection webhook state is written on ([`WEBHOOK_WRITE_CONNECTIONS`]),
    /// opened when first used; `None` on SQLite, where those writes join the group commit.
    webhook_writer: Option<Pool>,
    target: Target,
    suppression_key: SuppressionKey,
    /// SQLite's group commit of concurrent writes (`group_commit.rs`); `None` on PostgreSQL.
    group_commit: Option<Arc<GroupCommit>>,
    /// SQLite's background checkpoints; stops when the last clone of the store is dropped.
    checkpointer: Option<Arc<Checkpointer>>,
    /// The newest history (epoch) of the data this process has seen (`history.rs`).
    epoch: history::Epoch,
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
        if let Target::Sqlite(path) = &target {
            files::prepare_sqlite_files(path)?;
        }
        let pool_of = |target: &Target, size: u32, opened: Opened| {
            build_pool_with(
                target,
                options.sqlite_sync,
                options.timeouts,
                options.connection,
                size,
                options.connect_timeout,
                opened,
            )
        };
        let pool = |size: u32| pool_of(&target, size, Opened::AtOnce);
        let pool_opened = |size: u32, opened: Opened| pool_of(&target, size, opened);
        let standby = match (&options.read_url, &target) {
            (None, _) => None,
            (Some(url), Target::Postgres(_)) => match Target::parse(url)? {
                // A standby that is down when the API starts is no reason not to start:
                // reads go to the primary until it answers.
                standby @ Target::Postgres(_) => {
                    Some(pool_of(&standby, options.pool_size, Opened::OnFirstUse)?)
                }
                Target::Sqlite(_) => return Err(StoreError::ReadUrl),
            },
            (Some(_), Target::Sqlite(_)) => return Err(StoreError::ReadUrl),
        };
        let (readers, writer, checkpointer) = match &target {
            Target::Sqlite(path) => {
                // The writer first: it switches the file to WAL before readers open it.
                let writer = pool(1)?;
                let readers = pool(options.pool_size)?;
                let checkpointer = Checkpointer::start(path, writer.clone())?;
                (readers, writer, Some(Arc::new(checkpointer)))
            }
            Target::Postgres(_) => (
                pool(options.pool_size)?,
                pool(options.write_pool_size.max(1))?,
                None,
            ),
        };
        let webhook_writer = match &target {
            Target::Sqlite(_) => None,
            Target::Postgres(_) => {
                Some(pool_opened(WEBHOOK_WRITE_CONNECTIONS, Opened::OnFirstUse)?)
            }
        };
        let store = Store {
            readers,
            writer,
            standby,
            webhook_writer,
            group_commit: matches!(target, Target::Sqlite(_)).then(Arc::default),
            target,
            suppression_key: match &options.suppression_key_file {
                Some(path) => SuppressionKey::load_or_create(path)?,
                None => SuppressionKey::for_this_process(),
            },
            checkpointer,
            epoch: history::Epoch::default(),
        };
        if options.migrate {
            store.migrate()?;
        }
        if options.suppression_key_file.is_some() {
            store.check_suppression_key(options.migrate)?;
        }
        Ok(store)
    }

    /// Records the suppression secret's fingerprint on first use, and refuses a secret whose
    /// fingerprint differs from the recorded one. A database not migrated yet (no table:
    /// `clientela-api migrate` opens the store before migrating) is left to be checked by
    /// the next start; when `migrated`, any failure is an error.
    fn check_suppression_key(&self, migrated: bool) -> Result<(), StoreError> {
        use schema::suppression_key_check as check;
        let fingerprint = self.suppression_key.fingerprint();
        let recorded = (|| -> Result<String, StoreError> {
            let mut connection = self.writer.get()?;
            // The same text on both backends (diesel's portable connection has no upsert);
            // the fingerprint is hexadecimal digits of our own making.
            connection.batch_execute(&format!(
                "INSERT INTO suppression_key_check (id, fingerprint) VALUES (1, '{fingerprint}') \
                 ON CONFLICT (id) DO NOTHING"
            ))?;
            Ok(check::table
                .select(check::fingerprint)
                .filter(check::id.eq(1))
                .first(&mut *connection)?)
        })();
        match recorded {
            Ok(recorded) if recorded == fingerprint => Ok(()),
            Ok(_) => Err(StoreError::SuppressionKeyMismatch),
            Err(error) if migrated => Err(error),
            Err(_) => Ok(()),
        }
    }

    /// The ETag of a customer at `version`: it names the history of the data too, so that
    /// after a promotion that lost the old primary's last writes (whose versions the new
    /// primary gives out again) an `If-Match` from before fails instead of matching other
    /// contents (`history.rs`).
    pub fn etag(&self, version: i64) -> Etag {
        Etag {
            epoch: self.epoch.get(),
            version,
        }
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

    /// How busy the connection pools are (for `/metrics`): a reader pool, a writer pool (one
    /// connection on SQLite), and on PostgreSQL the webhook writes' connection.
    pub fn pool_usage(&self) -> Vec<PoolUsage> {
        let usage = |name: &'static str, pool: &Pool| {
            let state = pool.state();
            PoolUsage {
                pool: name,
                open: state.connections,
                idle: state.idle_connections,
                max: pool.size(),
            }
        };
        let mut pools = vec![usage("read", &self.readers), usage("write", &self.writer)];
        if let Some(webhook_writer) = &self.webhook_writer {
            pools.push(usage("webhook", webhook_writer));
        }
        pools
    }

    /// SQLite's group commit so far (for `/metrics`); `None` on PostgreSQL, where every
    /// write transaction commits on its own.
    pub fn write_groups(&self) -> Option<WriteGroups> {
        self.group_commit.as_ref().map(|group_commit| {
            let (commits, transactions) = group_commit.commits();
            WriteGroups {
                commits,
                transactions,
            }
        })
    }

    /// After an erasure on SQLite, empties the WAL into the database file and truncates it, so
    /// no copy of the erased customer's pages stays on disk (see `checkpoint.rs`): now when
    /// no reader is in the way, else as soon as the last one is done. Never holds writers back
    /// waiting for a reader.
    fn scrub_sqlite_wal(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.scrub(&self.writer);
        }
    }

    /// Closes every connection opened before `started` as soon as it is idle, rather than
    /// use it again: a call that started then passed its deadline, and the server behind
    /// them may be frozen (see `connection.rs`, "Abandoned calls"). The calls after open
    /// new connections.
    pub fn fence(&self, started: std::time::Instant) {
        self.readers.fence(started);
        self.writer.fence(started);
        for pool in [&self.standby, &self.webhook_writer].into_iter().flatten() {
            pool.fence(started);
        }
    }

    /// Checks that the database answers (for `/readyz`).
    pub fn ping(&self) -> Result<(), StoreError> {
        diesel::sql_query("SELECT 1").execute(&mut *self.readers.get()?)?;
        Ok(())
    }

    /// Runs `body` in a write transaction that holds the locks of `codes` (see the crate
    /// docs), and returns once it has committed. Everything `body` does commits together or
    /// not at all.
    /// - SQLite: `body` runs in a savepoint of a transaction it may share with concurrent
    ///   writers, committed once for all of them ([`group_commit`]).
    /// - PostgreSQL: a transaction of its own. One the database aborted for a serialization
    ///   failure or a deadlock runs again, a bounded number of times ([`retry`]), so `body`
    ///   must be safe to run more than once: it is, since a rolled-back attempt left nothing
    ///   behind.
    fn write_transaction<T>(
        &self,
        codes: &[&str],
        body: impl FnMut(&mut dyn WriteSql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.write_transaction_on(&self.writer, codes, body)
    }

    /// [`Store::write_transaction`] on a connection of `pool` (on PostgreSQL; SQLite has its
    /// one writer).
    fn write_transaction_on<T>(
        &self,
        pool: &Pool,
        codes: &[&str],
        mut body: impl FnMut(&mut dyn WriteSql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if let Some(group_commit) = &self.group_commit {
            return group_commit.run(&self.writer, body);
        }
        let mut connection = pool.get()?;
        retry::with_retries(|| match &mut *connection {
            DbConnection::Sqlite(sqlite) => sqlite.immediate_transaction(|sqlite| body(sqlite)),
            DbConnection::Postgres(postgres) => {
                // Whether the transaction's work was done and its COMMIT asked for: a lost
                // connection then leaves the outcome unknown, not "nothing happened".
                let mut committing = false;
                let outcome: Result<T, StoreError> = postgres.transaction(|postgres| {
                    self.epoch.saw(history::enter(postgres)?);
                    sql::lock_codes(postgres, codes)?;
                    let value = body(postgres)?;
                    committing = true;
                    Ok(value)
                });
                match outcome {
                    Err(error) if committing && error.is_connection_lost() => {
                        Err(StoreError::CommitLost(error.to_string()))
                    }
                    outcome => outcome,
                }
            }
        })
    }
}
