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

/// Writes customers `0..count` of `run` straight into the database with set-based
/// `INSERT … SELECT` statements, a million rows per transaction, saying how far it got.
///
/// Ten million customers sent through [`upsert_rate`]'s path would take most of an hour here;
/// generating the rows inside the database takes minutes. The rows carry the same codes,
/// places and metadata shape as [`data::customer`], so the server reads them like its own.
pub fn preload(database: &Database, run: &str, count: u64) -> anyhow::Result<()> {
    if count == 0 {
        return Ok(());
    }
    let mut raw = Raw::open(database)?;
    let started = Instant::now();
    let chunk = 1_000_000;
    let mut written = 0;
    while written < count {
        let end = (written + chunk).min(count);
        let (first, last) = (written as i64, end as i64);
        match &mut raw {
            Raw::Sqlite(connection) => {
                connection.immediate_transaction(|connection| {
                    diesel::sql_query(SQLITE_PRELOAD)
                        .bind::<diesel::sql_types::Text, _>(run)
                        .bind::<diesel::sql_types::BigInt, _>(first)
                        .bind::<diesel::sql_types::BigInt, _>(last)
                        .execute(connection)
                })?;
                // Keep the WAL from growing with every chunk.
                connection.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")?;
            }
            Raw::Postgres(connection) => {
                connection.transaction(|connection| {
                    diesel::sql_query(POSTGRES_PRELOAD)
                        .bind::<diesel::sql_types::Text, _>(run)
                        .bind::<diesel::sql_types::BigInt, _>(first)
                        .bind::<diesel::sql_types::BigInt, _>(last)
                        .execute(connection)
                })?;
            }
        }
        written = end;
        println!(
            "preloaded {written} of {count} customers ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    if let Raw::Postgres(connection) = &mut raw {
        // A settled table, as a long-running database would have: statistics and the
        // visibility map up to date, and the preload's dirty pages written out now rather
        // than by the checkpointer and autovacuum in the middle of the measurement.
        // Two calls: several statements in one would run as one transaction, and VACUUM
        // cannot run inside one.
        connection.batch_execute("VACUUM (ANALYZE) customers")?;
        connection.batch_execute("CHECKPOINT")?;
    }
    Ok(())
}

/// Rows `?2..?3` of run `?1`, shaped like [`data::customer`].
const SQLITE_PRELOAD: &str = r#"
WITH RECURSIVE n(i) AS (SELECT ?2 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?3)
INSERT INTO customers (code, is_active, country, state, city, year_born, gender, metadata,
                       country_code, location, created_at, updated_at, version)
SELECT printf('%s-%010d', ?1, i), 1,
       substr('ESFRDEUSITGB', (i % 6) * 2 + 1, 2),
       CASE i % 6 WHEN 0 THEN 'Barcelona' WHEN 1 THEN 'Paris' WHEN 2 THEN 'Berlin'
                  WHEN 3 THEN 'California' WHEN 4 THEN 'Lombardy' ELSE 'England' END,
       CASE i % 6 WHEN 0 THEN 'Barcelona' WHEN 1 THEN 'Paris' WHEN 2 THEN 'Berlin'
                  WHEN 3 THEN 'Los Angeles' WHEN 4 THEN 'Milan' ELSE 'London' END,
       1950 + i % 60, i % 4,
       printf('{"currentDiscountRate":"%d%%","isNew":%s,"segment":"%s","lastOrder":{"id":"O%09d","total":%d.99}}',
              i % 30, CASE i % 2 WHEN 0 THEN 'true' ELSE 'false' END,
              CASE i % 3 WHEN 0 THEN 'retail' WHEN 1 THEN 'b2b' ELSE 'vip' END, i, i % 500),
       substr('ESFRDEUSITGB', (i % 6) * 2 + 1, 2),
       '{"country":null,"state":null,"city":null,"status":"partial"}', 1, 1, 1
FROM n
"#;

/// Rows `$2..$3` of run `$1`, shaped like [`data::customer`].
const POSTGRES_PRELOAD: &str = r#"
INSERT INTO customers (code, is_active, country, state, city, year_born, gender, metadata,
                       country_code, location, created_at, updated_at, version)
SELECT $1 || '-' || lpad(i::text, 10, '0'), true,
       substr('ESFRDEUSITGB', (i % 6)::int * 2 + 1, 2),
       (ARRAY['Barcelona', 'Paris', 'Berlin', 'California', 'Lombardy', 'England'])[(i % 6)::int + 1],
       (ARRAY['Barcelona', 'Paris', 'Berlin', 'Los Angeles', 'Milan', 'London'])[(i % 6)::int + 1],
       1950 + i % 60, i % 4,
       '{"currentDiscountRate":"' || i % 30 || '%","isNew":' || (i % 2 = 0)
           || ',"segment":"' || (ARRAY['retail', 'b2b', 'vip'])[(i % 3)::int + 1]
           || '","lastOrder":{"id":"O' || lpad(i::text, 9, '0') || '","total":' || i % 500 || '.99}}',
       substr('ESFRDEUSITGB', (i % 6)::int * 2 + 1, 2),
       '{"country":null,"state":null,"city":null,"status":"partial"}', 1, 1, 1
FROM generate_series($2, $3 - 1) AS i
"#;
