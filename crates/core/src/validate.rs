//! Parsing and validating one customer object of a `POST /customers` body into a
//! [`CustomerPatch`]: every rule of the contract and its limits, every problem reported at
//! once.
//!
//! The fields a customer object may carry are listed once, in `FIELDS`, with the parser of
//! each; [`KNOWN_FIELDS`] is read from that list, and tests hold it equal to the JSON fields
//! of [`Customer`](crate::Customer), to the API's documented request schema and to the
//! console's form.

use serde_json::{Map, Value};

use crate::customer::{Gender, current_year};
use crate::error::FieldError;
use crate::patch::CustomerPatch;
use crate::{MAX_METADATA_CHARS, MAX_METADATA_DEPTH, MAX_TEXT_CHARS, MIN_YEAR_BORN};

/// A customer object that broke at least one rule, with the code it named if it named one.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidCustomer {
    pub code: Option<String>,
    pub errors: Vec<FieldError>,
}

/// Checks one field's value and writes it into the patch.
type FieldParser = fn(&mut CustomerPatch, Value) -> Result<(), FieldError>;

/// Every field a customer object may carry, as spelled in JSON, with its parser.
const FIELDS: [(&str, FieldParser); 8] = [
    ("code", |patch, value| {
        parse_code(value).map(|code| patch.code = code)
    }),
    ("isActive", |patch, value| {
        parse_bool(value).map(|parsed| patch.is_active = Some(parsed))
    }),
    ("country", |patch, value| {
        parse_country(value).map(|parsed| patch.country = Some(parsed))
    }),
    ("state", |patch, value| {
        parse_text("state", value).map(|parsed| patch.state = Some(parsed))
    }),
    ("city", |patch, value| {
        parse_text("city", value).map(|parsed| patch.city = Some(parsed))
    }),
    ("yearBorn", |patch, value| {
        parse_year_born(value).map(|parsed| patch.year_born = Some(parsed))
    }),
    ("gender", |patch, value| {
        parse_gender(value).map(|parsed| patch.gender = Some(parsed))
    }),
    ("metadata", |patch, value| {
        parse_metadata(value).map(|parsed| patch.metadata = Some(parsed))
    }),
];

/// The fields a customer object may carry, as spelled in JSON.
pub const KNOWN_FIELDS: [&str; FIELDS.len()] = {
    let mut names = [""; FIELDS.len()];
    let mut index = 0;
    while index < FIELDS.len() {
        names[index] = FIELDS[index].0;
        index += 1;
    }
    names
};

/// Parses one customer object, checking every rule; the error lists every broken rule.
pub fn parse_customer(value: Value) -> Result<CustomerPatch, InvalidCustomer> {
    let Value::Object(object) = value else {
        return Err(InvalidCustomer {
            code: None,
            errors: vec![FieldError::NotAnObject],
        });
    };
    let mut patch = CustomerPatch::default();
    let mut has_code = false;
    let mut errors = Vec::new();
    for (key, value) in object {
        let outcome = match FIELDS.iter().find(|(name, _)| *name == key) {
            Some((name, parse)) => {
                let outcome = parse(&mut patch, value);
                has_code |= *name == "code" && outcome.is_ok();
                outcome
            }
            None => Err(FieldError::UnknownField {
                suggestion: closest_field(&key),
                field: key,
            }),
        };
        if let Err(error) = outcome {
            errors.push(error);
        }
    }
    match has_code {
        true if errors.is_empty() => Ok(patch),
        false => {
            if !errors.iter().any(|error| error.field() == "code") {
                errors.insert(0, FieldError::Required { field: "code" });
            }
            Err(InvalidCustomer { code: None, errors })
        }
        true => Err(InvalidCustomer {
            code: Some(patch.code),
            errors,
        }),
    }
}

/// The known field a misspelt one most likely meant, if any is close.
fn closest_field(unknown: &str) -> Option<&'static str> {
    closest_name(unknown, &KNOWN_FIELDS)
}

/// The name among `known` that a misspelt `unknown` most likely meant, if any is close
/// (case aside): `dryrun` for `dryRun`, `yearborn` for `yearBorn`.
pub fn closest_name<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let lowered = unknown.to_lowercase();
    known
        .iter()
        .map(|known| {
            (
                *known,
                strsim::jaro_winkler(&lowered, &known.to_lowercase()),
            )
        })
        .filter(|(_, similarity)| *similarity >= 0.8)
        .max_by(|left, right| left.1.total_cmp(&right.1))
        .map(|(known, _)| known)
}

fn parse_code(value: Value) -> Result<String, FieldError> {
    let Value::String(code) = value else {
        return Err(FieldError::WrongType {
            field: "code",
            expected: "a string",
        });
    };
    if code.is_empty() {
        return Err(FieldError::Empty { field: "code" });
    }
    check_text("code", &code)?;
    if code.chars().any(is_invisible) {
        return Err(FieldError::InvisibleCharacter { field: "code" });
    }
    if code.chars().all(char::is_whitespace) {
        return Err(FieldError::Blank { field: "code" });
    }
    Ok(code)
}

