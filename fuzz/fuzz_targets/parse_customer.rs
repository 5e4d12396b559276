//! Fuzz target: a `POST /customers` body as bytes, parsed and validated as the API does.
//!
//! Invariants: nothing panics; whatever `parse_customer` accepts obeys every documented
//! limit (code 1..=255 characters without control or bidi characters, place names of at
//! most 255 characters, metadata within its size and depth).

#![no_main]

use clientela_core::validate::{check_metadata, is_bidi_control};
use clientela_core::{CustomerPatch, MAX_TEXT_CHARS, parse_customer};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|body: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    for item in items {
        if let Ok(patch) = parse_customer(item) {
            assert_within_limits(&patch);
        }
    }
});

fn assert_within_limits(patch: &CustomerPatch) {
    assert!(!patch.code.is_empty());
    assert_clean_text(&patch.code);
    for place in [&patch.country, &patch.state, &patch.city] {
        if let Some(Some(text)) = place {
            assert_clean_text(text);
        }
    }
    if let Some(Some(metadata)) = &patch.metadata {
        assert!(check_metadata(metadata).is_ok());
    }
}

fn assert_clean_text(text: &str) {
    assert!(text.chars().count() <= MAX_TEXT_CHARS, "{text:?}");
    assert!(
        !text.chars().any(|c| c.is_control() || is_bidi_control(c)),
        "{text:?}"
    );
}
