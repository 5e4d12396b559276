//! The rules of a customer object, one test per rule, each naming the field it checks.

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

#[test]
fn the_known_fields_are_the_customers_json_fields_but_the_derived_ones() {
    let customer = crate::Customer {
        code: "A".to_owned(),
        is_active: true,
        country: None,
        state: None,
        city: None,
        year_born: None,
        gender: None,
        metadata: None,
        location: crate::geo::Location::default(),
        created_at: crate::Timestamp(0),
        updated_at: crate::Timestamp(0),
        version: 1,
    };
    let Ok(Value::Object(json)) = serde_json::to_value(&customer) else {
        panic!("a customer is a JSON object")
    };
    let derived = ["location", "createdAt", "updatedAt", "version"];
    let sent: Vec<&str> = json
        .keys()
        .map(String::as_str)
        .filter(|field| !derived.contains(field))
        .collect();
    assert_eq!(sent, KNOWN_FIELDS);
}

#[test]
fn every_known_field_sets_its_own_part_of_the_patch() {
    let mut seen = Vec::new();
    for field in KNOWN_FIELDS.into_iter().filter(|field| *field != "code") {
        let mut object = json!({"code": "A"});
        object[field] = Value::Null;
        let patch = parse_customer(object);
        assert!(patch.is_ok(), "{field} may be null: {patch:?}");
        let patch = patch.unwrap_or_default();
        assert!(!patch.is_empty(), "{field} is written into the patch");
        assert!(
            !seen.contains(&patch),
            "{field} has a patch field of its own"
        );
        seen.push(patch);
    }
}
