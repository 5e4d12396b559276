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

use std::collections::BTreeSet;

use clientela_core::geo::{LocationStatus, Resolver};
use clientela_core::merge::MergeContext;
use clientela_core::wire::{BatchItem, BatchResponse, ItemError, ProblemField, SingleResponse};
use clientela_core::{
    CustomerPatch, FieldError, InvalidCustomer, MAX_BATCH, MergeResult, Timestamp, parse_customer,
};
use clientela_store::{BatchRequest, ItemFailure, ItemOutcome, Precondition, Store};
use serde_json::Value;

use crate::error::{ApiError, problem_fields};

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

/// A batch's answer, plus the location status of every customer it created or updated (for
/// the metrics; the answer itself does not carry locations).
#[derive(Debug, Clone)]
pub struct IngestedBatch {
    pub response: BatchResponse,
    pub written_locations: Vec<LocationStatus>,
}

impl Ingest<'_> {
    /// One customer object, applied only if `precondition` (If-Match / If-None-Match) holds.
    pub fn one(
        &self,
        value: Value,
        precondition: Option<Precondition>,
    ) -> Result<SingleResponse, ApiError> {
        let patch = parse_customer(value)
            .map_err(|invalid| ApiError::invalid_customer(None, &invalid.errors))?;
        let code = patch.code.clone();
        let outcomes = self.upsert(&[(0, patch)], precondition, true)?;
        match outcomes.into_iter().next() {
            Some(Ok(applied)) => Ok(SingleResponse {
                code,
                result: applied.result,
                customer: applied.customer,
                warnings: applied.warnings,
            }),
            Some(Err(ItemFailure::Invalid(errors))) => {
                Err(ApiError::invalid_customer(None, &errors))
            }
            Some(Err(ItemFailure::Suppressed)) => {
                Err(ApiError::Conflict(suppressed_message(&code)))
            }
            Some(Err(ItemFailure::PreconditionFailed { current })) => {
                Err(ApiError::PreconditionFailed(match current {
                    Some(version) => format!("`{code}` exists at version {version}"),
                    None => format!("no customer has the code `{code}`"),
                }))
            }
            None => Err(ApiError::Internal("the store returned no outcome".into())),
        }
    }

    /// An array of 1 to [`MAX_BATCH`] customer objects. Each valid item is saved even when
    /// others fail, unless `atomic`, which saves all or nothing.
    ///
    /// Items are taken one at a time: an item arrives as JSON (or as the reason it could
    /// not be read, such as its size) and is parsed into a patch before the next one is
    /// read, so a batch never holds more than one item's JSON values at once.
    pub fn batch<I>(&self, items: I, atomic: bool) -> Result<IngestedBatch, ApiError>
    where
        I: IntoIterator<Item = Result<Value, FieldError>>,
        I::IntoIter: ExactSizeIterator,
    {
        let items = items.into_iter();
        if items.len() == 0 || items.len() > MAX_BATCH {
            return Err(ApiError::Invalid {
                detail: format!(
                    "the array holds {} customers; send 1 to {MAX_BATCH} per request",
                    items.len()
                ),
                errors: Vec::new(),
            });
        }
        let total = items.len();
        let mut results: Vec<Option<BatchItem>> = vec![None; total];
        let mut valid: Vec<(usize, CustomerPatch)> = Vec::with_capacity(total);
        let mut refused: Vec<ProblemField> = Vec::new();
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
                    refused.extend(problem_fields(Some(index), &invalid.errors));
                    results[index] =
                        Some(failed(index, invalid.code, invalid_error(&invalid.errors)));
                }
            }
        }
        if atomic && !refused.is_empty() {
            return Err(nothing_saved(total, refused, false));
        }

        let outcomes = self.upsert(&valid, None, atomic)?;
        if atomic && outcomes.iter().any(Result::is_err) {
            let only_suppressed = outcomes
                .iter()
                .all(|outcome| !matches!(outcome, Err(ItemFailure::Invalid(_))));
            for ((index, patch), outcome) in valid.iter().zip(&outcomes) {
                if let Err(failure) = outcome {
                    let error = failure_error(&patch.code, failure);
                    refused.extend(error.errors.into_iter().map(|field| ProblemField {
                        index: Some(*index),
                        ..field
                    }));
                }
            }
            return Err(nothing_saved(total, refused, only_suppressed));
        }

        let mut written_locations = Vec::new();
        for ((index, patch), outcome) in valid.into_iter().zip(outcomes) {
            results[index] = Some(match outcome {
                Ok(applied) => {
                    if applied.result != MergeResult::Unchanged {
                        written_locations.push(applied.customer.location.status);
                    }
                    BatchItem {
                        index,
                        code: Some(patch.code),
                        result: Some(applied.result),
                        warnings: Some(applied.warnings),
                        error: None,
                    }
                }
                Err(failure) => {
                    let error = failure_error(&patch.code, &failure);
                    failed(index, Some(patch.code), error)
                }
            });
        }
        let results: Vec<BatchItem> = results.into_iter().flatten().collect();
        let count =
            |wanted: MergeResult| results.iter().filter(|r| r.result == Some(wanted)).count();
        let response = BatchResponse {
            created: count(MergeResult::Created),
            updated: count(MergeResult::Updated),
            unchanged: count(MergeResult::Unchanged),
            failed: results.iter().filter(|item| item.error.is_some()).count(),
            results,
        };
        Ok(IngestedBatch {
            response,
            written_locations,
        })
    }

    /// Runs the merge of valid patches in one store transaction.
    fn upsert(
        &self,
        items: &[(usize, CustomerPatch)],
        precondition: Option<Precondition>,
        atomic: bool,
    ) -> Result<Vec<ItemOutcome>, ApiError> {
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
        Ok(self.store.upsert_batch(&request, &context)?)
    }
}

fn failed(index: usize, code: Option<String>, error: ItemError) -> BatchItem {
    BatchItem {
        index,
        code,
        result: None,
        warnings: None,
        error: Some(error),
    }
}

fn invalid_error(errors: &[FieldError]) -> ItemError {
    ItemError {
        status: 422,
        title: "Invalid customer".into(),
        detail: "the customer is invalid".into(),
        errors: problem_fields(None, errors),
    }
}

fn failure_error(code: &str, failure: &ItemFailure) -> ItemError {
    match failure {
        ItemFailure::Invalid(errors) => invalid_error(errors),
        ItemFailure::Suppressed => ItemError {
            status: 409,
            title: "Suppressed".into(),
            detail: suppressed_message(code),
            errors: vec![ProblemField {
                index: None,
                field: "code".into(),
                message: suppressed_message(code),
            }],
        },
        ItemFailure::PreconditionFailed { .. } => ItemError {
            status: 412,
            title: "Precondition failed".into(),
            detail: "the stored version differs".into(),
            errors: Vec::new(),
        },
    }
}

fn nothing_saved(total: usize, errors: Vec<ProblemField>, only_suppressed: bool) -> ApiError {
    let failing: BTreeSet<_> = errors.iter().filter_map(|e| e.index).collect();
    let detail = format!(
        "{} of {total} customers failed; nothing was saved (atomic)",
        failing.len()
    );
    if only_suppressed {
        ApiError::Conflict(detail)
    } else {
        ApiError::Invalid { detail, errors }
    }
}

fn suppressed_message(code: &str) -> String {
    format!("`{code}` was erased and is suppressed; DELETE /suppressions/{{code}} allows it again")
}
