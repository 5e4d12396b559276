//! The raw-database baselines: the fastest client we can write for the rows the API stores,
//! measured in the same run as the API so the ratio means something.
//!
//! The client is honest, not convenient: every statement has fixed text and stays in the
//! connection's prepared-statement cache (diesel caches a fragment with a static query id),
//! so nothing is parsed or planned twice. SQLite gets one `INSERT … ON CONFLICT` executed per
//! row inside a 100-row `BEGIN IMMEDIATE` transaction (what `executemany` does); PostgreSQL
//! gets one `INSERT … SELECT FROM unnest(…)` per batch, a single round trip.
//!
//! It writes into two [`Target`]s: a table with the same columns and only a primary key
//! (the database's limit for these rows) and the server's own schema (`customers` with its
//! indexes and a feed row per change: what our schema costs). On PostgreSQL, `pgbench.rs`
//! adds the database's own client beside it.
//!
//! This declares its statements itself on purpose: the baseline must not share code with
//! the server it measures.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, SmallInt, Text};
use diesel::sqlite::Sqlite;

use super::data;
use super::server::Database;

/// Where a raw client writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `raw_limit`: the same columns with only the primary key; the database's limit.
    Limit,
    /// `customers` with the server's indexes, plus one `changes` row per customer.
    Schema,
}

impl Target {
    pub const fn table(self) -> &'static str {
        match self {
            Target::Limit => "raw_limit",
            Target::Schema => "customers",
        }
    }
}

/// The columns the API writes, in [`Row`]'s order.
const COLUMNS: &str = "code, is_active, country, state, city, year_born, gender, metadata, \
                       country_code, location, created_at, updated_at, version";

const ON_CONFLICT: &str = " ON CONFLICT (code) DO UPDATE SET is_active = excluded.is_active, \
    country = excluded.country, state = excluded.state, city = excluded.city, \
    year_born = excluded.year_born, gender = excluded.gender, metadata = excluded.metadata, \
    country_code = excluded.country_code, location = excluded.location, \
    updated_at = excluded.updated_at, version = excluded.version";

/// The limit table: the server's columns, no secondary index (SQLite and PostgreSQL).
pub const LIMIT_TABLE: &str = "CREATE TABLE raw_limit (
    code TEXT PRIMARY KEY NOT NULL, is_active BOOLEAN NOT NULL, country TEXT, state TEXT,
    city TEXT, year_born INTEGER, gender SMALLINT, metadata TEXT, country_code TEXT,
    location TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL)";

/// A row as the server stores it for a [`data::customer`].
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

/// A resolved place as the server stores it (about 250 bytes of JSON, the size of the
/// server's `location` for the bench's places).
fn location(country: &str, state: &str, city: &str) -> String {
    format!(
        r#"{{"country":{{"code":"{country}","name":"{country}-name","wikidataId":"Q29"}},"state":{{"code":"{country}-XX","name":"{state}","wikidataId":"Q5705"}},"city":{{"name":"{city}","wikidataId":"Q1492","geonameId":3128760}},"status":"resolved"}}"#
    )
}

/// The row of customer `number` of `run` as [`data::customer`] makes it (with a `visits`
/// key in its metadata for an update), written straight as text: generating the rows must
/// not be what limits the baseline.
fn row(run: &str, number: u64, version: i64, visits: Option<u64>) -> Row {
    let (country, state, city) = data::place(number);
    let segment = ["retail", "b2b", "vip"][(number % 3) as usize];
    let visits = visits.map_or(String::new(), |visits| format!(",\"visits\":{visits}"));
    Row {
        code: data::code(run, number),
        is_active: true,
        location: location(country, state, city),
        country_code: Some(country.to_owned()),
        country: Some(country.to_owned()),
        state: Some(state.to_owned()),
        city: Some(city.to_owned()),
        year_born: Some(1950 + (number % 60) as i32),
        gender: Some((number % 4) as i16),
        metadata: Some(format!(
            "{{\"currentDiscountRate\":\"{}%\",\"isNew\":{},\"segment\":\"{segment}\",\
             \"lastOrder\":{{\"id\":\"O{number:09}\",\"total\":{}.99}}{visits}}}",
            number % 30,
            number.is_multiple_of(2),
            number % 500,
        )),
        created_at: 1,
        updated_at: version,
        version,
    }
}