/// Characters that take no room on screen, so a code holding one looks like another code
/// (`ABC\u{200B}123` shows as `ABC123`): Unicode's `Default_Ignorable_Code_Point` property
/// (zero-width spaces and joiners, the soft hyphen, word joiners, variation selectors, tag
/// characters, the byte-order mark, ...) and the line and paragraph separators.
pub fn is_invisible(character: char) -> bool {
    matches!(
        character,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Length and control-character rules shared by every text field.
///
/// Control characters include the Unicode bidirectional controls: a code that shows as
/// `ABC-123` in a console or log but is stored as something else (the "Trojan Source"
/// trick, U+202E RIGHT-TO-LEFT OVERRIDE) is refused rather than kept. Combining marks and
/// other characters are kept exactly as sent: no normalization, so `é` precomposed and `e`
/// + U+0301 are two different codes.
fn check_text(field: &'static str, text: &str) -> Result<(), FieldError> {
    if text.chars().nth(MAX_TEXT_CHARS).is_some() {
        return Err(FieldError::TooLong {
            field,
            max: MAX_TEXT_CHARS,
        });
    }
    if text
        .chars()
        .any(|character| character.is_control() || is_bidi_control(character))
    {
        return Err(FieldError::ControlCharacter { field });
    }
    Ok(())
}

/// The characters of Unicode's `Bidi_Control` property: marks, embeddings, overrides and
/// isolates that reorder how text around them is displayed.
pub fn is_bidi_control(character: char) -> bool {
    matches!(
        character,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

fn parse_bool(value: Value) -> Result<Option<bool>, FieldError> {
    match value {
        Value::Null => Ok(None),
        Value::Bool(flag) => Ok(Some(flag)),
        _ => Err(FieldError::WrongType {
            field: "isActive",
            expected: "true, false or null",
        }),
    }
}

fn parse_text(field: &'static str, value: Value) -> Result<Option<String>, FieldError> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => check_text(field, &text).map(|()| Some(text)),
        _ => Err(FieldError::WrongType {
            field,
            expected: "a string or null",
        }),
    }
}

/// `country` also takes an ISO 3166-1 numeric code as a JSON integer (724 for Spain).
fn parse_country(value: Value) -> Result<Option<String>, FieldError> {
    match value {
        Value::Number(number) => match number.as_u64() {
            Some(numeric @ 0..=999) => Ok(Some(numeric.to_string())),
            _ => Err(FieldError::OutOfRange {
                field: "country",
                min: 0,
                max: 999,
            }),
        },
        other => parse_text("country", other).map_err(|error| match error {
            FieldError::WrongType { field, .. } => FieldError::WrongType {
                field,
                expected: "a string, an ISO numeric code or null",
            },
            other => other,
        }),
    }
}

fn parse_year_born(value: Value) -> Result<Option<i32>, FieldError> {
    let max = current_year();
    let out_of_range = FieldError::OutOfRange {
        field: "yearBorn",
        min: MIN_YEAR_BORN.into(),
        max: max.into(),
    };
    match value {
        Value::Null => Ok(None),
        Value::Number(number) => match number.as_i64() {
            Some(year) if (i64::from(MIN_YEAR_BORN)..=i64::from(max)).contains(&year) => {
                Ok(i32::try_from(year).ok())
            }
            Some(_) => Err(out_of_range),
            None if number.is_f64() => Err(FieldError::WrongType {
                field: "yearBorn",
                expected: "a whole number",
            }),
            None => Err(out_of_range),
        },
        _ => Err(FieldError::WrongType {
            field: "yearBorn",
            expected: "an integer or null",
        }),
    }
}

fn parse_gender(value: Value) -> Result<Option<Gender>, FieldError> {
    let out_of_range = FieldError::OutOfRange {
        field: "gender",
        min: 0,
        max: 3,
    };
    match value {
        Value::Null => Ok(None),
        Value::Number(number) if number.is_f64() => Err(FieldError::WrongType {
            field: "gender",
            expected: "0, 1, 2, 3 or null",
        }),
        Value::Number(number) => number
            .as_i64()
            .and_then(Gender::from_number)
            .map(Some)
            .ok_or(out_of_range),
        _ => Err(FieldError::WrongType {
            field: "gender",
            expected: "0, 1, 2, 3 or null",
        }),
    }
}

fn parse_metadata(value: Value) -> Result<Option<Map<String, Value>>, FieldError> {
    match value {
        Value::Null => Ok(None),
        Value::Object(object) => {
            check_metadata(&object)?;
            Ok(Some(object))
        }
        _ => Err(FieldError::WrongType {
            field: "metadata",
            expected: "a JSON object or null",
        }),
    }
}

/// The metadata limits; checked on the patch and again on the merged result.
pub fn check_metadata(metadata: &Map<String, Value>) -> Result<(), FieldError> {
    if object_depth(metadata) > MAX_METADATA_DEPTH {
        return Err(FieldError::MetadataTooDeep {
            max: MAX_METADATA_DEPTH,
        });
    }
    let chars = compact_chars(metadata);
    if chars > MAX_METADATA_CHARS {
        return Err(FieldError::MetadataTooLarge {
            chars,
            max: MAX_METADATA_CHARS,
        });
    }
    Ok(())
}

/// Characters in the compact JSON serialization of `metadata`.
fn compact_chars(metadata: &Map<String, Value>) -> usize {
    serde_json::to_string(metadata)
        .map(|text| text.chars().count())
        .unwrap_or(usize::MAX)
}

/// Nesting depth, counting the object itself as 1.
fn object_depth(object: &Map<String, Value>) -> usize {
    1 + object.values().map(value_depth).max().unwrap_or(0)
}

fn value_depth(value: &Value) -> usize {
    match value {
        Value::Object(object) => object_depth(object),
        Value::Array(items) => 1 + items.iter().map(value_depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
