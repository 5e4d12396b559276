//! Customer use cases of the [`Store`]: batch upsert, get, list a page, delete.

use std::collections::{BTreeSet, HashMap, HashSet};

use clientela_core::merge::{Applied, MergeContext, MergeResult, apply};
use clientela_core::{Customer, CustomerPatch, FieldError, Timestamp};
use diesel::prelude::*;

use crate::changes::{ChangeOp, NewChange};
use crate::error::StoreError;
use crate::rows::CustomerRow;
use crate::schema::customers;
use crate::sql::code_hash;
use crate::{DbConnection, Store, Target, WriteSql};

/// Valid patches of one request, each with its index in the request body.
#[derive(Debug, Clone, Copy)]
pub struct BatchRequest<'a> {
    pub items: &'a [(usize, CustomerPatch)],
    /// Apply only if the stored customer is in this state (`If-Match` / `If-None-Match`);
    /// meant for one item.
    pub precondition: Option<Precondition>,
    /// All or nothing: if any item fails, write none.
    pub atomic: bool,
    /// Work out every outcome, locks and all, and write nothing (`?dryRun=true`).
    pub dry_run: bool,
}

/// What must hold of the stored customer for a patch to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// It exists at this version (`If-Match: "<version>"`).
    Version(i64),
    /// It does not exist (`If-None-Match: *`): create only.
    Absent,
}

impl Precondition {
    fn holds(self, stored: Option<&Customer>) -> bool {
        match self {
            Precondition::Version(version) => {
                stored.map(|customer| customer.version) == Some(version)
            }
            Precondition::Absent => stored.is_none(),
        }
    }
}

/// Why an item was not applied.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemFailure {
    /// The merged result breaks a rule (e.g. metadata grew past its limit).
    Invalid(Vec<FieldError>),
    /// The code was erased with `suppress=true`.
    Suppressed,
    /// The precondition does not hold; `current` is the stored version (`None`: no customer).
    PreconditionFailed { current: Option<i64> },
}

pub type ItemOutcome = Result<Applied, ItemFailure>;

/// A page request for `GET /customers`.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub limit: usize,
    /// Only codes after this one (the cursor).
    pub after: Option<String>,
    /// Only codes starting with this.
    pub prefix: Option<String>,
    pub active: Option<bool>,
    /// ISO 3166-1 alpha-2 of the resolved country.
    pub country_code: Option<String>,
}

impl Store {
    /// Applies a batch of merge patches in one transaction; returns one outcome per item, in
    /// order. With `atomic`, a batch with any failure writes nothing.
    pub fn upsert_batch(
        &self,
        request: &BatchRequest<'_>,
        context: &MergeContext<'_>,
    ) -> Result<Vec<ItemOutcome>, StoreError> {
        let codes: BTreeSet<&str> = request
            .items
            .iter()
            .map(|(_, patch)| patch.code.as_str())
            .collect();
        let codes: Vec<&str> = codes.into_iter().collect();
        self.write_transaction(&codes, |sql| merge_batch(sql, &codes, request, context))
    }

    pub fn get(&self, code: &str) -> Result<Option<Customer>, StoreError> {
        get_on(&mut *self.readers.get()?, code)
    }

    /// [`Store::get`] on the caller's thread, when that is cheaper than handing it to another:
    /// on SQLite with a reader free right now (a point read by primary key, answered from the
    /// page cache in microseconds, costs less than the two thread wake-ups of a hand-off).
    /// `None` on PostgreSQL (a network round trip) or when every reader is busy: the caller
    /// then runs [`Store::get`] on a blocking thread.
    pub fn get_inline(&self, code: &str) -> Option<Result<Option<Customer>, StoreError>> {
        if !matches!(self.target, Target::Sqlite(_)) {
            return None;
        }
        let mut connection = self.readers.try_get()?;
        Some(get_on(&mut connection, code))
    }

