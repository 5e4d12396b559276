//! Settings, layered by the `config` crate: built-in defaults, then an optional TOML file
//! (`--config FILE` or `CLIENTELA_CONFIG`), then the environment.
//!
//! Each field of [`Settings`] and its sections is a setting `section.key`, read from the
//! environment as `CLIENTELA__SECTION__KEY` (double underscores). Every setting, its variable,
//! default and meaning are listed once, in docs/operations.md ("Settings"), and shown in
//! `clientela.example.toml`; `crates/api/tests/docs/settings.rs` walks these structs and
//! fails, naming the setting, when either misses one or gives another default. So adding a
//! setting is adding its field here, its row there and its line in the sample.
//!
//! An unknown key or a value of the wrong type stops the start with a message naming it.
//!
//! The built-in defaults are the `Default` of each section, taken from where each knob is
//! used ([`crate::server::ServerOptions::default`], [`StoreOptions::new`], the consts of
//! [`crate::limits`]), so a default is written once. `Debug` of the settings never shows a
//! database password ([`DatabaseUrl`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clientela_core::geo::NumericStateCodes;
use clientela_store::{ConnectionDefaults, SqliteSync, StoreOptions, Timeouts};
use serde::Deserialize;

use crate::limits;
use crate::server::ServerOptions;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub data_dir: PathBuf,
    /// The secret behind suppression hashes; `<data_dir>/suppression.key` when unset.
    pub suppression_key_file: Option<PathBuf>,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub geo: GeoSettings,
    pub log: LogSettings,
    pub rate_limit: RateLimitSettings,
    pub changes: ChangesSettings,
    pub webhooks: WebhookSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: PathBuf::from("./data"),
            suppression_key_file: None,
            server: ServerSettings::default(),
            database: DatabaseSettings::default(),
            geo: GeoSettings::default(),
            log: LogSettings::default(),
            rate_limit: RateLimitSettings::default(),
            changes: ChangesSettings::default(),
            webhooks: WebhookSettings::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// Changes per webhook batch at most.
    pub batch_size: usize,
    /// Seconds a failing batch is retried before its subscription pauses.
    pub max_retry_age: u64,
    /// Milliseconds before the first retry of a failed batch; each next wait doubles.
    pub first_retry_ms: u64,
    /// Deliver to URLs that resolve to loopback, private, link-local or metadata addresses.
    pub allow_private_networks: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        let options = crate::webhooks::WebhookOptions::default();
        WebhookSettings {
            batch_size: options.batch_size,
            max_retry_age: options.max_retry_age.as_secs(),
            first_retry_ms: u64::try_from(options.first_retry.as_millis()).unwrap_or(u64::MAX),
            allow_private_networks: options.allow_private_networks,
        }
    }
}

