//! The write path's statements as diesel query fragments that stay in the connection's
//! prepared-statement cache.
//!
//! diesel never caches an `ON CONFLICT … DO UPDATE`, a `sql_query`, or (on SQLite) an
//! `IN (?, ?, …)` list, whose text changes with its length: each was parsed and planned
//! again on every request. A profile of single-customer POSTs on SQLite showed
//! `sqlite3_prepare_v3` taking as much time as `sqlite3_step`. These fragments have fixed
//! text whatever the batch size, so each is prepared once per connection:
//! - SQLite: a batch's codes go in as one JSON array (`IN (SELECT value FROM json_each(?))`),
//!   and rows are upserted one statement execution each, all in the batch's transaction
//!   (no round trips: SQLite runs in-process).
//! - PostgreSQL: rows go in as one array per column, `INSERT … SELECT * FROM unnest(…)`: one
//!   round trip and one cached plan for any batch size. (Its reads already use
//!   `= ANY($1)`, which diesel caches.)

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, SmallInt, Text};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};

use crate::changes::NewChange;

use crate::rows::CustomerRow;

/// The columns of `customers`, in [`CustomerRow`]'s order.
const COLUMNS: &str = "code, is_active, country, state, city, year_born, gender, metadata, \
                       country_code, location, created_at, updated_at, version";

/// What an upsert of an existing code replaces: everything but `code` and `created_at`.
const ON_CONFLICT: &str = " ON CONFLICT (code) DO UPDATE SET is_active = excluded.is_active, \
    country = excluded.country, state = excluded.state, city = excluded.city, \
    year_born = excluded.year_born, gender = excluded.gender, metadata = excluded.metadata, \
    country_code = excluded.country_code, location = excluded.location, \
    updated_at = excluded.updated_at, version = excluded.version";

/// The SQL types of [`COLUMNS`], for loading [`CustomerRow`]s.
type RowType = (
    Text,
    Bool,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Integer>,
    Nullable<SmallInt>,
    Nullable<Text>,
    Nullable<Text>,
    Text,
    BigInt,
    BigInt,
    BigInt,
);

/// Implements [`QueryId`] with a static id, which is what lets diesel cache the statement;
/// safe because the SQL text of these fragments never varies.
macro_rules! static_query_id {
    ($($fragment:ident),*) => {$(
        impl QueryId for $fragment<'_> {
            type QueryId = $fragment<'static>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }
        impl<Conn> RunQueryDsl<Conn> for $fragment<'_> {}
    )*};
}

static_query_id!(
    SqliteRowsOf,
    SqliteSuppressedOf,
    SqliteUpsert,
    PgUpsert,
    SqliteRecordChange,
    PgRecordChanges
);

/// SQLite: the stored rows of these codes.
pub(crate) struct SqliteRowsOf<'a> {
    /// The codes as a JSON array.
    pub codes: &'a str,
}

impl Query for SqliteRowsOf<'_> {
    type SqlType = RowType;
}

impl QueryFragment<Sqlite> for SqliteRowsOf<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        out.push_sql(COLUMNS);
        out.push_sql(" FROM customers WHERE code IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(self.codes)?;
        out.push_sql("))");
        Ok(())
    }
}

/// SQLite: which of these code hashes are suppressed.
pub(crate) struct SqliteSuppressedOf<'a> {
    /// The hashes as a JSON array.
    pub hashes: &'a str,
}

impl Query for SqliteSuppressedOf<'_> {
    type SqlType = Text;
}

impl QueryFragment<Sqlite> for SqliteSuppressedOf<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(
            "SELECT code_hash FROM suppressions WHERE code_hash IN (SELECT value FROM json_each(",
        );
        out.push_bind_param::<Text, _>(self.hashes)?;
        out.push_sql("))");
        Ok(())
    }
}

/// SQLite: insert or replace one row.
pub(crate) struct SqliteUpsert<'a> {
    pub row: &'a CustomerRow,
}

impl QueryFragment<Sqlite> for SqliteUpsert<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let row = self.row;
        out.push_sql("INSERT INTO customers (");
        out.push_sql(COLUMNS);
        out.push_sql(") VALUES (");
        out.push_bind_param::<Text, _>(&row.code)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&row.is_active)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&row.country)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&row.state)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&row.city)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Integer>, _>(&row.year_born)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<SmallInt>, _>(&row.gender)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&row.metadata)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&row.country_code)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&row.location)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&row.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&row.updated_at)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&row.version)?;
        out.push_sql(")");
        out.push_sql(ON_CONFLICT);
        Ok(())
    }
}

