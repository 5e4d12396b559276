//! Customer use cases of the [`Store`]: batch upsert, get, delete and suppress (listing a page
//! is `customers/list.rs`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use clientela_core::merge::{Applied, MergeContext, MergeResult, apply};
use clientela_core::{Customer, CustomerPatch, Refusal, Timestamp};
use diesel::prelude::*;

use crate::changes::{ChangeOp, NewChange};
use crate::error::StoreError;
use crate::history::{Epoch, Etag};
use crate::rows::CustomerRow;
use crate::schema::{customers, suppressions};
use crate::suppression_key::legacy_hash;
use crate::{DbConnection, Store, SuppressionKey, Target, WriteSql};

mod list;
#[cfg(test)]
mod tests;

pub use list::{Count, EXACT_COUNT_LIMIT, ListQuery, prefix_upper_bound};

/// Valid patches of one request, each with its index in the request body.
#[derive(Debug, Clone, Copy)]
pub struct BatchRequest<'a> {
    pub items: &'a [(usize, CustomerPatch)],
    /// Apply only if the stored customer is in this state (`If-Match` / `If-None-Match`);
    /// meant for one item.
    pub precondition: Option<Precondition>,
    /// All or nothing: if any item fails, write none.
    pub atomic: bool,
    /// Work out every outcome on one snapshot of the stored customers, and write nothing
    /// (`?dryRun=true`).
    pub dry_run: bool,
}

/// What must hold of the stored customer for a patch to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// It exists at this version, in this history of the data (`If-Match`, as an ETag
    /// gave it): a version from an older history never holds (`history.rs`).
    Version(Etag),
    /// It does not exist (`If-None-Match: *`): create only.
    Absent,
}

impl Precondition {
    fn holds(self, stored: Option<&Customer>, epoch: i64) -> bool {
        match self {
            Precondition::Version(etag) => {
                etag.epoch == epoch && stored.map(|customer| customer.version) == Some(etag.version)
            }
            Precondition::Absent => stored.is_none(),
        }
    }
}

/// What became of one item: applied, or refused ([`Refusal`], the same the API answers).
pub type ItemOutcome = Result<Applied, Refusal>;

