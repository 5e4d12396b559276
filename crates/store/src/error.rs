//! Storage errors. The API maps [`StoreError::Unavailable`] to 503 (the database cannot be
//! reached: retry later) and everything else to 500.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "the database URL `{0}` is neither sqlite://PATH nor a PostgreSQL connection string \
         libpq reads (postgres://… or host=… dbname=…)"
    )]
    UnknownScheme(String),
    #[error(
        "database.read_url names a PostgreSQL standby, for a PostgreSQL database only (not \
         SQLite)"
    )]
    ReadUrl,
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The connection was lost after a write transaction asked to commit, before the
    /// database answered: it may or may not have committed.
    #[error("the connection to the database was lost while the write committed: {0}")]
    CommitLost(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("stored customer `{code}` is unreadable: {detail}")]
    Corrupt { code: String, detail: String },
    #[error(
        "the stored suppressions were made with another suppression key: give this server the \
         same `suppression_key_file` as the others (a copy of the first one's suppression.key)"
    )]
    SuppressionKeyMismatch,
    #[error("could not prepare the data folder: {0}")]
    DataDir(#[from] std::io::Error),
    /// A change feed cursor older than what retention kept; `resume` is where a follower
    /// continues after copying every customer again.
    #[error("the change feed no longer holds the changes after this cursor")]
    CursorExpired { resume: String },
    /// A change feed cursor this database did not give out (another history, past the
    /// newest change): the client's mistake.
    #[error("{0}")]
    BadCursor(String),
    /// A change feed cursor from a history of the data that a promotion forked away from
    /// (`history.rs`), past the fork point: `resume` is the fork point, where the follower
    /// continues (changes up to its old cursor may come again; none are skipped).
    #[error("the change feed's history forked before this cursor (a database failover)")]
    CursorForked { resume: String },
}

impl StoreError {
    /// Whether the database could not be reached (pool timeout, refused or lost connection),
    /// as opposed to a query that failed: the caller may retry later.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            // A write that reached a read-only server (a standby, or an old primary demoted
            // or fenced: SQLSTATE 25006) is a failover in progress, not a bug: retry.
            StoreError::Unavailable(_)
            | StoreError::CommitLost(_)
            | StoreError::Database(
                Error::DatabaseError(
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::ReadOnlyTransaction,
                    _,
                )
                | Error::BrokenTransactionManager,
            ) => true,
            StoreError::Database(Error::DatabaseError(DatabaseErrorKind::Unknown, information)) => {
                is_lost_connection(information.message())
            }
            _ => false,
        }
    }

    /// Whether this error means the connection itself is gone (not a statement the
    /// database refused, nor a timeout it enforced): after a commit was asked for, whether
    /// it happened is then unknown.
    pub(crate) fn is_connection_lost(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            StoreError::Database(
                Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
                | Error::BrokenTransactionManager,
            ) => true,
            StoreError::Database(Error::DatabaseError(DatabaseErrorKind::Unknown, information)) => {
                CONNECTION_GONE
                    .iter()
                    .any(|gone| information.message().contains(gone))
            }
            _ => false,
        }
    }
}

/// libpq's words for a connection that is gone (its server went away, ended it, or stopped
/// answering), which diesel reports with an unknown kind.
const CONNECTION_GONE: [&str; 6] = [
    "no connection to the server",
    "server closed the connection unexpectedly",
    "terminating connection due to administrator command",
    "could not receive data from server",
    "could not send data to server",
    "connection timed out",
];

/// Whether `message` says the connection is gone ([`CONNECTION_GONE`]: diesel reports
/// those with an unknown kind when the failure comes before the server could answer, as for
/// a pooled connection whose server went away), or gives PostgreSQL's own shutdown notices
/// (SQLSTATE 57P01..57P03), or the database being busy: PostgreSQL's `lock_timeout` and
/// `statement_timeout` (55P03, 57014) and SQLite's `SQLITE_BUSY` past `busy_timeout`
/// (another process holds the write lock).
/// Each means "not now", so the client is told to retry (503), not that we failed (500).
fn is_lost_connection(message: &str) -> bool {
    const NOT_NOW: [&str; 10] = [
        "canceling statement due to lock timeout",
        "canceling statement due to statement timeout",
        "database is locked",
        "database is busy",
        "the database system is shutting down",
        "the database system is starting up",
        "in a read-only transaction",
        "the database system is not accepting connections",
        "the database system is not yet accepting connections",
        "terminating connection due to conflict with recovery",
    ];
    CONNECTION_GONE
        .iter()
        .chain(&NOT_NOW)
        .any(|lost| message.contains(lost))
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

impl From<diesel::ConnectionError> for StoreError {
    fn from(error: diesel::ConnectionError) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error};

    use super::StoreError;

    fn unknown(message: &str) -> StoreError {
        StoreError::Database(Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(message.to_owned()),
        ))
    }

    #[test]
    fn a_lost_connection_is_unavailable_and_a_bad_query_is_not() {
        assert!(unknown("no connection to the server\n").is_unavailable());
        assert!(unknown("terminating connection due to administrator command").is_unavailable());
        assert!(
            StoreError::Unavailable("timed out waiting for connection".into()).is_unavailable()
        );
        assert!(unknown("canceling statement due to lock timeout").is_unavailable());
        assert!(unknown("canceling statement due to statement timeout").is_unavailable());
        assert!(unknown("database is locked").is_unavailable());
        assert!(unknown("cannot execute INSERT in a read-only transaction").is_unavailable());
        assert!(
            StoreError::Database(Error::DatabaseError(
                DatabaseErrorKind::ReadOnlyTransaction,
                Box::new("cannot execute UPDATE in a read-only transaction".to_owned()),
            ))
            .is_unavailable()
        );
        assert!(!unknown("syntax error at or near \"SELEC\"").is_unavailable());
        assert!(!unknown("deadlock detected").is_unavailable());
    }
}
