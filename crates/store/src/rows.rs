//! Conversion between database rows and core types, in one place.

use clientela_core::geo::Location;
use clientela_core::{Customer, Gender, Timestamp};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::AstPass;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, SmallInt, Text};
use diesel::sqlite::Sqlite;

use crate::error::StoreError;
use crate::schema::customers;

/// Declares the `customers` row once, column by column (name, SQL type, Rust type), and
/// derives from that one list everything that must follow the table's columns in order:
/// the row struct diesel reads and inserts, [`COLUMNS`] (from which the prepared
/// statements' SQL text is built), [`RowSqlType`], and the binds of one row (SQLite) or of
/// one array per column (PostgreSQL). A test holds [`COLUMNS`] equal to `schema.rs`.
macro_rules! customers_row {
    (
        $first:ident: $first_sql:ty => $first_rust:ty
        $(, $column:ident: $sql:ty => $rust:ty)* $(,)?
    ) => {
        /// A `customers` row, for reading and for the upsert.
        #[derive(Debug, Clone, Queryable, Selectable, Insertable)]
        #[diesel(table_name = customers, treat_none_as_default_value = false)]
        pub(crate) struct CustomerRow {
            pub $first: $first_rust,
            $(pub $column: $rust,)*
        }

        /// The columns of `customers`, in [`CustomerRow`]'s order.
        pub(crate) const COLUMNS: &[&str] = &[stringify!($first) $(, stringify!($column))*];

        /// The SQL types of [`COLUMNS`], for loading [`CustomerRow`]s.
        pub(crate) type RowSqlType = ($first_sql, $($sql,)*);

        impl CustomerRow {
            /// Binds this row's values in [`COLUMNS`]' order, separated by commas.
            pub(crate) fn push_binds<'b>(
                &'b self,
                out: &mut AstPass<'_, 'b, Sqlite>,
            ) -> QueryResult<()> {
                out.push_bind_param::<$first_sql, _>(&self.$first)?;
                $(
                    out.push_sql(", ");
                    out.push_bind_param::<$sql, _>(&self.$column)?;
                )*
                Ok(())
            }
        }

        /// Many rows as one array per column, for PostgreSQL's `unnest`.
        pub(crate) struct ColumnArrays<'a> {
            $first: Vec<&'a $first_rust>,
            $($column: Vec<&'a $rust>,)*
        }

        impl<'a> ColumnArrays<'a> {
            pub(crate) fn new(rows: &'a [CustomerRow]) -> ColumnArrays<'a> {
                ColumnArrays {
                    $first: rows.iter().map(|row| &row.$first).collect(),
                    $($column: rows.iter().map(|row| &row.$column).collect(),)*
                }
            }

            /// Binds the arrays in [`COLUMNS`]' order, separated by commas.
            pub(crate) fn push_binds<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
                out.push_bind_param::<Array<$first_sql>, _>(&self.$first)?;
                $(
                    out.push_sql(", ");
                    out.push_bind_param::<Array<$sql>, _>(&self.$column)?;
                )*
                Ok(())
            }
        }
    };
}

customers_row! {
    code: Text => String,
    is_active: Bool => bool,
    country: Nullable<Text> => Option<String>,
    state: Nullable<Text> => Option<String>,
    city: Nullable<Text> => Option<String>,
    year_born: Nullable<Integer> => Option<i32>,
    gender: Nullable<SmallInt> => Option<i16>,
    metadata: Nullable<Text> => Option<String>,
    country_code: Nullable<Text> => Option<String>,
    location: Text => String,
    created_at: BigInt => i64,
    updated_at: BigInt => i64,
    version: BigInt => i64,
}

impl CustomerRow {
    pub(crate) fn from_customer(customer: &Customer) -> CustomerRow {
        // Exhaustive on purpose: a field added to `Customer` does not compile until it is
        // stored (or said not to be) here.
        let Customer {
            code,
            is_active,
            country,
            state,
            city,
            year_born,
            gender,
            metadata,
            location,
            created_at,
            updated_at,
            version,
        } = customer;
        CustomerRow {
            code: code.clone(),
            is_active: *is_active,
            country: country.clone(),
            state: state.clone(),
            city: city.clone(),
            year_born: *year_born,
            gender: gender.map(Gender::number),
            metadata: metadata
                .as_ref()
                .map(|metadata| serde_json::to_string(metadata).unwrap_or_default()),
            country_code: location
                .country
                .as_ref()
                .map(|country| country.code.clone()),
            location: serde_json::to_string(location).unwrap_or_default(),
            created_at: created_at.micros(),
            updated_at: updated_at.micros(),
            version: *version,
        }
    }

    pub(crate) fn into_customer(self) -> Result<Customer, StoreError> {
        let (mut customer, metadata) = self.into_parts()?;
        customer.metadata = match metadata {
            None => None,
            Some(text) => match serde_json::from_str(&text) {
                Ok(serde_json::Value::Object(object)) => Some(object),
                Ok(_) => return Err(corrupt(&customer.code, "metadata is not an object")),
                Err(error) => return Err(corrupt(&customer.code, &format!("metadata: {error}"))),
            },
        };
        Ok(customer)
    }

    /// The customer but for its metadata (left `None`), and the metadata's JSON text as
    /// stored.
    pub(crate) fn into_parts(self) -> Result<(Customer, Option<String>), StoreError> {
        let location: Location = serde_json::from_str(&self.location)
            .map_err(|error| corrupt(&self.code, &format!("location: {error}")))?;
        let gender = match self.gender {
            None => None,
            Some(number) => Some(
                Gender::from_number(number.into())
                    .ok_or_else(|| corrupt(&self.code, &format!("gender {number}")))?,
            ),
        };
        let customer = Customer {
            code: self.code,
            is_active: self.is_active,
            country: self.country,
            state: self.state,
            city: self.city,
            year_born: self.year_born,
            gender,
            metadata: None,
            location,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
            version: self.version,
        };
        Ok((customer, self.metadata))
    }
}

/// A stored customer that does not read as one.
pub(crate) fn corrupt(code: &str, detail: &str) -> StoreError {
    StoreError::Corrupt {
        code: code.to_owned(),
        detail: detail.to_owned(),
    }
}