/// Statements with fixed text: a static query id is what lets diesel cache them.
macro_rules! static_query_id {
    ($($fragment:ident),*) => {$(
        impl<const SCHEMA: bool> QueryId for $fragment<'_, SCHEMA> {
            type QueryId = $fragment<'static, SCHEMA>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }
        impl<Conn, const SCHEMA: bool> RunQueryDsl<Conn> for $fragment<'_, SCHEMA> {}
    )*};
}

static_query_id!(SqliteUpsert, SqliteChange, PgUpsert);

const fn target_of(schema: bool) -> Target {
    if schema {
        Target::Schema
    } else {
        Target::Limit
    }
}

/// SQLite: one row, upserted.
struct SqliteUpsert<'a, const SCHEMA: bool>(&'a Row);

impl<const SCHEMA: bool> QueryFragment<Sqlite> for SqliteUpsert<'_, SCHEMA> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let row = self.0;
        out.push_sql("INSERT INTO ");
        out.push_sql(target_of(SCHEMA).table());
        out.push_sql(" (");
        out.push_sql(COLUMNS);
        out.push_sql(") VALUES (");
        out.push_bind_param::<Text, _>(&row.code)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&row.is_active)?;
        for text in [&row.country, &row.state, &row.city] {
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(text)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Integer>, _>(&row.year_born)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<SmallInt>, _>(&row.gender)?;
        for text in [&row.metadata, &row.country_code] {
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, _>(text)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&row.location)?;
        for number in [&row.created_at, &row.updated_at, &row.version] {
            out.push_sql(", ");
            out.push_bind_param::<BigInt, _>(number)?;
        }
        out.push_sql(")");
        out.push_sql(ON_CONFLICT);
        Ok(())
    }
}

/// SQLite: the feed row of one upsert.
struct SqliteChange<'a, const SCHEMA: bool>(&'a Row);

impl<const SCHEMA: bool> QueryFragment<Sqlite> for SqliteChange<'_, SCHEMA> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("INSERT INTO changes (code, op, version, at) VALUES (");
        out.push_bind_param::<Text, _>(&self.0.code)?;
        out.push_sql(", 0, ");
        out.push_bind_param::<BigInt, _>(&self.0.version)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.0.updated_at)?;
        out.push_sql(")");
        Ok(())
    }
}

/// PostgreSQL: a batch of rows, one array per column (and the batch's feed rows with
/// `SCHEMA`).
struct PgUpsert<'a, const SCHEMA: bool> {
    code: Vec<&'a str>,
    is_active: Vec<bool>,
    texts: [Vec<Option<&'a str>>; 5],
    year_born: Vec<Option<i32>>,
    gender: Vec<Option<i16>>,
    location: Vec<&'a str>,
    numbers: [Vec<i64>; 3],
}

