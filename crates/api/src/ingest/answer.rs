//! What an ingest answers: a batch's 200 ([`batch_response`]), and a request refused as a
//! whole as its problem document (`From<IngestError> for ApiError`). A refused item's
//! `error` is the very document the same customer gets alone ([`ApiError::refused`]).

use clientela_core::MergeResult;
use clientela_core::Refusal;
use clientela_core::wire::{BatchItem, BatchResponse, ProblemField};

use super::{IngestError, IngestedItem};
use crate::error::ApiError;

/// A batch's answer: one result per item, in order, a refused item's `error` being the
/// problem document the same customer would get alone ([`ApiError::refused`]).
pub fn batch_response(items: Vec<IngestedItem>) -> BatchResponse {
    let results: Vec<BatchItem> = items
        .into_iter()
        .map(|item| match item.outcome {
            Ok(applied) => BatchItem {
                index: item.index,
                code: item.code,
                result: Some(applied.result),
                warnings: Some(applied.warnings),
                error: None,
            },
            Err(refusal) => BatchItem {
                index: item.index,
                code: item.code,
                result: None,
                warnings: None,
                error: Some(ApiError::refused(&refusal).problem()),
            },
        })
        .collect();
    let count = |wanted: MergeResult| {
        results
            .iter()
            .filter(|item| item.result == Some(wanted))
            .count()
    };
    BatchResponse {
        created: count(MergeResult::Created),
        updated: count(MergeResult::Updated),
        unchanged: count(MergeResult::Unchanged),
        failed: results.iter().filter(|item| item.error.is_some()).count(),
        results,
    }
}

impl From<IngestError> for ApiError {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::Refused(refusal) => ApiError::refused(&refusal),
            IngestError::BatchLength(length) => length.into(),
            IngestError::NothingSaved { ref refused, .. } => {
                let detail = error.to_string();
                if refused
                    .iter()
                    .all(|(_, refusal)| matches!(refusal, Refusal::Suppressed { .. }))
                {
                    return ApiError::Conflict(detail);
                }
                // Each refused item's own problems, marked with its index.
                let errors = refused
                    .iter()
                    .flat_map(|(index, refusal)| {
                        ApiError::refused(refusal)
                            .problem()
                            .errors
                            .into_iter()
                            .map(|field| ProblemField {
                                index: Some(*index),
                                ..field
                            })
                    })
                    .collect();
                ApiError::Invalid { detail, errors }
            }
            IngestError::Store(error) => error.into(),
            IngestError::Internal(detail) => ApiError::Internal(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;
    use clientela_core::FieldError;

    #[test]
    fn every_refusal_reads_the_same_alone_and_as_an_item_of_a_batch() {
        let refusals = [
            Refusal::Invalid(vec![FieldError::Required { field: "code" }]),
            Refusal::Suppressed { code: "C1".into() },
            Refusal::PreconditionFailed {
                code: "C1".into(),
                current: Some(3),
            },
            Refusal::PreconditionFailed {
                code: "C1".into(),
                current: None,
            },
        ];
        for refusal in refusals {
            let alone = ApiError::refused(&refusal);
            let batch = batch_response(vec![IngestedItem {
                index: 0,
                code: Some("C1".into()),
                outcome: Err(refusal.clone()),
            }]);
            assert_eq!(batch.failed, 1);
            let item = batch.results[0].error.as_ref();
            assert_eq!(item, Some(&alone.problem()), "{refusal:?}");
            assert_eq!(
                item.map(|problem| problem.status),
                Some(alone.status_code().as_u16())
            );
        }
    }
}
