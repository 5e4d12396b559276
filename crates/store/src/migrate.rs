//! Embedded migrations for both backends, applied at start and by `clientela-api migrate`.

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::DbConnection;
use crate::error::StoreError;

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// An arbitrary constant naming the advisory lock that serializes replicas migrating one
/// PostgreSQL at the same time.
const MIGRATION_LOCK: i64 = 0x636c_6965_6e74_656c;

/// How long a start waits for another replica's migrations to finish.
const MIGRATION_LOCK_WAIT: &str = "10min";

#[derive(diesel::QueryableByName)]
struct SessionTimeouts {
    #[diesel(sql_type = diesel::sql_types::Text)]
    lock: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    statement: String,
}

/// Applies every pending migration; returns the names of those applied.
///
/// On PostgreSQL several replicas may start at once: the applied migrations are read first,
/// without any lock, and a start with nothing to do takes none. With work to do, the start
/// says so, waits (up to ten minutes, not the connection's `lock_timeout`) for the session
/// lock another replica migrating holds, and then applies what that one has not.
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
            // A failure here (two replicas creating diesel's table of applied migrations on
            // an empty database at once) is settled under the lock below.
            if let Ok(false) = postgres.has_pending_migration(POSTGRES) {
                return Ok(Vec::new());
            }
            tracing::info!(
                "migrations to apply: taking the migration lock (waiting up to \
                 {MIGRATION_LOCK_WAIT} if another replica is migrating)"
            );
            let saved: SessionTimeouts = diesel::sql_query(
                "SELECT current_setting('lock_timeout') AS lock, \
                 current_setting('statement_timeout') AS statement",
            )
            .get_result(postgres)?;
            postgres.batch_execute(&format!(
                "SET lock_timeout = '{MIGRATION_LOCK_WAIT}'; SET statement_timeout = 0; \
                 SELECT pg_advisory_lock({MIGRATION_LOCK})"
            ))?;
            let applied: Result<Vec<String>, StoreError> = postgres
                .run_pending_migrations(POSTGRES)
                .map(names)
                .map_err(failed);
            postgres.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            diesel::sql_query(
                "SELECT set_config('lock_timeout', $1, false), \
                 set_config('statement_timeout', $2, false)",
            )
            .bind::<diesel::sql_types::Text, _>(&saved.lock)
            .bind::<diesel::sql_types::Text, _>(&saved.statement)
            .execute(postgres)?;
            applied
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use diesel::connection::SimpleConnection;
    use diesel::{Connection, PgConnection};

    use super::MIGRATION_LOCK;
    use crate::{Store, StoreOptions};

    /// A replica that starts while another holds the migration lock is not held up when
    /// there is nothing to migrate (it reads the applied migrations without the lock).
    #[test]
    fn a_start_with_nothing_to_migrate_takes_no_lock() {
        let Some(scratch) = crate::ScratchSchema::for_test("migrate") else {
            return;
        };
        let options = StoreOptions::new(scratch.url());
        assert!(Store::open(&options).is_ok(), "the first start migrates");
        let mut holder = PgConnection::establish(&scratch.url()).expect("connect");
        holder
            .batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .expect("hold the migration lock");
        let started = Instant::now();
        let again = Store::open(&options);
        let took = started.elapsed();
        let _ = holder.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
        assert!(again.is_ok(), "{:?}", again.err());
        assert!(took < Duration::from_secs(2), "took {took:?}");
    }
}
