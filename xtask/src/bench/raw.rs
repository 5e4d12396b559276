//! The raw-database baseline: a direct client writing the same rows straight into the
//! same schema, 100 rows per transaction with one `INSERT … ON CONFLICT DO UPDATE`. It is
//! what the database itself can do; the API's rate is reported as a ratio of it.
//!
//! This declares the table itself on purpose: the baseline must not share code with the
//! server it measures.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::upsert::excluded;
use serde_json::Value;

use super::data;
use super::server::Database;

diesel::table! {
    customers (code) {
        code -> Text,
        is_active -> Bool,
        country -> Nullable<Text>,
        state -> Nullable<Text>,
        city -> Nullable<Text>,
        year_born -> Nullable<Integer>,
        gender -> Nullable<SmallInt>,
        metadata -> Nullable<Text>,
        country_code -> Nullable<Text>,
        location -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        version -> BigInt,
    }
}

#[derive(Insertable)]
#[diesel(table_name = customers, treat_none_as_default_value = false)]
struct Row {
    code: String,
    is_active: bool,
    country: Option<String>,
    state: Option<String>,
    city: Option<String>,
    year_born: Option<i32>,
    gender: Option<i16>,
    metadata: Option<String>,
    country_code: Option<String>,
    location: String,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

fn row(customer: &Value, version: i64) -> Row {
    let text = |field: &str| customer[field].as_str().map(str::to_owned);
    Row {
        code: text("code").unwrap_or_default(),
        is_active: true,
        country: text("country"),
        state: text("state"),
        city: text("city"),
        year_born: customer["yearBorn"].as_i64().map(|year| year as i32),
        gender: customer["gender"].as_i64().map(|gender| gender as i16),
        metadata: Some(customer["metadata"].to_string()),
        country_code: text("country"),
        location: r#"{"country":null,"state":null,"city":null,"status":"partial"}"#.to_owned(),
        created_at: 1,
        updated_at: version,
        version,
    }
}

macro_rules! upsert {
    ($connection:expr, $rows:expr) => {
        diesel::insert_into(customers::table)
            .values($rows)
            .on_conflict(customers::code)
            .do_update()
            .set((
                customers::is_active.eq(excluded(customers::is_active)),
                customers::country.eq(excluded(customers::country)),
                customers::state.eq(excluded(customers::state)),
                customers::city.eq(excluded(customers::city)),
                customers::year_born.eq(excluded(customers::year_born)),
                customers::gender.eq(excluded(customers::gender)),
                customers::metadata.eq(excluded(customers::metadata)),
                customers::country_code.eq(excluded(customers::country_code)),
                customers::location.eq(excluded(customers::location)),
                customers::updated_at.eq(excluded(customers::updated_at)),
                customers::version.eq(excluded(customers::version)),
            ))
            .execute($connection)
    };
}

enum Raw {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Raw {
    fn open(database: &Database) -> anyhow::Result<Raw> {
        Ok(match database {
            Database::Sqlite { folder } => {
                let path = folder.join("clientela.db");
                let mut connection = SqliteConnection::establish(&path.to_string_lossy())?;
                // The server's own settings: WAL, synchronous NORMAL.
                connection.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                )?;
                Raw::Sqlite(connection)
            }
            Database::Postgres { .. } => Raw::Postgres(PgConnection::establish(&database.url())?),
        })
    }

    fn write(&mut self, rows: &[Row]) -> anyhow::Result<()> {
        match self {
            Raw::Sqlite(connection) => {
                connection.immediate_transaction(|connection| upsert!(connection, rows))?;
            }
            Raw::Postgres(connection) => {
                connection.transaction(|connection| upsert!(connection, rows))?;
            }
        }
        Ok(())
    }
}

/// Rows per second written by `connections` direct clients for `duration`, batches of
/// `batch` rows. `update_of` writes over codes `0..update_of` of `run` (existing rows)
/// instead of fresh ones.
pub fn upsert_rate(
    database: &Database,
    run: &str,
    connections: usize,
    batch: u64,
    duration: Duration,
    update_of: Option<u64>,
) -> anyhow::Result<f64> {
    let sequence = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let written: anyhow::Result<Vec<u64>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections)
            .map(|_| {
                let sequence = sequence.clone();
                scope.spawn(move || -> anyhow::Result<u64> {
                    let mut raw = Raw::open(database)?;
                    let mut rows_written = 0;
                    while Instant::now() < deadline {
                        let batch_number = sequence.fetch_add(1, Ordering::Relaxed);
                        let rows: Vec<Row> = (0..batch)
                            .map(|offset| {
                                let number = batch_number * batch + offset;
                                match update_of {
                                    Some(existing) => {
                                        let mut customer = data::customer(run, number % existing);
                                        customer["metadata"]["visits"] = Value::from(batch_number);
                                        row(&customer, batch_number as i64 + 2)
                                    }
                                    None => row(&data::customer(run, number), 1),
                                }
                            })
                            .collect();
                        raw.write(&rows)?;
                        rows_written += batch;
                    }
                    Ok(rows_written)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .map_err(|_| anyhow::anyhow!("raw worker panicked"))?
            })
            .collect()
    });
    let total: u64 = written.context("raw baseline")?.iter().sum();
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// Writes customers `0..count` of `run` straight into the database, 100 per transaction,
/// saying how far it got every tenth.
pub fn preload(database: &Database, run: &str, count: u64) -> anyhow::Result<()> {
    if count == 0 {
        return Ok(());
    }
    let mut raw = Raw::open(database)?;
    let started = Instant::now();
    let mut next_report = count / 10;
    let mut written = 0;
    while written < count {
        let size = (count - written).min(100);
        let rows: Vec<Row> = (written..written + size)
            .map(|number| row(&data::customer(run, number), 1))
            .collect();
        raw.write(&rows)?;
        written += size;
        if written >= next_report {
            println!(
                "preloaded {written} of {count} customers ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
            next_report += (count / 10).max(1);
        }
    }
    Ok(())
}
