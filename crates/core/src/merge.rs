//! Applying a [`CustomerPatch`] to the stored customer: the RFC 7396 merge patch.
//!
//! A field left out keeps its value, a field sent as null is removed (`isActive` goes back
//! to true), and `metadata` is merged key by key, recursively, a key set to null being
//! deleted. Limits apply to the merged result. A patch that changes nothing is
//! [`MergeResult::Unchanged`]: the caller writes nothing and `version` stays.
//!
//! Architecture Invariant: `apply` is pure and idempotent: applying the patch it just
//! applied again yields `Unchanged`. This is what makes a retried POST safe.

use serde_json::{Map, Value};

use crate::customer::{Customer, Timestamp};
use crate::error::FieldError;
use crate::geo::{GeoInput, GeoWarning, Location, Resolver, WarningKind};
use crate::patch::{CustomerPatch, PatchField, check_metadata};

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
        None => blank(&patch.code, context.now),
    };
    if let Some(is_active) = patch.is_active {
        next.is_active = is_active.unwrap_or(true);
    }
    set(&mut next.country, &patch.country);
    set(&mut next.state, &patch.state);
    set(&mut next.city, &patch.city);
    set(&mut next.year_born, &patch.year_born);
    set(&mut next.gender, &patch.gender);
    match &patch.metadata {
        None => {}
        Some(None) => next.metadata = None,
        Some(Some(metadata_patch)) => {
            let mut merged = next.metadata.take().unwrap_or_default();
            merge_object(&mut merged, metadata_patch);
            check_metadata(&merged).map_err(|error| vec![error])?;
            next.metadata = Some(merged);
        }
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
        Some(stored) if same_fields(stored, &next) => {
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

fn blank(code: &str, now: Timestamp) -> Customer {
    Customer {
        code: code.to_owned(),
        is_active: true,
        country: None,
        state: None,
        city: None,
        year_born: None,
        gender: None,
        metadata: None,
        location: Location::default(),
        created_at: now,
        updated_at: now,
        version: 0,
    }
}

fn set<T: Clone>(field: &mut Option<T>, patch: &PatchField<T>) {
    if let Some(value) = patch {
        field.clone_from(value);
    }
}

/// RFC 7396 for objects: null deletes a key, an object merges into an object, anything
/// else replaces.
fn merge_object(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, patch_value) in patch {
        match patch_value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(patch_object) => {
                let slot = target.entry(key.clone()).or_insert(Value::Null);
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                if let Value::Object(target_object) = slot {
                    merge_object(target_object, patch_object);
                }
            }
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
}

/// Whether two customers hold the same values (timestamps, version and the derived location
/// aside).
fn same_fields(left: &Customer, right: &Customer) -> bool {
    left.is_active == right.is_active
        && left.country == right.country
        && left.state == right.state
        && left.city == right.city
        && left.year_born == right.year_born
        && left.gender == right.gender
        && left.metadata == right.metadata
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
