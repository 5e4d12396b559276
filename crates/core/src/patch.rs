//! Parsing and validating one customer object of a `POST /customers` body into a
//! [`CustomerPatch`]: every rule of the contract, every problem reported at once.
//!
//! A patch keeps the three states a JSON merge patch can give a field apart:
//! left out (`None`), sent as null (`Some(None)`), sent with a value (`Some(Some(v))`).

use serde_json::{Map, Value};

use crate::customer::{Gender, current_year};
use crate::error::FieldError;
use crate::{MAX_METADATA_CHARS, MAX_METADATA_DEPTH, MAX_TEXT_CHARS, MIN_YEAR_BORN};

/// One field of a merge patch: left out, null, or a value.
pub type PatchField<T> = Option<Option<T>>;

/// A validated customer object: the code it is about and what it changes.
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

/// A customer object that broke at least one rule, with the code it named if it named one.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidCustomer {
    pub code: Option<String>,
    pub errors: Vec<FieldError>,
}

/// The fields a customer object may carry, as spelled in JSON.
pub const KNOWN_FIELDS: [&str; 8] = [
    "code", "isActive", "country", "state", "city", "yearBorn", "gender", "metadata",
];

/// Parses one customer object, checking every rule; the error lists every broken rule.
pub fn parse_customer(value: Value) -> Result<CustomerPatch, InvalidCustomer> {
    let Value::Object(object) = value else {
        return Err(InvalidCustomer {
            code: None,
            errors: vec![FieldError::NotAnObject],
        });
    };
    let mut patch = CustomerPatch::default();
    let mut code = None;
    let mut errors = Vec::new();
    for (key, value) in object {
        let outcome = match key.as_str() {
            "code" => parse_code(value).map(|parsed| code = Some(parsed)),
            "isActive" => parse_bool(value).map(|parsed| patch.is_active = Some(parsed)),
            "country" => parse_country(value).map(|parsed| patch.country = Some(parsed)),
            "state" => parse_text("state", value).map(|parsed| patch.state = Some(parsed)),
            "city" => parse_text("city", value).map(|parsed| patch.city = Some(parsed)),
            "yearBorn" => parse_year_born(value).map(|parsed| patch.year_born = Some(parsed)),
            "gender" => parse_gender(value).map(|parsed| patch.gender = Some(parsed)),
            "metadata" => parse_metadata(value).map(|parsed| patch.metadata = Some(parsed)),
            _ => Err(FieldError::UnknownField {
                suggestion: closest_field(&key),
                field: key,
            }),
        };
        if let Err(error) = outcome {
            errors.push(error);
        }
    }
    match code {
        Some(code) if errors.is_empty() => Ok(CustomerPatch { code, ..patch }),
        None => {
            if !errors.iter().any(|error| error.field() == "code") {
                errors.insert(0, FieldError::Required { field: "code" });
            }
            Err(InvalidCustomer { code: None, errors })
        }
        code => Err(InvalidCustomer { code, errors }),
    }
}

/// The known field a misspelt one most likely meant, if any is close.
fn closest_field(unknown: &str) -> Option<&'static str> {
    let lowered = unknown.to_lowercase();
    KNOWN_FIELDS
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
mod tests {
    use super::*;
    use serde_json::json;

    fn errors_of(value: Value) -> Vec<FieldError> {
        parse_customer(value)
            .err()
            .map(|invalid| invalid.errors)
            .unwrap_or_default()
    }

    #[test]
    fn the_seed_example_is_valid() {
        let patch = parse_customer(json!({
            "code": "D314K1432", "country": "ES", "state": "Barcelona", "city": "Q11355",
            "yearBorn": 1990, "gender": 2,
            "metadata": {"currentDiscountRate": "10%", "isNew": true}
        }));
        let patch = patch.ok().unwrap_or_default();
        assert_eq!(patch.code, "D314K1432");
        assert_eq!(patch.country, Some(Some("ES".to_owned())));
        assert_eq!(patch.gender, Some(Some(Gender::Female)));
        assert_eq!(patch.is_active, None, "a field left out stays left out");
    }

