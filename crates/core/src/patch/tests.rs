//! The merge patch by property: the diff of two customers, applied to the first, gives the
//! second, and says the same once sent as JSON and parsed back.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::customer::Timestamp;
use crate::geo::Location;
use crate::validate::parse_customer;

/// A stored metadata value: no object holds null at any depth (a write deletes such keys),
/// arrays may.
fn arb_stored_json() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        "[a-z]{0,4}".prop_map(Value::from),
    ];
    scalar.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(prop_oneof![Just(Value::Null), inner.clone()], 0..3)
                .prop_map(Value::Array),
            arb_object(inner).prop_map(Value::Object),
        ]
    })
}

fn arb_object(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("[a-d]", values, 0..4)
        .prop_map(|entries| entries.into_iter().collect())
}

fn arb_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        Just("ES".to_owned()),
        Just("724".to_owned()),
        "[A-Za-z ]{1,12}"
    ])
}

fn arb_customer() -> impl Strategy<Value = Customer> {
    (
        any::<bool>(),
        (arb_text(), arb_text(), arb_text()),
        prop::option::of(1850..=2000i32),
        prop::option::of((0..=3i64).prop_map(Gender::from_number)),
        prop::option::of(arb_object(arb_stored_json())),
    )
        .prop_map(
            |(is_active, (country, state, city), year_born, gender, metadata)| Customer {
                code: "P".to_owned(),
                is_active,
                country,
                state,
                city,
                year_born,
                gender: gender.flatten(),
                metadata,
                location: Location::default(),
                created_at: Timestamp(1),
                updated_at: Timestamp(1),
                version: 1,
            },
        )
}

proptest! {
    #[test]
    fn applying_the_diff_of_two_customers_to_the_first_gives_the_second(
        before in arb_customer(),
        after in arb_customer(),
    ) {
        let mut patched = before.clone();
        diff(&before, &after).apply(&mut patched);
        prop_assert_eq!(patched.values(), after.values());
    }

    #[test]
    fn a_diff_sent_as_json_parses_back_to_the_same_patch(
        before in arb_customer(),
        after in arb_customer(),
    ) {
        let patch = diff(&before, &after);
        prop_assert_eq!(parse_customer(patch.to_json()).ok(), Some(patch));
    }

    #[test]
    fn a_customer_diffed_with_itself_is_an_empty_patch(customer in arb_customer()) {
        prop_assert!(diff(&customer, &customer).is_empty());
    }
}

#[test]
fn the_metadata_diff_recurses_into_objects_and_replaces_arrays() {
    let before = json!({"a": {"x": 1, "y": 2}, "list": [1, 2], "same": "s", "gone": 0});
    let after = json!({"a": {"x": 1, "y": 3}, "list": [1], "same": "s", "new": 1});
    let (Value::Object(before), Value::Object(after)) = (before, after) else {
        unreachable!("both are objects")
    };
    assert_eq!(
        Value::Object(diff_object(&before, &after)),
        json!({"gone": null, "a": {"y": 3}, "list": [1], "new": 1})
    );
}

#[test]
fn a_patch_as_json_sends_null_for_a_removed_field_and_leaves_out_the_rest() {
    let patch = CustomerPatch {
        code: "C-1".to_owned(),
        state: Some(None),
        city: Some(Some("Sabadell".to_owned())),
        ..CustomerPatch::default()
    };
    assert_eq!(
        patch.to_json(),
        json!({"state": null, "city": "Sabadell", "code": "C-1"})
    );
}
