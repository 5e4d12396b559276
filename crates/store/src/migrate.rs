//! Embedded migrations for both backends, applied at start and by `clientela-api migrate`.

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::DbConnection;
use crate::error::StoreError;

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// An arbitrary constant naming the advisory lock that serializes replicas migrating one
/// PostgreSQL at the same time.
const MIGRATION_LOCK: i64 = 0x636c_6965_6e74_656c;

/// Applies every pending migration; returns the names of those applied.
pub(crate) fn run_pending(connection: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let failed =
        |error: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(error.to_string());
    let names = |versions: Vec<_>| versions.iter().map(ToString::to_string).collect();
    match connection {
        DbConnection::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE)
            .map(names)
            .map_err(failed),
        DbConnection::Postgres(postgres) => {
            postgres.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let applied: Result<Vec<String>, StoreError> = postgres
                .run_pending_migrations(POSTGRES)
                .map(names)
                .map_err(failed);
            postgres.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            applied
        }
    }
}
