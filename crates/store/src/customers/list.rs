//! Listing customers: a page of `GET /customers` in code order, forwards or backwards from a
//! cursor, with its filters (code prefix, activity, country), and how many customers those
//! filters select.

use clientela_core::Customer;
use diesel::prelude::*;

use super::storable;
use crate::error::StoreError;
use crate::rows::CustomerRow;
use crate::schema::customers;
use crate::{Store, Target};

/// Up to this many customers, [`Store::count`] is exact.
pub const EXACT_COUNT_LIMIT: usize = 10_000;

/// How many customers a list selects: exact, or an estimate (at least `value`, or about it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub value: u64,
    pub exact: bool,
}

#[derive(diesel::QueryableByName)]
struct Estimate {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    value: i64,
}

/// The filters of a [`ListQuery`] (prefix, active, country; not its cursors) on a boxed
/// select of `customers`, the same for a page and for its count.
macro_rules! filter_list {
    ($select:expr, $query:expr) => {{
        let mut select = $select;
        let query: &ListQuery = $query;
        if let Some(prefix) = &query.prefix {
            select = select.filter(customers::code.ge(prefix.clone()));
            if let Some(upper) = prefix_upper_bound(prefix) {
                select = select.filter(customers::code.lt(upper));
            }
        }
        // `NOT is_active` as such, not `is_active = false`: the partial index of inactive
        // customers is only used for a condition that reads like its own.
        match query.active {
            Some(true) => select = select.filter(customers::is_active),
            Some(false) => select = select.filter(diesel::dsl::not(customers::is_active)),
            None => {}
        }
        if let Some(country_code) = &query.country_code {
            select = select.filter(customers::country_code.eq(country_code.clone()));
        }
        select
    }};
}

/// A page request for `GET /customers`.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub limit: usize,
    /// Only codes after this one (the cursor).
    pub after: Option<String>,
    /// Page backwards: the last `limit` codes before this one (`Some("")`: before the end,
    /// so the last page), still returned in ascending order.
    pub before: Option<String>,
    /// Only codes starting with this.
    pub prefix: Option<String>,
    pub active: Option<bool>,
    /// ISO 3166-1 alpha-2 of the resolved country.
    pub country_code: Option<String>,
}

impl Store {
    /// One page ordered by code, and whether more follow it (with `before`: whether more
    /// come before it). Either way one query, at any depth: the primary key's index is read
    /// from the cursor on, forwards or backwards.
    pub fn list_page(&self, query: &ListQuery) -> Result<(Vec<Customer>, bool), StoreError> {
        if query
            .prefix
            .as_deref()
            .is_some_and(|prefix| !storable(prefix))
        {
            return Ok((Vec::new(), false));
        }
        let backwards = query.before.is_some();
        let mut select = customers::table
            .select(CustomerRow::as_select())
            .limit(
                i64::try_from(query.limit)
                    .unwrap_or(i64::MAX)
                    .saturating_add(1),
            )
            .into_boxed();
        select = if backwards {
            select.order(customers::code.desc())
        } else {
            select.order(customers::code.asc())
        };
        if let Some(before) = query.before.as_deref().filter(|before| !before.is_empty()) {
            // As for `after`: `code < "ab\0…"` selects what `code <= "ab"` does.
            let (comparable, cut) = match before.split_once('\0') {
                Some((head, _)) => (head, true),
                None => (before, false),
            };
            select = if cut {
                select.filter(customers::code.le(comparable.to_owned()))
            } else {
                select.filter(customers::code.lt(comparable.to_owned()))
            };
        }
        if let Some(after) = &query.after {
            // PostgreSQL cannot compare with a NUL, and no stored code holds one, so
            // `code > "ab\0…"` selects exactly the codes `code > "ab"` does: cut at the NUL.
            let comparable = after.split('\0').next().unwrap_or_default();
            select = select.filter(customers::code.gt(comparable.to_owned()));
        }
        select = filter_list!(select, query);
        let mut rows: Vec<CustomerRow> = select.load(&mut *self.readers.get()?)?;
        let more = rows.len() > query.limit;
        rows.truncate(query.limit);
        if backwards {
            rows.reverse();
        }
        let customers = rows
            .into_iter()
            .map(CustomerRow::into_customer)
            .collect::<Result<_, _>>()?;
        Ok((customers, more))
    }

    /// How many customers `query`'s filters select (its cursors and limit aside): exact up
    /// to [`EXACT_COUNT_LIMIT`], counted by reading at most that many codes from an index;
    /// past it an estimate, never a full scan of a table of millions. The estimate of the
    /// whole table is the database's own (PostgreSQL's `reltuples`, SQLite's largest rowid);
    /// with filters it is the limit itself, a lower bound.
    pub fn count(&self, query: &ListQuery) -> Result<Count, StoreError> {
        if query
            .prefix
            .as_deref()
            .is_some_and(|prefix| !storable(prefix))
        {
            return Ok(Count {
                value: 0,
                exact: true,
            });
        }
        let mut connection = self.readers.get()?;
        let mut select = customers::table
            .select(customers::code)
            .limit(i64::try_from(EXACT_COUNT_LIMIT).unwrap_or(i64::MAX) + 1)
            .into_boxed();
        select = filter_list!(select, query);
        let seen = select.load::<String>(&mut *connection)?.len();
        if seen <= EXACT_COUNT_LIMIT {
            return Ok(Count {
                value: seen as u64,
                exact: true,
            });
        }
        let filtered =
            query.prefix.is_some() || query.active.is_some() || query.country_code.is_some();
        let estimate = if filtered {
            None
        } else {
            let sql = match self.target {
                Target::Postgres(_) => {
                    "SELECT CAST(reltuples AS BIGINT) AS value FROM pg_class \
                     WHERE oid = 'customers'::regclass"
                }
                Target::Sqlite(_) => "SELECT COALESCE(MAX(rowid), 0) AS value FROM customers",
            };
            diesel::sql_query(sql)
                .get_result::<Estimate>(&mut *connection)
                .ok()
                .and_then(|estimate| u64::try_from(estimate.value).ok())
        };
        Ok(Count {
            value: estimate.unwrap_or(0).max(EXACT_COUNT_LIMIT as u64 + 1),
            exact: false,
        })
    }
}

/// The smallest string greater than every string that starts with `prefix`, so a prefix
/// search is the range `prefix <= code < bound` and can use the primary key. Codes compare
/// bytewise, and UTF-8 orders like code points, so it is the prefix with its last character
/// incremented. `None` when no such string exists (the prefix ends in U+10FFFF only).
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=0x10FFFF).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::prefix_upper_bound;

    #[test]
    fn the_bound_increments_the_last_character() {
        assert_eq!(prefix_upper_bound("D314").as_deref(), Some("D315"));
        assert_eq!(prefix_upper_bound("az").as_deref(), Some("a{"));
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
    }
}