    /// One page ordered by code, and whether more follow it.
    pub fn list_page(&self, query: &ListQuery) -> Result<(Vec<Customer>, bool), StoreError> {
        if query
            .prefix
            .as_deref()
            .is_some_and(|prefix| !storable(prefix))
        {
            return Ok((Vec::new(), false));
        }
        let mut select = customers::table
            .select(CustomerRow::as_select())
            .order(customers::code.asc())
            .limit(
                i64::try_from(query.limit)
                    .unwrap_or(i64::MAX)
                    .saturating_add(1),
            )
            .into_boxed();
        if let Some(after) = &query.after {
            // PostgreSQL cannot compare with a NUL, and no stored code holds one, so
            // `code > "ab\0…"` selects exactly the codes `code > "ab"` does: cut at the NUL.
            let comparable = after.split('\0').next().unwrap_or_default();
            select = select.filter(customers::code.gt(comparable.to_owned()));
        }
        if let Some(prefix) = &query.prefix {
            select = select.filter(customers::code.ge(prefix.clone()));
            if let Some(upper) = prefix_upper_bound(prefix) {
                select = select.filter(customers::code.lt(upper));
            }
        }
        if let Some(active) = query.active {
            select = select.filter(customers::is_active.eq(active));
        }
        if let Some(country_code) = &query.country_code {
            select = select.filter(customers::country_code.eq(country_code.clone()));
        }
        let mut rows: Vec<CustomerRow> = select.load(&mut *self.readers.get()?)?;
        let more = rows.len() > query.limit;
        rows.truncate(query.limit);
        let customers = rows
            .into_iter()
            .map(CustomerRow::into_customer)
            .collect::<Result<_, _>>()?;
        Ok((customers, more))
    }

    /// Erases a customer; with `suppress`, also refuses later POSTs of its code. Returns
    /// whether the customer existed (nothing is suppressed when it did not).
    pub fn delete(&self, code: &str, suppress: bool) -> Result<bool, StoreError> {
        if !storable(code) {
            return Ok(false);
        }
        self.write_transaction(&[code], |sql| {
            let Some(stored) = sql.existing(&[code])?.into_iter().next() else {
                return Ok(false);
            };
            sql.delete_customer(code)?;
            let now = Timestamp::now();
            if suppress {
                sql.suppress(&code_hash(code), now.micros())?;
            }
            // Nothing of the erased customer stays in the feed but the fact of its erasure.
            sql.forget_changes(code)?;
            sql.record_changes(&[NewChange::new(code, ChangeOp::Delete, stored.version, now)])?;
            Ok(true)
        })
    }

    /// Lets a suppressed code be posted again; returns whether it was suppressed.
    pub fn unsuppress(&self, code: &str) -> Result<bool, StoreError> {
        if !storable(code) {
            return Ok(false);
        }
        self.write_transaction(&[code], |sql| Ok(sql.unsuppress(&code_hash(code))? > 0))
    }
}

/// Whether a text can be a stored code: PostgreSQL's `text` cannot hold NUL (it would fail
/// the query), and validation refuses control characters, so no stored code contains one
/// and a lookup of such a text can answer "absent" without asking the database.
fn storable(text: &str) -> bool {
    !text.contains('\0')
}