impl<'a, const SCHEMA: bool> PgUpsert<'a, SCHEMA> {
    fn new(rows: &'a [Row]) -> Self {
        let text = |field: fn(&'a Row) -> &'a Option<String>| {
            rows.iter().map(|row| field(row).as_deref()).collect()
        };
        let number = |field: fn(&Row) -> i64| rows.iter().map(field).collect();
        PgUpsert {
            code: rows.iter().map(|row| row.code.as_str()).collect(),
            is_active: rows.iter().map(|row| row.is_active).collect(),
            texts: [
                text(|row| &row.country),
                text(|row| &row.state),
                text(|row| &row.city),
                text(|row| &row.metadata),
                text(|row| &row.country_code),
            ],
            year_born: rows.iter().map(|row| row.year_born).collect(),
            gender: rows.iter().map(|row| row.gender).collect(),
            location: rows.iter().map(|row| row.location.as_str()).collect(),
            numbers: [
                number(|row| row.created_at),
                number(|row| row.updated_at),
                number(|row| row.version),
            ],
        }
    }
}

impl<const SCHEMA: bool> QueryFragment<Pg> for PgUpsert<'_, SCHEMA> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let [country, state, city, metadata, country_code] = &self.texts;
        if SCHEMA {
            // One statement for both tables: the feed rows ride along in a CTE.
            out.push_sql("WITH feed AS (INSERT INTO changes (code, op, version, at) ");
            out.push_sql("SELECT c, 0, v, v FROM unnest(");
            out.push_bind_param::<Array<Text>, _>(&self.code)?;
            out.push_sql(", ");
            out.push_bind_param::<Array<BigInt>, _>(&self.numbers[2])?;
            out.push_sql(") AS f(c, v)) ");
        }
        out.push_sql("INSERT INTO ");
        out.push_sql(target_of(SCHEMA).table());
        out.push_sql(" (");
        out.push_sql(COLUMNS);
        out.push_sql(") SELECT * FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(&self.code)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.is_active)?;
        for column in [country, state, city] {
            out.push_sql(", ");
            out.push_bind_param::<Array<Nullable<Text>>, _>(column)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Integer>>, _>(&self.year_born)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<SmallInt>>, _>(&self.gender)?;
        for column in [metadata, country_code] {
            out.push_sql(", ");
            out.push_bind_param::<Array<Nullable<Text>>, _>(column)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.location)?;
        for column in &self.numbers {
            out.push_sql(", ");
            out.push_bind_param::<Array<BigInt>, _>(column)?;
        }
        out.push_sql(")");
        out.push_sql(ON_CONFLICT);
        Ok(())
    }
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

    fn write<const SCHEMA: bool>(&mut self, rows: &[Row]) -> anyhow::Result<()> {
        match self {
            Raw::Sqlite(connection) => connection.immediate_transaction(|connection| {
                for row in rows {
                    SqliteUpsert::<SCHEMA>(row).execute(connection)?;
                    if SCHEMA {
                        SqliteChange::<SCHEMA>(row).execute(connection)?;
                    }
                }
                QueryResult::Ok(())
            })?,
            Raw::Postgres(connection) => {
                // One statement is its own transaction, committed as it ends.
                PgUpsert::<SCHEMA>::new(rows).execute(connection)?;
            }
        }
        Ok(())
    }
}

/// Creates the limit table in a database the server's migrations already made.
pub fn create_limit_table(database: &Database) -> anyhow::Result<()> {
    let mut raw = Raw::open(database)?;
    match &mut raw {
        Raw::Sqlite(connection) => connection.batch_execute(LIMIT_TABLE)?,
        Raw::Postgres(connection) => connection.batch_execute(LIMIT_TABLE)?,
    }
    Ok(())
}

/// Rows per second written into `target` by `connections` direct clients for `duration`,
/// batches of `batch` rows. `update_of` writes over codes `0..update_of` of `run`
/// (existing rows) instead of fresh ones.
pub fn upsert_rate(
    database: &Database,
    target: Target,
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
                                    Some(existing) => row(
                                        run,
                                        number % existing,
                                        batch_number as i64 + 2,
                                        Some(batch_number),
                                    ),
                                    None => row(run, number, 1, None),
                                }
                            })
                            .collect();
                        match target {
                            Target::Limit => raw.write::<false>(&rows)?,
                            Target::Schema => raw.write::<true>(&rows)?,
                        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raw_row_holds_the_customer_the_api_is_sent() {
        for number in [0, 7, 1_234_567] {
            let customer = data::customer("t", number);
            let row = row("t", number, 1, None);
            assert_eq!(row.code, customer["code"]);
            assert_eq!(row.city.as_deref(), customer["city"].as_str());
            assert_eq!(row.year_born.map(i64::from), customer["yearBorn"].as_i64());
            let metadata: serde_json::Value =
                serde_json::from_str(row.metadata.as_deref().unwrap_or_default())
                    .unwrap_or_default();
            assert_eq!(metadata, customer["metadata"]);
        }
        let updated = row("t", 3, 5, Some(9));
        let metadata: serde_json::Value =
            serde_json::from_str(updated.metadata.as_deref().unwrap_or_default())
                .unwrap_or_default();
        assert_eq!(metadata["visits"], 9);
    }
}