/// PostgreSQL: insert or replace many rows, one array per column.
pub(crate) struct PgUpsert<'a> {
    code: Vec<&'a str>,
    is_active: Vec<bool>,
    country: Vec<Option<&'a str>>,
    state: Vec<Option<&'a str>>,
    city: Vec<Option<&'a str>>,
    year_born: Vec<Option<i32>>,
    gender: Vec<Option<i16>>,
    metadata: Vec<Option<&'a str>>,
    country_code: Vec<Option<&'a str>>,
    location: Vec<&'a str>,
    created_at: Vec<i64>,
    updated_at: Vec<i64>,
    version: Vec<i64>,
}

impl<'a> PgUpsert<'a> {
    /// The rows must have distinct codes (one statement cannot update a row twice).
    pub(crate) fn new(rows: &'a [CustomerRow]) -> PgUpsert<'a> {
        let column = |field: fn(&'a CustomerRow) -> Option<&'a str>| -> Vec<Option<&'a str>> {
            rows.iter().map(field).collect()
        };
        PgUpsert {
            code: rows.iter().map(|row| row.code.as_str()).collect(),
            is_active: rows.iter().map(|row| row.is_active).collect(),
            country: column(|row| row.country.as_deref()),
            state: column(|row| row.state.as_deref()),
            city: column(|row| row.city.as_deref()),
            year_born: rows.iter().map(|row| row.year_born).collect(),
            gender: rows.iter().map(|row| row.gender).collect(),
            metadata: column(|row| row.metadata.as_deref()),
            country_code: column(|row| row.country_code.as_deref()),
            location: rows.iter().map(|row| row.location.as_str()).collect(),
            created_at: rows.iter().map(|row| row.created_at).collect(),
            updated_at: rows.iter().map(|row| row.updated_at).collect(),
            version: rows.iter().map(|row| row.version).collect(),
        }
    }
}

impl QueryFragment<Pg> for PgUpsert<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("INSERT INTO customers (");
        out.push_sql(COLUMNS);
        out.push_sql(") SELECT * FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(&self.code)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.is_active)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.country)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.state)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.city)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Integer>>, _>(&self.year_born)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<SmallInt>>, _>(&self.gender)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.metadata)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.country_code)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.location)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.updated_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.version)?;
        out.push_sql(")");
        out.push_sql(ON_CONFLICT);
        Ok(())
    }
}

/// SQLite: one row of the change feed (see `changes.rs`), executed once per row of the
/// batch's transaction, like [`SqliteUpsert`].
pub(crate) struct SqliteRecordChange<'a> {
    pub change: &'a NewChange<'a>,
}

impl QueryFragment<Sqlite> for SqliteRecordChange<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("INSERT INTO changes (code, op, version, at) VALUES (");
        out.push_bind_param::<Text, _>(&self.change.code)?;
        out.push_sql(", ");
        out.push_bind_param::<SmallInt, _>(&self.change.op)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.change.version)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.change.at)?;
        out.push_sql(")");
        Ok(())
    }
}

/// PostgreSQL: a batch's rows of the change feed, one array per column, in one round trip
/// and one cached plan for any batch size (as [`PgUpsert`]).
pub(crate) struct PgRecordChanges<'a> {
    code: Vec<&'a str>,
    op: Vec<i16>,
    version: Vec<i64>,
    at: Vec<i64>,
}

impl<'a> PgRecordChanges<'a> {
    pub(crate) fn new(changes: &'a [NewChange<'a>]) -> PgRecordChanges<'a> {
        PgRecordChanges {
            code: changes.iter().map(|change| change.code).collect(),
            op: changes.iter().map(|change| change.op).collect(),
            version: changes.iter().map(|change| change.version).collect(),
            at: changes.iter().map(|change| change.at).collect(),
        }
    }
}

impl QueryFragment<Pg> for PgRecordChanges<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("INSERT INTO changes (code, op, version, at) SELECT * FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(&self.code)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<SmallInt>, _>(&self.op)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.version)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.at)?;
        out.push_sql(")");
        Ok(())
    }
}

/// A JSON array of these texts, for `json_each`.
pub(crate) fn json_array<T: AsRef<str>>(texts: &[T]) -> String {
    let texts: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
    serde_json::to_string(&texts).unwrap_or_else(|_| "[]".to_owned())
}
