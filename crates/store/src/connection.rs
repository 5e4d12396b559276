//! Connections and pools for both backends, chosen from the URL scheme.
//!
//! `sqlite://PATH` opens (and creates) a SQLite file in WAL mode; `postgres://` or
//! `postgresql://` opens PostgreSQL, and so does a libpq keyword/value string
//! (`host=db1,db2 port=5432 dbname=clientela`), given to libpq as it is. Any other scheme
//! is an error, never a silent SQLite file.
//!
//! # Dead connections (PostgreSQL)
//! A server that stops answering without closing its connections (a frozen or partitioned
//! primary) would hold every request that uses one for as long as the kernel retries
//! (15 minutes and more). Every connection is therefore opened with libpq's
//! `tcp_user_timeout`, TCP keepalives and a per-host `connect_timeout` ([`ConnectionDefaults`],
//! settings of their own), unless the connection string sets them: the defaults are put
//! *before* the user's settings and libpq takes the last value of a keyword, so no parsing
//! of the string is needed. A connection that failed is refused by the ping of the next
//! check-out (libpq knows it is closed, so that costs nothing) and the pool opens a new one
//! through the whole multi-host list.
//!
//! # Abandoned calls (PostgreSQL)
//! A server that is frozen (its kernel still acknowledges every packet) holds a call on it
//! for as long as it stays frozen: no TCP setting ends that wait, and libpq has no deadline
//! of its own. The API gives every call a deadline and answers 503 when it passes; the
//! call's thread and connection stay behind until the server answers or dies. Two things
//! keep such calls from taking the service down with them:
//! - a *fence* ([`Pool::fence`], raised when a call passes its deadline): every connection
//!   opened before that call started is closed instead of being checked out again (without
//!   the ping, which would hang on the same server) or put back, so the calls after it open
//!   connections through the multi-host list again, to the new primary once there is one.
//!   Connections opened since the call started are kept: another call abandoned later, but
//!   started as long ago, does not throw away the ones that found the new primary;
//! - room for them: each PostgreSQL pool may open twice its size ([`SPARE_FACTOR`]), while
//!   the API lets at most its size of calls run at once (its read and write slots), so the
//!   calls abandoned on a dead server cannot use up the connections of the live ones.
//!
//! We connect to the variant the scheme names ourselves rather than through
//! `MultiConnection::establish`, which would try every backend in turn.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};

use crate::error::StoreError;

mod conninfo;

pub use conninfo::{ConnectionDefaults, redact_password};

/// One connection to either backend; queries written once with diesel's DSL run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// How many connections a PostgreSQL pool may open per connection the API uses at once: the
/// rest is room for calls abandoned at their deadline (see the module docs).
pub const SPARE_FACTOR: u32 = 2;

/// A pool of connections to one database, with its fence (see the module docs). Cheap to
/// clone; clones share the connections and the fence.
#[derive(Clone)]
pub(crate) struct Pool {
    inner: r2d2::Pool<Manager>,
    /// Connections opened before this moment ([`moment`]) are closed, not used again.
    fence: Arc<AtomicU64>,
    /// Whether a thread is opening a connection after a fence.
    reconnecting: Arc<AtomicBool>,
    /// How many connections the API uses at once (the pool may open more, for abandoned
    /// calls).
    size: u32,
}

/// A connection checked out of a [`Pool`]; goes back when dropped.
pub(crate) struct Checkout(r2d2::PooledConnection<Manager>);

impl std::ops::Deref for Checkout {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.0.connection
    }
}

impl std::ops::DerefMut for Checkout {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.0.connection
    }
}

impl Pool {
    /// A connection, waiting up to the pool's connection timeout for one.
    pub fn get(&self) -> Result<Checkout, r2d2::PoolError> {
        self.inner.get().map(Checkout)
    }

    /// A connection, only if one is idle right now.
    pub fn try_get(&self) -> Option<Checkout> {
        self.inner.try_get().map(Checkout)
    }

    pub fn state(&self) -> r2d2::State {
        self.inner.state()
    }

    /// How many connections the API uses at once.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Closes every connection opened before `started` as soon as it is idle, instead of
    /// checking it out again: a call that started then passed its deadline, so the server
    /// behind them may not be answering (see the module docs).
    ///
    /// A thread then opens one new connection right away, so the next call finds it ready
    /// rather than paying for the host list itself (a new connection skips a frozen server
    /// only after `host_connect_timeout`).
    pub fn fence(&self, started: Instant) {
        let at = moment(started);
        if self.fence.fetch_max(at, Ordering::SeqCst) >= at
            || self.reconnecting.swap(true, Ordering::SeqCst)
        {
            return;
        }
        let pool = self.clone();
        let spawned = std::thread::Builder::new()
            .name("reconnect".into())
            .spawn(move || {
                drop(pool.inner.get());
                pool.reconnecting.store(false, Ordering::SeqCst);
            });
        if spawned.is_err() {
            self.reconnecting.store(false, Ordering::SeqCst);
        }
    }
}