fn merge_batch(
    sql: &mut dyn WriteSql,
    codes: &[&str],
    request: &BatchRequest<'_>,
    context: &MergeContext<'_>,
) -> Result<Vec<ItemOutcome>, StoreError> {
    let hashes: HashMap<&str, String> = codes.iter().map(|code| (*code, code_hash(code))).collect();
    let suppressed: HashSet<String> = sql
        .suppressed(&hashes.values().cloned().collect::<Vec<_>>())?
        .into_iter()
        .collect();
    let mut current: HashMap<String, Customer> = HashMap::with_capacity(codes.len());
    for row in sql.existing(codes)? {
        let customer = row.into_customer()?;
        current.insert(customer.code.clone(), customer);
    }

    let mut changed: BTreeSet<&str> = BTreeSet::new();
    let mut outcomes = Vec::with_capacity(request.items.len());
    for (_, patch) in request.items {
        let code = patch.code.as_str();
        let stored = current.get(code);
        let outcome = if hashes
            .get(code)
            .is_some_and(|hash| suppressed.contains(hash))
        {
            Err(ItemFailure::Suppressed)
        } else if let Some(precondition) = request.precondition
            && !precondition.holds(stored)
        {
            Err(ItemFailure::PreconditionFailed {
                current: stored.map(|customer| customer.version),
            })
        } else {
            apply(stored, patch, context).map_err(ItemFailure::Invalid)
        };
        if let Ok(applied) = &outcome
            && applied.result != MergeResult::Unchanged
        {
            current.insert(patch.code.clone(), applied.customer.clone());
            changed.insert(code);
        }
        outcomes.push(outcome);
    }

    if request.dry_run || (request.atomic && outcomes.iter().any(Result::is_err)) {
        return Ok(outcomes);
    }
    let written: Vec<&Customer> = changed
        .iter()
        .filter_map(|code| current.get(*code))
        .collect();
    if !written.is_empty() {
        let rows: Vec<CustomerRow> = written
            .iter()
            .map(|customer| CustomerRow::from_customer(customer))
            .collect();
        sql.upsert(&rows)?;
        let feed: Vec<NewChange<'_>> = written
            .iter()
            .map(|customer| {
                NewChange::new(
                    &customer.code,
                    ChangeOp::Upsert,
                    customer.version,
                    customer.updated_at,
                )
            })
            .collect();
        sql.record_changes(&feed)?;
    }
    Ok(outcomes)
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

/// `code` is the primary key, so the statement needs no `LIMIT 1` (`first`): SQLite (3.53,
/// bundled) plans a `LIMIT ?` around its bound value and so prepares such a statement again
/// after every bind, which a profile of GETs showed as `sqlite3Reprepare` under every
/// `sqlite3_step`. Without it, the cached statement is reused as it is.
fn get_on(connection: &mut DbConnection, code: &str) -> Result<Option<Customer>, StoreError> {
    if !storable(code) {
        return Ok(None);
    }
    let row = customers::table
        .find(code)
        .select(CustomerRow::as_select())
        .get_result(connection)
        .optional()?;
    row.map(CustomerRow::into_customer).transpose()
}

#[cfg(test)]
mod tests {
    use super::prefix_upper_bound;
    use crate::{ScratchSchema, Store, StoreOptions};

    #[test]
    fn a_point_read_runs_inline_only_while_a_sqlite_reader_is_free() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("inline.db");
        let mut options = StoreOptions::new(format!("sqlite://{}", path.display()));
        options.pool_size = 2;
        let store = Store::open(&options).unwrap();
        assert!(
            matches!(store.get_inline("nobody"), Some(Ok(None))),
            "a free reader answers on the caller's thread"
        );
        let busy = [store.readers.get().unwrap(), store.readers.get().unwrap()];
        assert!(
            store.get_inline("nobody").is_none(),
            "with every reader busy the caller must not wait on its own thread"
        );
        drop(busy);
        assert!(matches!(store.get_inline("nobody"), Some(Ok(None))));
    }

    #[test]
    fn a_point_read_on_postgres_is_never_inline() {
        let Some(schema) = ScratchSchema::for_test("store") else {
            return;
        };
        let mut options = StoreOptions::new(schema.url());
        options.pool_size = 1;
        options.migrate = false;
        let store = Store::open(&options).unwrap();
        assert!(
            store.get_inline("anyone").is_none(),
            "a PostgreSQL read is a network round trip: it belongs on a blocking thread"
        );
    }

    #[test]
    fn the_bound_increments_the_last_character() {
        assert_eq!(prefix_upper_bound("D314").as_deref(), Some("D315"));
        assert_eq!(prefix_upper_bound("az").as_deref(), Some("a{"));
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
    }
}