    #[test]
    fn null_is_kept_apart_from_left_out() {
        let patch = parse_customer(json!({"code": "A", "city": null}))
            .ok()
            .unwrap_or_default();
        assert_eq!(patch.city, Some(None));
        assert_eq!(patch.state, None);
    }

    #[test]
    fn code_is_required_and_must_be_a_non_empty_string() {
        assert_eq!(
            errors_of(json!({"country": "ES"})),
            [FieldError::Required { field: "code" }]
        );
        assert_eq!(
            errors_of(json!({"code": ""})),
            [FieldError::Empty { field: "code" }]
        );
        assert_eq!(
            errors_of(json!({"code": 7})),
            [FieldError::WrongType {
                field: "code",
                expected: "a string"
            }]
        );
    }

    #[test]
    fn code_of_255_characters_passes_and_256_fails() {
        let longest = "é".repeat(255);
        assert!(
            parse_customer(json!({ "code": longest })).is_ok(),
            "255 characters, 510 bytes"
        );
        let too_long = "x".repeat(256);
        assert_eq!(
            errors_of(json!({ "code": too_long })),
            [FieldError::TooLong {
                field: "code",
                max: 255
            }]
        );
    }

    #[test]
    fn control_characters_are_refused_in_code() {
        for code in ["a\u{0}b", "tab\there", "line\n", "del\u{7f}"] {
            assert_eq!(
                errors_of(json!({ "code": code })),
                [FieldError::ControlCharacter { field: "code" }],
                "{code:?}"
            );
        }
    }

    #[test]
    fn invisible_characters_are_refused_in_code() {
        for code in [
            "ABC\u{200B}123",
            "ABC\u{200D}123",
            "A\u{2060}B",
            "\u{FEFF}ABC",
            "soft\u{00AD}hyphen",
            "tag\u{E0041}",
            "line\u{2028}sep",
            "para\u{2029}sep",
            "variation\u{FE0F}",
        ] {
            assert_eq!(
                errors_of(json!({ "code": code })),
                [FieldError::InvisibleCharacter { field: "code" }],
                "{code:?} must not pass as the code it looks like"
            );
        }
    }

    #[test]
    fn a_code_of_only_whitespace_is_refused() {
        for code in [" ", "   ", "\u{3000}", "\u{00A0}\u{2003}"] {
            assert_eq!(
                errors_of(json!({ "code": code })),
                [FieldError::Blank { field: "code" }],
                "{code:?}"
            );
        }
        assert!(
            parse_customer(json!({"code": " padded "})).is_ok(),
            "spaces around text are kept"
        );
    }

    #[test]
    fn bidirectional_controls_are_refused_in_every_text_field() {
        for sneaky in [
            "abc\u{202E}321",
            "\u{2066}x\u{2069}",
            "mark\u{200F}",
            "\u{061C}",
        ] {
            for field in ["code", "country", "state", "city"] {
                let mut object = json!({"code": "A"});
                object[field] = json!(sneaky);
                assert_eq!(
                    errors_of(object),
                    [FieldError::ControlCharacter { field }],
                    "{field}: {sneaky:?}"
                );
            }
        }
    }

    #[test]
    fn combining_characters_are_kept_exactly_as_sent() {
        let decomposed = "Jose\u{0301}";
        let patch = parse_customer(json!({"code": decomposed, "city": "Ko\u{0308}ln"}))
            .ok()
            .unwrap_or_default();
        assert_eq!(patch.code, decomposed, "not normalized to NFC");
        assert_eq!(patch.city, Some(Some("Ko\u{0308}ln".to_owned())));
    }

    #[test]
    fn is_active_must_be_boolean_or_null() {
        assert_eq!(
            errors_of(json!({"code": "A", "isActive": "yes"})),
            [FieldError::WrongType {
                field: "isActive",
                expected: "true, false or null"
            }]
        );
    }