/// `at` as nanoseconds since a second before the first moment asked for, for fences.
fn moment(at: Instant) -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(|| at.checked_sub(Duration::from_secs(1)).unwrap_or(at));
    u64::try_from(at.saturating_duration_since(origin).as_nanos()).unwrap_or(u64::MAX)
}

/// Why a connection was closed at check-out by a fence (not an error worth logging).
const FENCED_OFF: &str = "opened before a call on it passed its deadline";

/// What r2d2 reports of the connections it fails to open or check: logged as warnings,
/// except connections a fence closed.
#[derive(Debug)]
struct PoolErrors;

impl r2d2::HandleError<r2d2::Error> for PoolErrors {
    fn handle_error(&self, error: r2d2::Error) {
        let text = error.to_string();
        if text.contains(FENCED_OFF) {
            tracing::debug!("a connection opened before a missed deadline was closed");
        } else {
            tracing::warn!(error = %text.trim(), "a database connection failed");
        }
    }
}

/// A pooled connection and when it was opened ([`moment`]).
pub(crate) struct Fenced {
    connection: DbConnection,
    opened: u64,
}

/// How SQLite makes a commit durable: `Normal` survives a crash of the process (the WAL is
/// written before the commit is acknowledged), `Full` also survives power loss. The API's
/// setting `database.sqlite_synchronous` reads it by its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    #[default]
    Normal,
    Full,
}

/// Where the data lives, parsed from the URL. `Debug` hides a PostgreSQL password.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for Target {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sqlite(path) => formatter.debug_tuple("Sqlite").field(path).finish(),
            Target::Postgres(url) => formatter
                .debug_tuple("Postgres")
                .field(&redact_password(url))
                .finish(),
        }
    }
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, StoreError> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(StoreError::UnknownScheme(redact_password(url)));
            }
            return Ok(Target::Sqlite(PathBuf::from(path)));
        }
        // libpq decides what a PostgreSQL connection string is: a URL or keyword/value
        // pairs it reads, setting at least one keyword.
        match conninfo::read(url) {
            Ok(keywords) if !keywords.is_empty() => Ok(Target::Postgres(url.to_owned())),
            _ => Err(StoreError::UnknownScheme(redact_password(url))),
        }
    }
}

/// How long a statement may wait, and run, before the database gives up on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Waiting for a lock: PostgreSQL's `lock_timeout` (a code's advisory lock, a row), and
    /// SQLite's `busy_timeout` (the database's write lock, held by another process).
    pub lock: Duration,
    /// Running one statement: PostgreSQL's `statement_timeout` (SQLite has none).
    pub statement: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            lock: Duration::from_secs(5),
            statement: Duration::from_secs(30),
        }
    }
}

/// Opens connections of the backend the [`Target`] names.
#[derive(Debug)]
pub(crate) struct Manager {
    pub target: Target,
    pub sync: SqliteSync,
    pub timeouts: Timeouts,
    /// On PostgreSQL, the connection string with [`ConnectionDefaults`] applied.
    pub conninfo: String,
    /// The pool's fence: connections opened before it are closed.
    pub fence: Arc<AtomicU64>,
}

impl Manager {
    fn fenced_off(&self, connection: &Fenced) -> bool {
        connection.opened < self.fence.load(Ordering::SeqCst)
    }
}

impl ManageConnection for Manager {
    type Connection = Fenced;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Fenced, r2d2::Error> {
        let opened = moment(Instant::now());
        Ok(Fenced {
            connection: self.open()?,
            opened,
        })
    }

    /// Pings the connection, unless a fence raised since it was opened already condemns it
    /// (the ping could hang on the server that made the call before it pass its deadline).
    fn is_valid(&self, connection: &mut Fenced) -> Result<(), r2d2::Error> {
        if self.fenced_off(connection) {
            return Err(r2d2::Error::QueryError(
                diesel::result::Error::BrokenTransactionManager,
            ));
        }
        connection
            .connection
            .ping()
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, connection: &mut Fenced) -> bool {
        self.fenced_off(connection) || connection.connection.is_broken()
    }
}

