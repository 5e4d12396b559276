//! Reads from a hot standby (`StoreOptions::read_url`), PostgreSQL only.
//!
//! A standby replays the primary's WAL a little behind it, so a read there may miss the
//! caller's own last write. Read-your-writes is kept with a *commit token*: after a write,
//! [`Store::commit_token`] reads the primary's WAL position, which is at or past the
//! write's commit record (the commit returned first); a read that presents the token goes
//! to the standby only once [`Store::replayed`] there has reached it. The token is that
//! position in bytes, a decimal number: opaque to clients, who send it back as it is.
//!
//! The standby's view of the change feed is a consistent prefix of the primary's: a
//! transaction committed on the primary but not replayed yet still counts as running there,
//! so the feed holds back what follows it, as on the primary.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::Store;
use crate::connection::DbConnection;
use crate::error::StoreError;

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = BigInt)]
    position: i64,
}

fn position(connection: &mut DbConnection, sql: &str) -> Result<u64, StoreError> {
    let row: Position = diesel::sql_query(sql).get_result(connection)?;
    Ok(u64::try_from(row.position).unwrap_or(0))
}

impl Store {
    /// A view of this store whose reads go to the standby (`None` without one). Writes
    /// through it still go to the primary; only reads are meant to use it.
    pub fn standby(&self) -> Option<Store> {
        let standby = self.standby.clone()?;
        Some(Store {
            readers: standby,
            standby: None,
            ..self.clone()
        })
    }

    /// The token of the writes committed so far: the primary's WAL position now (`None`
    /// without a standby, where no read needs it).
    pub fn commit_token(&self) -> Result<Option<u64>, StoreError> {
        if self.standby.is_none() {
            return Ok(None);
        }
        let mut connection = self.readers.get()?;
        position(
            &mut connection,
            "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS position",
        )
        .map(Some)
    }

    /// How far the server this view reads from has replayed the primary's WAL (on a
    /// [`Store::standby`] view); a server no longer in recovery (promoted) has everything
    /// it holds, its own WAL position.
    pub fn replayed(&self) -> Result<u64, StoreError> {
        let mut connection = self.readers.get()?;
        position(
            &mut connection,
            "SELECT (COALESCE(pg_last_wal_replay_lsn(), pg_current_wal_lsn()) - '0/0'::pg_lsn)\
             ::bigint AS position",
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::{Store, StoreError, StoreOptions};

    /// A standby is a PostgreSQL server's: with SQLite, `read_url` stops the start with a
    /// message saying so, rather than being ignored.
    #[test]
    fn a_standby_to_read_from_is_for_postgresql_only() {
        let folder = tempfile::tempdir().unwrap();
        let mut options =
            StoreOptions::new(format!("sqlite://{}", folder.path().join("db").display()));
        options.read_url = Some("postgres://reader@127.0.0.1:1/clientela".into());
        let refused = Store::open(&options).err();
        assert!(matches!(refused, Some(StoreError::ReadUrl)), "{refused:?}");
        assert!(
            refused
                .map(|error| error.to_string())
                .is_some_and(|message| message.contains("PostgreSQL database only"))
        );
    }
}
