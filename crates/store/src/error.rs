//! Storage errors. The API maps [`StoreError::Unavailable`] to 503 (the database cannot be
//! reached: retry later) and everything else to 500.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the database URL `{0}` has an unknown scheme; use sqlite://PATH or postgres://...")]
    UnknownScheme(String),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("stored customer `{code}` is unreadable: {detail}")]
    Corrupt { code: String, detail: String },
    #[error("could not prepare the data folder: {0}")]
    DataDir(#[from] std::io::Error),
}

impl StoreError {
    /// Whether the database could not be reached (pool timeout, refused or lost connection),
    /// as opposed to a query that failed: the caller may retry later.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        matches!(
            self,
            StoreError::Unavailable(_)
                | StoreError::Database(
                    Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
                        | Error::BrokenTransactionManager
                )
        )
    }
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