impl Manager {
    fn open(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.target {
            Target::Sqlite(path) => {
                let path = path.to_string_lossy();
                let mut connection =
                    SqliteConnection::establish(&path).map_err(r2d2::Error::ConnectionError)?;
                let synchronous = match self.sync {
                    SqliteSync::Normal => "NORMAL",
                    SqliteSync::Full => "FULL",
                };
                // busy_timeout first: switching to WAL itself may wait on another process.
                // Checkpoints are the store's background thread's job (`checkpoint`).
                // secure_delete: erased customers' bytes are overwritten with zeros in the
                // database file, not merely marked free (right to erasure).
                // temp_store = MEMORY: a group commit's savepoints keep the pages they may
                // have to restore in memory rather than spilling them to a temporary file
                // (`group_commit.rs`); no temporary file of this database is ever written.
                connection
                    .batch_execute(&format!(
                        "PRAGMA busy_timeout = {busy}; PRAGMA journal_mode = WAL; \
                         PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON; \
                         PRAGMA wal_autocheckpoint = 0; PRAGMA secure_delete = ON; \
                         PRAGMA temp_store = MEMORY;",
                        busy = self.timeouts.lock.as_millis()
                    ))
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(connection))
            }
            Target::Postgres(_) => {
                let mut connection = PgConnection::establish(&self.conninfo)
                    .map_err(r2d2::Error::ConnectionError)?;
                // A writer waiting on a code another session holds, or a statement that runs
                // away, gives up (503 to the client) instead of holding its connection.
                connection
                    .batch_execute(&format!(
                        "SET lock_timeout = {}; SET statement_timeout = {};",
                        self.timeouts.lock.as_millis().max(1),
                        self.timeouts.statement.as_millis().max(1)
                    ))
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Postgres(connection))
            }
        }
    }
}

/// Connects once before the pool is built, so a database that cannot be reached is reported
/// once, with its reason, rather than by the pool's own logging of every failed attempt
/// (an ERROR line each, for the whole `connect_timeout`). A database that does not exist or
/// refuses the credentials will not change its mind: that fails at once; anything else (a
/// server still starting) is tried again quietly until `timeout`.
fn first_connection(manager: &Manager, timeout: Duration) -> Result<(), StoreError> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let error = match manager.connect() {
            Ok(_) => return Ok(()),
            Err(error) => error.to_string(),
        };
        let lasting = ["does not exist", "authentication failed", "password"]
            .iter()
            .any(|reason| error.contains(reason));
        if lasting || std::time::Instant::now() >= deadline {
            return Err(StoreError::Unavailable(error.trim().to_owned()));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
pub(crate) fn build_pool(
    target: &Target,
    sync: SqliteSync,
    size: u32,
    timeout: Duration,
) -> Result<Pool, StoreError> {
    build_pool_with(
        target,
        sync,
        Timeouts::default(),
        ConnectionDefaults::default(),
        size,
        timeout,
        Opened::AtOnce,
    )
}

/// When a pool opens its first connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opened {
    /// While it is built, which fails if the database cannot be reached.
    AtOnce,
    /// When a connection is first asked for (a pool that may never be used).
    OnFirstUse,
}