impl WebhookSettings {
    pub fn options(&self) -> crate::webhooks::WebhookOptions {
        crate::webhooks::WebhookOptions {
            batch_size: self.batch_size,
            max_retry_age: Duration::from_secs(self.max_retry_age),
            first_retry: Duration::from_millis(self.first_retry_ms),
            allow_private_networks: self.allow_private_networks,
            ..crate::webhooks::WebhookOptions::default()
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChangesSettings {
    /// Seconds the change feed keeps a change; older ones are removed and a cursor before
    /// them gets 410 (resync from `GET /customers`).
    pub retention: u64,
}

impl Default for ChangesSettings {
    fn default() -> Self {
        // A week.
        ChangesSettings { retention: 604_800 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub bind: String,
    pub workers: Option<usize>,
    pub body_limit: usize,
    pub shutdown_timeout: u64,
    /// Seconds a client has to send the request line and headers of each request, on every
    /// request of a kept-alive connection (against slowloris).
    pub request_head_timeout: u64,
    /// Seconds a client has to send the whole body once the headers are in.
    pub body_timeout: u64,
    /// Seconds an idle keep-alive connection stays open (0: close after each response).
    pub keep_alive: u64,
    /// Seconds to finish closing a connection before it is dropped.
    pub disconnect_timeout: u64,
    /// Open connections per worker; past it, new connections wait in the listen backlog.
    pub max_connections: usize,
    /// Bytes of header names and values a request may carry (431 past it).
    pub max_header_bytes: usize,
    /// Request bodies over 1 MiB read and parsed at once; more wait, unread.
    pub large_body_slots: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        let server = ServerOptions::default();
        ServerSettings {
            bind: "127.0.0.1:8080".into(),
            workers: server.workers,
            body_limit: limits::DEFAULT_BODY_LIMIT,
            shutdown_timeout: server.shutdown_timeout.as_secs(),
            request_head_timeout: server.request_head_timeout.as_secs(),
            body_timeout: limits::DEFAULT_BODY_TIMEOUT.as_secs(),
            keep_alive: server.keep_alive.as_secs(),
            disconnect_timeout: server.disconnect_timeout.as_secs(),
            max_connections: server.max_connections,
            max_header_bytes: limits::DEFAULT_MAX_HEADER_BYTES,
            large_body_slots: limits::LARGE_BODY_SLOTS,
        }
    }
}

/// Per-key request rate: a token bucket of `burst` requests refilled at `per_second`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// 0 turns the limit off.
    pub per_second: u32,
    pub burst: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            per_second: 500,
            burst: 1000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    pub url: Option<DatabaseUrl>,
    /// A hot standby of the PostgreSQL primary that reads may use (`http::commit_token`).
    pub read_url: Option<DatabaseUrl>,
    /// Milliseconds a read that sends a commit token back waits for the standby to replay
    /// that far before it reads the primary.
    pub read_wait: u64,
    pub pool_size: u32,
    /// PostgreSQL connections for writes, apart from the `pool_size` read connections.
    pub write_pool_size: u32,
    pub connect_timeout: u64,
    /// Milliseconds a statement waits for a lock before giving up (503).
    pub lock_timeout: u64,
    /// Milliseconds a PostgreSQL statement may run before it is cancelled (503).
    pub statement_timeout: u64,
    /// Milliseconds sent data may stay unacknowledged before a PostgreSQL connection is
    /// given up (libpq's `tcp_user_timeout`).
    pub tcp_user_timeout: u64,
    /// Seconds an idle PostgreSQL connection waits before its first TCP keepalive probe.
    pub keepalives_idle: u64,
    /// Seconds connecting to one PostgreSQL host may take before the next is tried.
    pub host_connect_timeout: u64,
    /// Milliseconds a write request waits for its transaction, commit included (a commit
    /// waits for synchronous standbys), before answering 503 "outcome unknown".
    pub commit_timeout: u64,
    /// Milliseconds a read request waits for the database before answering 503.
    pub read_timeout: u64,
    pub sqlite_synchronous: SqliteSync,
    pub migrate: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        let store = StoreOptions::new(String::new());
        let millis = |duration: Duration| u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        DatabaseSettings {
            url: None,
            read_url: None,
            read_wait: millis(crate::state::DEFAULT_READ_WAIT),
            pool_size: store.pool_size,
            write_pool_size: store.write_pool_size,
            connect_timeout: store.connect_timeout.as_secs(),
            lock_timeout: millis(store.timeouts.lock),
            statement_timeout: millis(store.timeouts.statement),
            tcp_user_timeout: millis(store.connection.tcp_user_timeout),
            keepalives_idle: store.connection.keepalives_idle.as_secs(),
            host_connect_timeout: store.connection.host_connect_timeout.as_secs(),
            commit_timeout: millis(crate::state::DEFAULT_COMMIT_TIMEOUT),
            read_timeout: millis(crate::limits::DEFAULT_READ_TIMEOUT),
            sqlite_synchronous: store.sqlite_sync,
            migrate: store.migrate,
        }
    }
}

/// A database URL whose `Debug` hides the password (`user=user password=… host=host`), so
/// settings can be logged or printed whole.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl DatabaseUrl {
    /// The URL with its password replaced by `…` ([`clientela_store::redact_password`]).
    pub fn redacted(&self) -> String {
        clientela_store::redact_password(&self.0)
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_tuple("DatabaseUrl")
            .field(&self.redacted())
            .finish()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeoSettings {
    pub strict: bool,
    pub overlays: Vec<PathBuf>,
    /// How a bare number in `state` that is both an ISO 3166-2 suffix and another state's
    /// FIPS 10-4 code is read: `ambiguous` (neither, with a warning), `iso` or `fips`.
    pub numeric_state_codes: NumericStateCodes,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Settings {
    /// Loads the layers; `file` is `--config`, falling back to `CLIENTELA_CONFIG`.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let file = file.map(Path::to_path_buf).or_else(|| {
            std::env::var_os("CLIENTELA_CONFIG")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        // The built-in defaults are each section's `Default` (see the module doc).
        let mut builder = config::Config::builder();
        if let Some(file) = &file {
            builder = builder.add_source(config::File::from(file.as_path()).required(true));
        }
        let environment = config::Environment::with_prefix("CLIENTELA")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("geo.overlays");
        let settings: Settings = builder
            .add_source(environment)
            .build()
            .and_then(config::Config::try_deserialize)
            .context("invalid configuration")?;
        for (key, value) in [
            ("server.body_limit", settings.server.body_limit),
            ("server.max_connections", settings.server.max_connections),
            ("server.max_header_bytes", settings.server.max_header_bytes),
            ("server.large_body_slots", settings.server.large_body_slots),
            (
                "server.request_head_timeout",
                settings.server.request_head_timeout as usize,
            ),
            ("server.body_timeout", settings.server.body_timeout as usize),
            ("webhooks.batch_size", settings.webhooks.batch_size),
            (
                "webhooks.first_retry_ms",
                settings.webhooks.first_retry_ms as usize,
            ),
            (
                "database.lock_timeout",
                settings.database.lock_timeout as usize,
            ),
            (
                "database.statement_timeout",
                settings.database.statement_timeout as usize,
            ),
            (
                "database.tcp_user_timeout",
                settings.database.tcp_user_timeout as usize,
            ),
            (
                "database.keepalives_idle",
                settings.database.keepalives_idle as usize,
            ),
            (
                "database.host_connect_timeout",
                settings.database.host_connect_timeout as usize,
            ),
            (
                "database.commit_timeout",
                settings.database.commit_timeout as usize,
            ),
            (
                "database.read_timeout",
                settings.database.read_timeout as usize,
            ),
        ] {
            if value == 0 {
                anyhow::bail!("invalid configuration: {key} must be above 0");
            }
        }
        if settings.rate_limit.per_second > 0 && settings.rate_limit.burst == 0 {
            anyhow::bail!("invalid configuration: rate_limit.burst must be above 0");
        }
        Ok(settings)
    }

    /// The database URL, defaulting to a SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.0.clone(),
            None => format!("sqlite://{}", self.data_dir.join("clientela.db").display()),
        }
    }

    /// The server's connection limits and timeouts.
    pub fn server_options(&self) -> ServerOptions {
        let server = &self.server;
        ServerOptions {
            workers: server.workers,
            shutdown_timeout: Duration::from_secs(server.shutdown_timeout),
            request_head_timeout: Duration::from_secs(server.request_head_timeout),
            keep_alive: Duration::from_secs(server.keep_alive),
            disconnect_timeout: Duration::from_secs(server.disconnect_timeout),
            max_connections: server.max_connections,
            // The read pool's connections, plus the writers' (one on SQLite), and as many
            // again for calls abandoned at their deadline on a server that stopped
            // answering (`state.rs`, "Deadlines").
            blocking_threads: ((self.database.pool_size.max(1)
                + self.database.write_pool_size.max(1))
                * clientela_store::SPARE_FACTOR) as usize,
        }
    }

    /// Where the suppression secret lives.
    pub fn suppression_key_path(&self) -> PathBuf {
        self.suppression_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("suppression.key"))
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            url: self.database_url(),
            pool_size: self.database.pool_size.max(1),
            write_pool_size: self.database.write_pool_size.max(1),
            timeouts: Timeouts {
                lock: Duration::from_millis(self.database.lock_timeout),
                statement: Duration::from_millis(self.database.statement_timeout),
            },
            suppression_key_file: Some(self.suppression_key_path()),
            connect_timeout: Duration::from_secs(self.database.connect_timeout.max(1)),
            connection: ConnectionDefaults {
                tcp_user_timeout: Duration::from_millis(self.database.tcp_user_timeout),
                keepalives_idle: Duration::from_secs(self.database.keepalives_idle),
                host_connect_timeout: Duration::from_secs(self.database.host_connect_timeout),
            },
            sqlite_sync: self.database.sqlite_synchronous,
            migrate: self.database.migrate,
            read_url: self.database.read_url.as_ref().map(|url| url.0.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_the_settings_never_shows_a_database_password() {
        let mut settings = Settings::default();
        settings.database.url = Some(DatabaseUrl(
            "postgres://clientela:s3cr%40t-pass@db.internal:5432/clientela".into(),
        ));
        let printed = format!("{settings:?}");
        assert!(!printed.contains("s3cr"), "{printed}");
        for shown in [
            "user=clientela",
            "password=…",
            "host=db.internal",
            "port=5432",
        ] {
            assert!(printed.contains(shown), "{shown} in {printed}");
        }
        assert_eq!(
            settings.database_url(),
            "postgres://clientela:s3cr%40t-pass@db.internal:5432/clientela",
            "the URL itself is untouched"
        );
    }

    #[test]
    fn urls_without_a_password_print_everything_they_say() {
        assert_eq!(
            DatabaseUrl("postgres://postgres@127.0.0.1:5432/test".into()).redacted(),
            "user=postgres dbname=test host=127.0.0.1 port=5432"
        );
        assert_eq!(
            DatabaseUrl("sqlite://./data/clientela.db".into()).redacted(),
            "sqlite://./data/clientela.db"
        );
    }

    /// libpq refuses this URL (its `@` and `/` are not percent-encoded), so where its
    /// password ends is unknown: only the scheme is shown.
    #[test]
    fn a_url_libpq_cannot_read_shows_only_its_scheme() {
        let url = DatabaseUrl("postgres://user:p@ss?w/rd@host/db".into());
        assert_eq!(url.redacted(), "postgres://…");
    }

    #[test]
    fn a_password_in_the_query_is_hidden_too() {
        let url = DatabaseUrl(
            "postgres://db.internal/app?user=app&password=s3cret&sslmode=require".into(),
        );
        let printed = url.redacted();
        assert!(!printed.contains("s3cret"), "{printed}");
        for shown in ["user=app", "password=…", "sslmode=require", "dbname=app"] {
            assert!(printed.contains(shown), "{shown} in {printed}");
        }
    }
}
