//! Creating or updating customers from JSON values: parse, validate, merge into the store, and
//! answer per item. `POST /customers` and `clientela-api import` both go through here, so a
//! file imports exactly as the same customers posted to the API would.
//!
//! Everything here blocks (it runs the store's transaction): the HTTP handler calls it on a
//! blocking thread, the import command directly.
//!
//! Parsing and validation happen before the store is touched, so a request rejected as a
//! whole (too many items, an invalid item with `atomic`) writes nothing. Valid items of a
//! batch go to the store in one transaction.
//!
//! Nothing here speaks HTTP: a customer that is not applied is a [`Refusal`], the same one
//! whether it came alone or in a batch, and a request that fails as a whole is an
//! [`IngestError`]. `crate::error` turns both into problem documents, in one place.

use clientela_core::geo::{GeoWarning, LocationStatus, Resolver};
use clientela_core::merge::MergeContext;
use clientela_core::wire::SingleResponse;
use clientela_core::{
    BatchLength, CustomerPatch, FieldError, InvalidCustomer, MergeResult, Refusal, Timestamp,
    parse_customer,
};
use clientela_store::{BatchRequest, ItemOutcome, Precondition, Store, StoreError};
use serde_json::Value;

mod answer;

pub use answer::batch_response;

/// What an ingest needs: where customers go and how places are resolved.
#[derive(Debug, Clone, Copy)]
pub struct Ingest<'a> {
    pub store: &'a Store,
    pub resolver: &'a Resolver,
    /// Refuse places that cannot be resolved instead of keeping them as sent.
    pub strict_geo: bool,
    /// Answer what would happen and write nothing (`?dryRun=true`, `import --dry-run`).
    pub dry_run: bool,
}

/// Why an ingest failed as a whole. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The one customer sent was refused.
    #[error("the customer was refused: {0:?}")]
    Refused(Refusal),
    /// An array must hold 1 to 100 customers ([`BatchLength`]).
    #[error(transparent)]
    BatchLength(#[from] BatchLength),
    /// `atomic`: these items (by index) were refused, so none of the `total` was saved.
    #[error("{} of {total} customers failed; nothing was saved (atomic)", refused.len())]
    NothingSaved {
        total: usize,
        refused: Vec<(usize, Refusal)>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A broken promise inside the service (a bug), not the customer's fault.
    #[error("{0}")]
    Internal(String),
}

/// What became of one item of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestedItem {
    pub index: usize,
    /// The code the item named; `None` when it named none.
    pub code: Option<String>,
    pub outcome: Result<AppliedItem, Refusal>,
}

/// An item that was applied (or, in a dry run, would be).
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedItem {
    pub result: MergeResult,
    pub warnings: Vec<GeoWarning>,
}

/// A batch's items in order, plus the location status of every customer it created or
/// updated (for the metrics; the answer itself does not carry locations).
#[derive(Debug, Clone)]
pub struct IngestedBatch {
    pub items: Vec<IngestedItem>,
    pub written_locations: Vec<LocationStatus>,
}

impl Ingest<'_> {
    /// One customer object, applied only if `precondition` (If-Match / If-None-Match) holds.
    pub fn one(
        &self,
        value: Value,
        precondition: Option<Precondition>,
    ) -> Result<SingleResponse, IngestError> {
        let patch = parse_customer(value)
            .map_err(|invalid| IngestError::Refused(Refusal::Invalid(invalid.errors)))?;
        let code = patch.code.clone();
        let outcomes = self.upsert(&[(0, patch)], precondition, true)?;
        match outcomes.into_iter().next() {
            Some(Ok(applied)) => Ok(SingleResponse {
                code,
                result: applied.result,
                customer: applied.customer,
                warnings: applied.warnings,
            }),
            Some(Err(refusal)) => Err(IngestError::Refused(refusal)),
            None => Err(IngestError::Internal(
                "the store returned no outcome".into(),
            )),
        }
    }

    /// An array of 1 to 100 customer objects ([`BatchLength`]). Each valid item is saved even when
    /// others fail, unless `atomic`, which saves all or nothing.
    ///
    /// Items are taken one at a time: an item arrives as JSON (or as the reason it could
    /// not be read, such as its size) and is parsed into a patch before the next one is
    /// read, so a batch never holds more than one item's JSON values at once.
    pub fn batch<I>(&self, items: I, atomic: bool) -> Result<IngestedBatch, IngestError>
    where
        I: IntoIterator<Item = Result<Value, FieldError>>,
        I::IntoIter: ExactSizeIterator,
    {
        let items = items.into_iter();
        let total = items.len();
        BatchLength::check(total)?;
        let mut results: Vec<Option<IngestedItem>> = vec![None; total];
        let mut valid: Vec<(usize, CustomerPatch)> = Vec::with_capacity(total);
        let mut refused: Vec<(usize, Refusal)> = Vec::new();
        for (index, item) in items.enumerate() {
            let parsed = item
                .map_err(|error| InvalidCustomer {
                    code: None,
                    errors: vec![error],
                })
                .and_then(parse_customer);
            match parsed {
                Ok(patch) => valid.push((index, patch)),
                Err(invalid) => {
                    let refusal = Refusal::Invalid(invalid.errors);
                    refused.push((index, refusal.clone()));
                    results[index] = Some(IngestedItem {
                        index,
                        code: invalid.code,
                        outcome: Err(refusal),
                    });
                }
            }
        }
        if atomic && !refused.is_empty() {
            return Err(IngestError::NothingSaved { total, refused });
        }

        let outcomes = self.upsert(&valid, None, atomic)?;
        if atomic && outcomes.iter().any(Result::is_err) {
            let refused = valid
                .iter()
                .zip(outcomes)
                .filter_map(|((index, _), outcome)| Some((*index, outcome.err()?)))
                .collect();
            return Err(IngestError::NothingSaved { total, refused });
        }

        let mut written_locations = Vec::new();
        for ((index, patch), outcome) in valid.into_iter().zip(outcomes) {
            let outcome = match outcome {
                Ok(applied) => {
                    if applied.result != MergeResult::Unchanged {
                        written_locations.push(applied.customer.location.status);
                    }
                    Ok(AppliedItem {
                        result: applied.result,
                        warnings: applied.warnings,
                    })
                }
                Err(refusal) => Err(refusal),
            };
            results[index] = Some(IngestedItem {
                index,
                code: Some(patch.code),
                outcome,
            });
        }
        Ok(IngestedBatch {
            items: results.into_iter().flatten().collect(),
            written_locations,
        })
    }

    /// Runs the merge of valid patches in one store transaction.
    fn upsert(
        &self,
        items: &[(usize, CustomerPatch)],
        precondition: Option<Precondition>,
        atomic: bool,
    ) -> Result<Vec<ItemOutcome>, StoreError> {
        let context = MergeContext {
            now: Timestamp::now(),
            resolver: self.resolver,
            strict_geo: self.strict_geo,
        };
        let request = BatchRequest {
            items,
            precondition,
            atomic,
            dry_run: self.dry_run,
        };
        self.store.upsert_batch(&request, &context)
    }
}
