//! A PostgreSQL schema made for one test or benchmark run and dropped with it, so that runs
//! sharing one database server never see each other's tables.

use std::hash::{BuildHasher, RandomState};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::error::StoreError;

/// The variable that names the PostgreSQL server tests run against
/// (e.g. `postgres://postgres@127.0.0.1:5432/test`).
const TEST_PG_VARIABLE: &str = "CLIENTELA_TEST_PG";

/// A schema `<prefix>_<random>` on a PostgreSQL server, dropped (with everything in it) when
/// this value is.
#[derive(Debug)]
pub struct ScratchSchema {
    server: String,
    name: String,
}

impl ScratchSchema {
    /// Creates a new schema on `server`, a URL whose user may create schemas.
    pub fn create(server: &str, prefix: &str) -> Result<ScratchSchema, StoreError> {
        let name = format!(
            "{prefix}_{:016x}",
            RandomState::new().hash_one(std::time::SystemTime::now())
        );
        PgConnection::establish(server)?.batch_execute(&format!("CREATE SCHEMA {name}"))?;
        Ok(ScratchSchema {
            server: server.to_owned(),
            name,
        })
    }

    /// A schema on the server `CLIENTELA_TEST_PG` names; `None`, after printing that the
    /// PostgreSQL variant is skipped, when it is not set. Panics if the server refuses.
    pub fn for_test(prefix: &str) -> Option<ScratchSchema> {
        let Some(server) = std::env::var(TEST_PG_VARIABLE)
            .ok()
            .filter(|url| !url.is_empty())
        else {
            eprintln!("skipped: set {TEST_PG_VARIABLE} to run the PostgreSQL variant");
            return None;
        };
        match ScratchSchema::create(&server, prefix) {
            Ok(schema) => Some(schema),
            Err(error) => panic!("{TEST_PG_VARIABLE} ({server}): {error}"),
        }
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server's URL with `search_path` set to this schema alone: what the store, the
    /// migrations and the API are given.
    pub fn url(&self) -> String {
        let separator = if self.server.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-csearch_path%3D{}",
            self.server, self.name
        )
    }
}

impl Drop for ScratchSchema {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.server) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}