/// What [`Store::suppress`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// The code is suppressed from now on.
    Added,
    /// It already was; nothing changed.
    AlreadySuppressed,
    /// A customer has this code: erase it (`delete(code, true)`) instead, nothing changed.
    CustomerExists,
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
        let key = &self.suppression_key;
        let epoch = &self.epoch;
        if request.dry_run {
            // Reads only, on a reader connection in one snapshot: a dry run takes no lock and
            // no place among the writers, so it never holds one up nor counts as a commit.
            let mut connection = self.readers.get()?;
            epoch.refresh_if_stale(&mut connection);
            return match &mut *connection {
                DbConnection::Sqlite(sqlite) => {
                    sqlite.transaction(|sql| merge_batch(sql, &codes, request, context, key, epoch))
                }
                DbConnection::Postgres(postgres) => postgres
                    .build_transaction()
                    .read_only()
                    .run(|sql| merge_batch(sql, &codes, request, context, key, epoch)),
            };
        }
        self.write_transaction(&codes, |sql| {
            merge_batch(sql, &codes, request, context, key, epoch)
        })
    }

    pub fn get(&self, code: &str) -> Result<Option<Customer>, StoreError> {
        let mut connection = self.readers.get()?;
        self.epoch.refresh_if_stale(&mut connection);
        get_on(&mut connection, code)
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
                sql.suppress(&self.suppression_key.hash(code), now.micros())?;
            }
            // Nothing of the erased customer stays in the feed but the fact of its erasure.
            sql.forget_changes(code)?;
            sql.record_changes(&[NewChange::new(code, ChangeOp::Delete, stored.version, now)])?;
            Ok(true)
        })
        .inspect(|deleted| {
            if *deleted {
                self.scrub_sqlite_wal();
            }
        })
    }

    /// Suppresses a code that no customer has (yet): later POSTs of it are refused (409), as
    /// after `delete(code, true)`. For a "do not store" request that comes before the data.
    pub fn suppress(&self, code: &str) -> Result<Suppression, StoreError> {
        if !storable(code) {
            // No POST of it can ever be stored: it is as good as suppressed.
            return Ok(Suppression::AlreadySuppressed);
        }
        self.write_transaction(&[code], |sql| {
            if !sql.existing(&[code])?.is_empty() {
                return Ok(Suppression::CustomerExists);
            }
            Ok(
                if sql.suppress(&self.suppression_key.hash(code), Timestamp::now().micros())? > 0 {
                    Suppression::Added
                } else {
                    Suppression::AlreadySuppressed
                },
            )
        })
    }

    /// Whether later POSTs of this code are refused.
    pub fn is_suppressed(&self, code: &str) -> Result<bool, StoreError> {
        if !storable(code) {
            return Ok(false);
        }
        // The keyed hash, or the plain one of a suppression from before keyed hashes.
        let hashes = [self.suppression_key.hash(code), legacy_hash(code)];
        let found: i64 = suppressions::table
            .filter(suppressions::code_hash.eq_any(&hashes))
            .count()
            .get_result(&mut *self.readers.get()?)?;
        Ok(found > 0)
    }

    /// Lets a suppressed code be posted again; returns whether it was suppressed.
    pub fn unsuppress(&self, code: &str) -> Result<bool, StoreError> {
        if !storable(code) {
            return Ok(false);
        }
        let hashes = [self.suppression_key.hash(code), legacy_hash(code)];
        self.write_transaction(&[code], |sql| Ok(sql.unsuppress(&hashes)? > 0))
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
    key: &SuppressionKey,
    epoch: &Epoch,
) -> Result<Vec<ItemOutcome>, StoreError> {
    // Each code's keyed hash and its legacy plain hash (suppressions from before keyed
    // hashes, which cannot be converted without the code).
    let hashes: HashMap<&str, [String; 2]> = codes
        .iter()
        .map(|code| (*code, [key.hash(code), legacy_hash(code)]))
        .collect();
    let suppressed: HashSet<String> = sql
        .suppressed(&hashes.values().flatten().cloned().collect::<Vec<_>>())?
        .into_iter()
        .collect();
    let mut current: HashMap<String, Customer> = HashMap::with_capacity(codes.len());
    for row in sql.existing(codes)? {
        let customer = row.into_customer()?;
        current.insert(customer.code.clone(), customer);
    }

    // Where each changed code's final state is: the outcome of its last change. A code sent
    // once (the usual batch) is written straight from its outcome, with no copy; only a
    // code sent again later in the batch keeps a copy in `current` for the next patch.
    let mut remaining: HashMap<&str, usize> = HashMap::with_capacity(codes.len());
    for (_, patch) in request.items {
        *remaining.entry(patch.code.as_str()).or_default() += 1;
    }
    let mut changed: BTreeMap<&str, usize> = BTreeMap::new();
    // The stored state of a code sent again, from before the batch's first change of it:
    // its feed row names what the batch changed in all (`current` moves on with each patch).
    let mut before_batch: HashMap<&str, Option<Customer>> = HashMap::new();
    let mut outcomes = Vec::with_capacity(request.items.len());
    for (_, patch) in request.items {
        let code = patch.code.as_str();
        let stored = current.get(code);
        let outcome = if hashes
            .get(code)
            .is_some_and(|forms| forms.iter().any(|hash| suppressed.contains(hash)))
        {
            Err(Refusal::Suppressed {
                code: code.to_owned(),
            })
        } else if let Some(precondition) = request.precondition
            && !precondition.holds(stored, epoch.get())
        {
            Err(Refusal::PreconditionFailed {
                code: code.to_owned(),
                current: stored.map(|customer| customer.version),
            })
        } else {
            apply(stored, patch, context).map_err(Refusal::Invalid)
        };
        let later = remaining.get_mut(code).map_or(0, |count| {
            *count -= 1;
            *count
        });
        if let Ok(applied) = &outcome
            && applied.result != MergeResult::Unchanged
        {
            if later > 0 {
                let previous = current.insert(patch.code.clone(), applied.customer.clone());
                before_batch.entry(code).or_insert(previous);
            }
            changed.insert(code, outcomes.len());
        }
        outcomes.push(outcome);
    }

    if request.dry_run || (request.atomic && outcomes.iter().any(Result::is_err)) {
        return Ok(outcomes);
    }
    let written: Vec<&Customer> = changed
        .values()
        .filter_map(|index| Some(&outcomes.get(*index)?.as_ref().ok()?.customer))
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
                let code = customer.code.as_str();
                let before = match before_batch.get(code) {
                    Some(stored) => stored.as_ref(),
                    None => current.get(code),
                };
                NewChange::new(
                    code,
                    ChangeOp::Upsert,
                    customer.version,
                    customer.updated_at,
                )
                .with_changed_fields(&customer.changed_fields(before))
            })
            .collect();
        sql.record_changes(&feed)?;
    }
    Ok(outcomes)
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
