//! The merge patch (RFC 7396) of a customer as a type: [`CustomerPatch`], how it changes a
//! customer ([`CustomerPatch::apply`]) and the patch between two customers ([`diff`]), which
//! the console sends for an edit. Tests hold `apply(diff(a, b), a) == b`.
//!
//! A patch keeps the three states a JSON merge patch can give a field apart:
//! left out (`None`), sent as null (`Some(None)`), sent with a value (`Some(Some(v))`).
//! Parsing and the limits are in [`validate`](crate::validate); deciding what a write does
//! (location, `unchanged`, version) is in [`merge`](crate::merge).

use serde_json::{Map, Value};

use crate::customer::{Customer, CustomerValues, Gender};

/// One field of a merge patch: left out, null, or a value.
pub type PatchField<T> = Option<Option<T>>;

/// A customer object: the code it is about and what it changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerPatch {
    pub code: String,
    pub is_active: PatchField<bool>,
    pub country: PatchField<String>,
    pub state: PatchField<String>,
    pub city: PatchField<String>,
    pub year_born: PatchField<i32>,
    pub gender: PatchField<Gender>,
    /// The metadata merge patch: `Some(None)` removes all metadata, an object is merged key
    /// by key (a key set to null inside it is deleted).
    pub metadata: PatchField<Map<String, Value>>,
}

impl CustomerPatch {
    /// Writes this patch into `customer`'s values: a field left out keeps its value, a null
    /// removes it (`isActive` goes back to true), `metadata` is merged key by key. The code,
    /// location and bookkeeping are the caller's; limits are checked by the caller too.
    pub fn apply(&self, customer: &mut Customer) {
        // Exhaustive on purpose: a field added to the patch does not compile until it is
        // applied here.
        let CustomerPatch {
            code: _,
            is_active,
            country,
            state,
            city,
            year_born,
            gender,
            metadata,
        } = self;
        if let Some(is_active) = is_active {
            customer.is_active = is_active.unwrap_or(true);
        }
        set(&mut customer.country, country);
        set(&mut customer.state, state);
        set(&mut customer.city, city);
        set(&mut customer.year_born, year_born);
        set(&mut customer.gender, gender);
        match metadata {
            None => {}
            Some(None) => customer.metadata = None,
            Some(Some(metadata_patch)) => {
                let mut merged = customer.metadata.take().unwrap_or_default();
                merge_object(&mut merged, metadata_patch);
                customer.metadata = Some(merged);
            }
        }
    }

    /// The patch that creates `customer`: its code, `isActive`, and every value it holds.
    pub fn creating(customer: &Customer) -> CustomerPatch {
        let CustomerValues {
            is_active,
            country,
            state,
            city,
            year_born,
            gender,
            metadata,
        } = customer.values();
        let text = |text: Option<&str>| text.map(|text| Some(text.to_owned()));
        CustomerPatch {
            code: customer.code.clone(),
            is_active: Some(Some(is_active)),
            country: text(country),
            state: text(state),
            city: text(city),
            year_born: year_born.map(Some),
            gender: gender.map(Some),
            metadata: metadata.map(|map| Some(map.clone())),
        }
    }

    /// Whether the patch changes nothing: it names its code and no field.
    pub fn is_empty(&self) -> bool {
        *self
            == CustomerPatch {
                code: self.code.clone(),
                ..CustomerPatch::default()
            }
    }

    /// The patch as the JSON object a `POST /customers` carries: `code`, then the fields it
    /// sets, in the order of [`KNOWN_FIELDS`](crate::validate::KNOWN_FIELDS).
    pub fn to_json(&self) -> Value {
        let CustomerPatch {
            code,
            is_active,
            country,
            state,
            city,
            year_born,
            gender,
            metadata,
        } = self;
        let mut object = Map::new();
        object.insert("code".to_owned(), Value::String(code.clone()));
        let mut put = |name: &str, field: Option<Value>| {
            if let Some(value) = field {
                object.insert(name.to_owned(), value);
            }
        };
        put("isActive", to_json(is_active, |flag| Value::Bool(*flag)));
        put(
            "country",
            to_json(country, |text| Value::from(text.as_str())),
        );
        put("state", to_json(state, |text| Value::from(text.as_str())));
        put("city", to_json(city, |text| Value::from(text.as_str())));
        put("yearBorn", to_json(year_born, |year| Value::from(*year)));
        put(
            "gender",
            to_json(gender, |gender| Value::from(gender.number())),
        );
        put(
            "metadata",
            to_json(metadata, |map| Value::Object(map.clone())),
        );
        Value::Object(object)
    }
}

/// The patch that turns `before` into `after` (both about `after`'s code): every value that
/// differs, a removed one as null, metadata as the merge patch between the two objects.
///
/// Metadata keys holding null cannot be expressed by a merge patch (null deletes); a stored
/// customer never holds one, since every write went through [`CustomerPatch::apply`].
pub fn diff(before: &Customer, after: &Customer) -> CustomerPatch {
    let old = before.values();
    // Exhaustive on purpose: a value added to `CustomerValues` does not compile until the
    // diff covers it.
    let CustomerValues {
        is_active,
        country,
        state,
        city,
        year_born,
        gender,
        metadata,
    } = after.values();
    CustomerPatch {
        code: after.code.clone(),
        is_active: (old.is_active != is_active).then_some(Some(is_active)),
        country: changed(old.country, country).map(|text| text.map(str::to_owned)),
        state: changed(old.state, state).map(|text| text.map(str::to_owned)),
        city: changed(old.city, city).map(|text| text.map(str::to_owned)),
        year_born: changed(old.year_born, year_born),
        gender: changed(old.gender, gender),
        metadata: match (old.metadata, metadata) {
            (Some(old), Some(new)) => {
                let patch = diff_object(old, new);
                (!patch.is_empty()).then_some(Some(patch))
            }
            (old, new) => changed(old, new).map(|map| map.cloned()),
        },
    }
}

/// RFC 7396 for objects: null deletes a key, an object merges into an object, anything
/// else replaces.
pub fn merge_object(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
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

/// The RFC 7396 merge patch that turns `before` into `after`: removed keys become null,
/// nested objects are patched key by key, everything else that differs is replaced.
pub fn diff_object(before: &Map<String, Value>, after: &Map<String, Value>) -> Map<String, Value> {
    let mut patch = Map::new();
    for key in before.keys() {
        if !after.contains_key(key) {
            patch.insert(key.clone(), Value::Null);
        }
    }
    for (key, new_value) in after {
        match (before.get(key), new_value) {
            (Some(Value::Object(old)), Value::Object(new)) => {
                let nested = diff_object(old, new);
                if !nested.is_empty() {
                    patch.insert(key.clone(), Value::Object(nested));
                }
            }
            (Some(old), new) if old == new => {}
            (_, new) => {
                patch.insert(key.clone(), new.clone());
            }
        }
    }
    patch
}

fn set<T: Clone>(field: &mut Option<T>, patch: &PatchField<T>) {
    if let Some(value) = patch {
        field.clone_from(value);
    }
}

/// The patch field that turns `old` into `new`: left out when they are equal.
fn changed<T: PartialEq>(old: Option<T>, new: Option<T>) -> PatchField<T> {
    (old != new).then_some(new)
}

fn to_json<T>(field: &PatchField<T>, value: impl Fn(&T) -> Value) -> Option<Value> {
    field
        .as_ref()
        .map(|set| set.as_ref().map_or(Value::Null, value))
}

#[cfg(test)]
mod tests;
