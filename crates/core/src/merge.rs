//! What a write of a [`CustomerPatch`] does to the stored customer: the patch applied
//! ([`CustomerPatch::apply`]), the limits checked on the merged result, the location
//! resolved again when a place changed, and the outcome decided. A patch that changes
//! nothing is [`MergeResult::Unchanged`]: the caller writes nothing and `version` stays.
//!
//! Architecture Invariant: `apply` is pure and idempotent: applying the patch it just
//! applied again yields `Unchanged`. This is what makes a retried POST safe.

use crate::customer::{Customer, Timestamp};
use crate::error::FieldError;
use crate::geo::{GeoInput, GeoWarning, Resolver, WarningKind};
use crate::patch::CustomerPatch;
use crate::validate::check_metadata;

/// What a write needs besides the stored customer and the patch.
#[derive(Debug, Clone, Copy)]
pub struct MergeContext<'a> {
    pub now: Timestamp,
    pub resolver: &'a Resolver,
    /// Refuse places the resolver cannot understand instead of keeping them as sent.
    pub strict_geo: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MergeResult {
    Created,
    Updated,
    Unchanged,
}

/// The outcome of one patch: the customer as it now stands and what to tell the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub result: MergeResult,
    pub customer: Customer,
    pub warnings: Vec<GeoWarning>,
}

/// Applies `patch` to `current` (`None` when the code is new).
pub fn apply(
    current: Option<&Customer>,
    patch: &CustomerPatch,
    context: &MergeContext<'_>,
) -> Result<Applied, Vec<FieldError>> {
    let mut next = match current {
        Some(customer) => customer.clone(),
        None => Customer::new(&patch.code, context.now),
    };
    patch.apply(&mut next);
    // Limits apply to the merged result: a small patch can grow metadata past them.
    if let (Some(Some(_)), Some(merged)) = (&patch.metadata, &next.metadata) {
        check_metadata(merged).map_err(|error| vec![error])?;
    }

    let place_changed = current.is_none_or(|stored| {
        stored.country != next.country || stored.state != next.state || stored.city != next.city
    });
    let mut warnings = Vec::new();
    if place_changed {
        let resolution = context.resolver.resolve(&GeoInput {
            country: next.country.as_deref(),
            state: next.state.as_deref(),
            city: next.city.as_deref(),
        });
        if context.strict_geo {
            refuse_unresolved(&resolution.warnings)?;
        }
        next.location = resolution.location;
        warnings = resolution.warnings;
    }

    let result = match current {
        None => MergeResult::Created,
        Some(stored) if stored.values() == next.values() => {
            return Ok(Applied {
                result: MergeResult::Unchanged,
                customer: next,
                warnings,
            });
        }
        Some(_) => MergeResult::Updated,
    };
    next.version += 1;
    next.updated_at = context.now;
    Ok(Applied {
        result,
        customer: next,
        warnings,
    })
}

fn refuse_unresolved(warnings: &[GeoWarning]) -> Result<(), Vec<FieldError>> {
    let errors: Vec<FieldError> = warnings
        .iter()
        .filter(|warning| warning.kind != WarningKind::Ambiguous)
        .map(|warning| FieldError::UnresolvedPlace {
            field: warning.field.name(),
            detail: refusal_detail(&warning.message),
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A warning's text as the reason for a refusal: the resolver's warnings end by saying the
/// value was "kept as sent", which is not true of a refused one.
fn refusal_detail(message: &str) -> String {
    message
        .strip_suffix("; kept as sent")
        .unwrap_or(message)
        .to_owned()
}

#[cfg(test)]
mod tests;