    #[test]
    fn year_born_spans_1850_to_this_year() {
        let this_year = current_year();
        assert!(parse_customer(json!({"code": "A", "yearBorn": 1850})).is_ok());
        assert!(parse_customer(json!({"code": "A", "yearBorn": this_year})).is_ok());
        for year in [
            json!(1849),
            json!(this_year + 1),
            json!(-5),
            json!(u64::MAX),
        ] {
            assert_eq!(
                errors_of(json!({"code": "A", "yearBorn": year})),
                [FieldError::OutOfRange {
                    field: "yearBorn",
                    min: 1850,
                    max: this_year.into()
                }]
            );
        }
        assert_eq!(
            errors_of(json!({"code": "A", "yearBorn": 1990.5})),
            [FieldError::WrongType {
                field: "yearBorn",
                expected: "a whole number"
            }]
        );
    }

    #[test]
    fn gender_is_0_to_3() {
        for gender in 0..=3 {
            assert!(parse_customer(json!({"code": "A", "gender": gender})).is_ok());
        }
        assert_eq!(
            errors_of(json!({"code": "A", "gender": 4})),
            [FieldError::OutOfRange {
                field: "gender",
                min: 0,
                max: 3
            }]
        );
    }

    #[test]
    fn country_accepts_an_iso_numeric_integer() {
        let patch = parse_customer(json!({"code": "A", "country": 724}))
            .ok()
            .unwrap_or_default();
        assert_eq!(patch.country, Some(Some("724".to_owned())));
        assert_eq!(
            errors_of(json!({"code": "A", "country": 1000})),
            [FieldError::OutOfRange {
                field: "country",
                min: 0,
                max: 999
            }]
        );
    }

    #[test]
    fn place_names_are_limited_to_255_characters() {
        let long = "a".repeat(256);
        assert_eq!(
            errors_of(json!({"code": "A", "city": long})),
            [FieldError::TooLong {
                field: "city",
                max: 255
            }]
        );
    }

    #[test]
    fn metadata_must_be_an_object() {
        assert_eq!(
            errors_of(json!({"code": "A", "metadata": [1, 2]})),
            [FieldError::WrongType {
                field: "metadata",
                expected: "a JSON object or null"
            }]
        );
    }

    #[test]
    fn metadata_of_60000_characters_passes_and_60001_fails() {
        // {"k":"…"} is 8 characters of punctuation and key around the value.
        let fits = json!({"code": "A", "metadata": {"k": "v".repeat(60_000 - 8)}});
        assert!(parse_customer(fits).is_ok());
        let over = json!({"code": "A", "metadata": {"k": "v".repeat(60_000 - 7)}});
        assert_eq!(
            errors_of(over),
            [FieldError::MetadataTooLarge {
                chars: 60_001,
                max: 60_000
            }]
        );
    }

    #[test]
    fn metadata_nesting_stops_at_32() {
        let nest = |depth: usize| {
            let mut value = json!(1);
            for _ in 1..depth {
                value = json!({ "k": value });
            }
            json!({"code": "A", "metadata": { "k": value }})
        };
        assert!(parse_customer(nest(32)).is_ok());
        assert_eq!(
            errors_of(nest(33)),
            [FieldError::MetadataTooDeep { max: 32 }]
        );
    }

    #[test]
    fn unknown_fields_are_named_with_the_closest_known_one() {
        let errors = errors_of(json!({"code": "A", "yearborn": 1990, "zzz": 1}));
        assert_eq!(
            errors,
            [
                FieldError::UnknownField {
                    field: "yearborn".into(),
                    suggestion: Some("yearBorn")
                },
                FieldError::UnknownField {
                    field: "zzz".into(),
                    suggestion: None
                },
            ]
        );
        assert_eq!(
            errors[0].to_string(),
            "unknown field `yearborn`; did you mean `yearBorn`?"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once_with_the_code() {
        let invalid = parse_customer(json!({"code": "A", "gender": 9, "yearBorn": "x"})).err();
        let invalid = invalid.unwrap_or(InvalidCustomer {
            code: None,
            errors: vec![],
        });
        assert_eq!(invalid.code.as_deref(), Some("A"));
        assert_eq!(invalid.errors.len(), 2);
    }

    #[test]
    fn a_non_object_is_refused() {
        assert_eq!(errors_of(json!("D314K1432")), [FieldError::NotAnObject]);
    }
}
