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

use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Nullable, SmallInt, Text};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};

use crate::changes::NewChange;
use crate::rows::{COLUMNS, ColumnArrays, CustomerRow, RowSqlType};

/// What an upsert of an existing code keeps: everything else is replaced.
const KEPT_ON_UPDATE: [&str; 2] = ["code", "created_at"];

/// `code, is_active, …`: every column of `customers`, in [`CustomerRow`]'s order.
fn push_columns(out: &mut AstPass<'_, '_, impl Backend>) {
    for (index, column) in COLUMNS.iter().enumerate() {
        if index > 0 {
            out.push_sql(", ");
        }
        out.push_sql(column);
    }
}

/// ` ON CONFLICT (code) DO UPDATE SET is_active = excluded.is_active, …`: an upsert of an
/// existing code replaces every column but [`KEPT_ON_UPDATE`].
fn push_on_conflict(out: &mut AstPass<'_, '_, impl Backend>) {
    out.push_sql(" ON CONFLICT (code) DO UPDATE SET ");
    let replaced = COLUMNS
        .iter()
        .filter(|column| !KEPT_ON_UPDATE.contains(column));
    for (index, column) in replaced.enumerate() {
        if index > 0 {
            out.push_sql(", ");
        }
        out.push_sql(column);
        out.push_sql(" = excluded.");
        out.push_sql(column);
    }
}

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
    type SqlType = RowSqlType;
}

impl QueryFragment<Sqlite> for SqliteRowsOf<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        push_columns(&mut out);
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
        out.push_sql("INSERT INTO customers (");
        push_columns(&mut out);
        out.push_sql(") VALUES (");
        self.row.push_binds(&mut out)?;
        out.push_sql(")");
        push_on_conflict(&mut out);
        Ok(())
    }
}

/// PostgreSQL: insert or replace many rows, one array per column.
pub(crate) struct PgUpsert<'a> {
    columns: ColumnArrays<'a>,
}

impl<'a> PgUpsert<'a> {
    /// The rows must have distinct codes (one statement cannot update a row twice).
    pub(crate) fn new(rows: &'a [CustomerRow]) -> PgUpsert<'a> {
        PgUpsert {
            columns: ColumnArrays::new(rows),
        }
    }
}

impl QueryFragment<Pg> for PgUpsert<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("INSERT INTO customers (");
        push_columns(&mut out);
        out.push_sql(") SELECT * FROM unnest(");
        self.columns.push_binds(&mut out)?;
        out.push_sql(")");
        push_on_conflict(&mut out);
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
        out.push_sql("INSERT INTO changes (code, op, version, at, changed_fields) VALUES (");
        out.push_bind_param::<Text, _>(&self.change.code)?;
        out.push_sql(", ");
        out.push_bind_param::<SmallInt, _>(&self.change.op)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.change.version)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.change.at)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&self.change.changed_fields)?;
        out.push_sql(")");
        Ok(())
    }
}

/// PostgreSQL: a batch's rows of the change feed, one array per column, in one round trip
/// and one cached plan for any batch size (as [`PgUpsert`]). The changed fields' names are
/// one more array of short texts (NULL for deletes): no extra round trip.
pub(crate) struct PgRecordChanges<'a> {
    code: Vec<&'a str>,
    op: Vec<i16>,
    version: Vec<i64>,
    at: Vec<i64>,
    changed_fields: Vec<Option<&'a str>>,
}

impl<'a> PgRecordChanges<'a> {
    pub(crate) fn new(changes: &'a [NewChange<'a>]) -> PgRecordChanges<'a> {
        PgRecordChanges {
            code: changes.iter().map(|change| change.code).collect(),
            op: changes.iter().map(|change| change.op).collect(),
            version: changes.iter().map(|change| change.version).collect(),
            at: changes.iter().map(|change| change.at).collect(),
            changed_fields: changes
                .iter()
                .map(|change| change.changed_fields.as_deref())
                .collect(),
        }
    }
}

impl QueryFragment<Pg> for PgRecordChanges<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO changes (code, op, version, at, changed_fields) SELECT * FROM unnest(",
        );
        out.push_bind_param::<Array<Text>, _>(&self.code)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<SmallInt>, _>(&self.op)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.version)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.changed_fields)?;
        out.push_sql(")");
        Ok(())
    }
}

/// A JSON array of these texts, for `json_each`.
pub(crate) fn json_array<T: AsRef<str>>(texts: &[T]) -> String {
    let texts: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
    serde_json::to_string(&texts).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use diesel::{QueryDsl, debug_query};

    use super::*;
    use crate::schema::customers;

    /// The statement's SQL text, without the binds `debug_query` lists after it.
    fn sql_text(debug: String) -> String {
        debug
            .split(" -- binds")
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn the_row_columns_are_the_schemas_columns_in_order() {
        let select =
            debug_query::<Sqlite, _>(&customers::table.select(customers::all_columns)).to_string();
        let schema_columns: Vec<&str> = select
            .split(", ")
            .filter_map(|column| column.split("`.`").nth(1))
            .map(|column| column.split('`').next().unwrap_or_default())
            .collect();
        assert_eq!(schema_columns, COLUMNS);
    }

    #[test]
    fn the_upserts_sql_names_every_column_and_replaces_all_but_code_and_created_at() {
        let row = CustomerRow {
            code: "A".to_owned(),
            is_active: true,
            country: None,
            state: None,
            city: None,
            year_born: None,
            gender: None,
            metadata: None,
            country_code: None,
            location: "{}".to_owned(),
            created_at: 0,
            updated_at: 0,
            version: 1,
        };
        let columns = "code, is_active, country, state, city, year_born, gender, metadata, \
                       country_code, location, created_at, updated_at, version";
        let on_conflict = " ON CONFLICT (code) DO UPDATE SET is_active = excluded.is_active, \
            country = excluded.country, state = excluded.state, city = excluded.city, \
            year_born = excluded.year_born, gender = excluded.gender, \
            metadata = excluded.metadata, country_code = excluded.country_code, \
            location = excluded.location, updated_at = excluded.updated_at, \
            version = excluded.version";
        let sqlite = sql_text(debug_query::<Sqlite, _>(&SqliteUpsert { row: &row }).to_string());
        let values = vec!["?"; COLUMNS.len()].join(", ");
        assert_eq!(
            sqlite,
            format!("INSERT INTO customers ({columns}) VALUES ({values}){on_conflict}")
        );
        let rows = [row];
        let postgres = sql_text(debug_query::<Pg, _>(&PgUpsert::new(&rows)).to_string());
        let arrays: Vec<String> = (1..=COLUMNS.len()).map(|n| format!("${n}")).collect();
        assert_eq!(
            postgres,
            format!(
                "INSERT INTO customers ({columns}) SELECT * FROM unnest({}){on_conflict}",
                arrays.join(", ")
            )
        );
    }
}