pub(crate) fn build_pool_with(
    target: &Target,
    sync: SqliteSync,
    timeouts: Timeouts,
    defaults: ConnectionDefaults,
    size: u32,
    timeout: Duration,
    opened: Opened,
) -> Result<Pool, StoreError> {
    let fence = Arc::new(AtomicU64::new(0));
    let manager = Manager {
        target: target.clone(),
        sync,
        timeouts,
        fence: fence.clone(),
        conninfo: match target {
            Target::Postgres(conninfo) => defaults
                .apply(conninfo)
                .map_err(|_| StoreError::UnknownScheme(redact_password(conninfo)))?,
            Target::Sqlite(_) => String::new(),
        },
    };
    // A PostgreSQL connection may have died in the pool (a restart, a failover): checking
    // it out pings it first, so a dead one is replaced instead of failing a request, and
    // the API recovers by itself once the database is back. SQLite connections are files.
    let postgres = matches!(target, Target::Postgres(_));
    let builder = r2d2::Pool::builder()
        .max_size(if postgres { size * SPARE_FACTOR } else { size })
        .min_idle(Some(u32::from(opened == Opened::AtOnce)))
        .connection_timeout(timeout)
        .error_handler(Box::new(PoolErrors))
        .test_on_check_out(postgres);
    let inner = match opened {
        Opened::AtOnce => {
            first_connection(&manager, timeout)?;
            builder
                .build(manager)
                .map_err(|error| StoreError::Unavailable(error.to_string()))?
        }
        Opened::OnFirstUse => builder.build_unchecked(manager),
    };
    Ok(Pool {
        inner,
        fence,
        reconnecting: Arc::default(),
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Options, targets and the error for an unknown scheme may be logged or printed: none
    /// of them shows the password, in the user part or in a `password=` parameter.
    #[test]
    fn nothing_that_prints_a_database_url_shows_its_password() {
        let url =
            "postgres://clientela:s3cret@db.internal/clientela?password=s3cret&sslmode=require";
        let printed = [
            format!("{:?}", crate::StoreOptions::new(url)),
            format!("{:?}", Target::parse(url)),
            Target::parse("mysql://clientela:s3cret@db/x")
                .map(|_| String::new())
                .unwrap_or_else(|error| error.to_string()),
            redact_password("host=db1,db2 password=s3cret dbname=clientela"),
            redact_password("host=db1 password = 'a \\' s3cret' dbname=clientela"),
            redact_password("postgres://clientela:s3cr%65t@db1:5432,db2:5432/clientela"),
        ];
        for text in &printed {
            assert!(!text.contains("s3cr"), "{text}");
        }
        assert!(printed[0].contains("user=clientela"), "{}", printed[0]);
        assert!(printed[0].contains("sslmode=require"), "{}", printed[0]);
        assert!(
            printed[3].contains("host=db1,db2") && printed[3].contains("dbname=clientela"),
            "{}",
            printed[3]
        );
        assert!(printed[5].contains("port=5432,5432"), "{}", printed[5]);
    }

    /// The dead-connection defaults fill in only what the string does not set itself, and
    /// libpq reads the result back to the string's own settings plus those defaults: the
    /// operator's values win, whatever form they were written in.
    #[test]
    fn connection_defaults_fill_in_what_the_operator_left_out() {
        let defaults = ConnectionDefaults::default();
        let value = |pairs: &[(String, String)], keyword: &str| {
            pairs
                .iter()
                .find(|(set, _)| set == keyword)
                .map(|(_, value)| value.clone())
        };
        let url = "postgres://u:p%3Fw%20x@a:5441,b:5442/db?target_session_attrs=read-write&tcp_user_timeout=9000";
        let applied = defaults.apply(url).unwrap();
        let read_back = conninfo::read(&applied).unwrap();
        assert_eq!(value(&read_back, "password").as_deref(), Some("p?w x"));
        assert_eq!(value(&read_back, "host").as_deref(), Some("a,b"));
        assert_eq!(value(&read_back, "port").as_deref(), Some("5441,5442"));
        assert_eq!(
            value(&read_back, "tcp_user_timeout").as_deref(),
            Some("9000")
        );
        assert_eq!(value(&read_back, "keepalives").as_deref(), Some("1"));
        assert_eq!(
            value(&read_back, "target_session_attrs").as_deref(),
            Some("read-write")
        );
        let keywords = conninfo::read(
            &defaults
                .apply("host=a dbname=db keepalives_idle=60")
                .unwrap(),
        )
        .unwrap();
        assert_eq!(value(&keywords, "keepalives_idle").as_deref(), Some("60"));
        assert_eq!(
            value(&keywords, "tcp_user_timeout").as_deref(),
            Some("3000")
        );
        assert_eq!(value(&keywords, "dbname").as_deref(), Some("db"));
        assert!(matches!(
            Target::parse("host=a port=5432 dbname=db"),
            Ok(Target::Postgres(_))
        ));
        assert!(Target::parse("mysql://a/db").is_err());
        assert!(Target::parse("just-a-name").is_err());
        assert!(Target::parse("").is_err());
    }

    /// libpq takes a keyword/value string as well as a URL, with the defaults filled in.
    #[test]
    fn a_keyword_value_string_connects() {
        let Ok(url) = std::env::var("CLIENTELA_TEST_PG") else {
            eprintln!("skipped: CLIENTELA_TEST_PG is not set");
            return;
        };
        #[derive(QueryableByName)]
        struct Server {
            #[diesel(sql_type = diesel::sql_types::Text)]
            host: String,
            #[diesel(sql_type = diesel::sql_types::Integer)]
            port: i32,
            #[diesel(sql_type = diesel::sql_types::Text)]
            user: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            database: String,
        }
        let mut connection = PgConnection::establish(&url).expect("connect by URL");
        let server: Server = diesel::sql_query(
            "SELECT host(inet_server_addr()) AS host, inet_server_port() AS port, \
             current_user::text AS user, current_database()::text AS database",
        )
        .get_result(&mut connection)
        .expect("server");
        let keywords = format!(
            "host={} port={} user={} dbname='{}'",
            server.host, server.port, server.user, server.database
        );
        let target = Target::parse(&keywords).expect("a PostgreSQL target");
        let pool = build_pool(&target, SqliteSync::Normal, 1, Duration::from_secs(5))
            .expect("a pool over a keyword/value string");
        let mut connection = pool.get().expect("a connection");
        assert!(
            diesel::sql_query("SELECT 1")
                .execute(&mut *connection)
                .is_ok()
        );
    }
}
