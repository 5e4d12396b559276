//! The merge patch, by example and by property.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::Gender;
use crate::validate::parse_customer;

fn patch(value: Value) -> CustomerPatch {
    match parse_customer(value) {
        Ok(patch) => patch,
        Err(invalid) => panic!("test patch is invalid: {:?}", invalid.errors),
    }
}

fn run(current: Option<&Customer>, value: Value) -> Applied {
    let resolver = Resolver::builtin();
    let context = MergeContext {
        now: Timestamp(1_000),
        resolver: &resolver,
        strict_geo: false,
    };
    match apply(current, &patch(value), &context) {
        Ok(applied) => applied,
        Err(errors) => panic!("apply failed: {errors:?}"),
    }
}

fn seed() -> Customer {
    run(
        None,
        json!({
            "code": "D314K1432", "country": "ES", "state": "Barcelona", "city": "Q11355",
            "yearBorn": 1990, "gender": 2,
            "metadata": {"currentDiscountRate": "10%", "isNew": true}
        }),
    )
    .customer
}

#[test]
fn a_new_code_is_created_active_at_version_1() {
    let applied = run(None, json!({"code": "N4213S4123"}));
    assert_eq!(applied.result, MergeResult::Created);
    assert!(applied.customer.is_active);
    assert_eq!(applied.customer.version, 1);
    assert_eq!(applied.customer.created_at, Timestamp(1_000));
}

#[test]
fn the_same_patch_again_is_unchanged() {
    let stored = seed();
    let again = run(
        Some(&stored),
        json!({"code": "D314K1432", "country": "ES", "yearBorn": 1990,
               "metadata": {"isNew": true}}),
    );
    assert_eq!(again.result, MergeResult::Unchanged);
    assert_eq!(again.customer.version, 1);
}

#[test]
fn a_field_left_out_keeps_its_value() {
    let stored = seed();
    let applied = run(Some(&stored), json!({"code": "D314K1432", "gender": 1}));
    assert_eq!(applied.result, MergeResult::Updated);
    assert_eq!(applied.customer.gender, Some(Gender::Male));
    assert_eq!(applied.customer.year_born, Some(1990));
    assert_eq!(applied.customer.version, 2);
}

#[test]
fn null_removes_a_field() {
    let stored = seed();
    let applied = run(
        Some(&stored),
        json!({"code": "D314K1432", "yearBorn": null}),
    );
    assert_eq!(applied.customer.year_born, None);
    assert_eq!(applied.customer.city.as_deref(), Some("Q11355"));
}

#[test]
fn is_active_null_resets_it_to_true() {
    let stored = run(None, json!({"code": "A", "isActive": false})).customer;
    assert!(!stored.is_active);
    let applied = run(Some(&stored), json!({"code": "A", "isActive": null}));
    assert!(applied.customer.is_active);
    assert_eq!(applied.result, MergeResult::Updated);
}

#[test]
fn metadata_merges_key_by_key_recursively() {
    let stored = run(
        None,
        json!({"code": "A", "metadata": {"a": 1, "nested": {"x": 1, "y": 2}, "gone": true}}),
    )
    .customer;
    let applied = run(
        Some(&stored),
        json!({"code": "A", "metadata": {"b": 2, "nested": {"y": null, "z": 3}, "gone": null}}),
    );
    assert_eq!(
        applied.customer.metadata.map(Value::Object),
        Some(json!({"a": 1, "nested": {"x": 1, "z": 3}, "b": 2}))
    );
}

#[test]
fn metadata_null_removes_all_of_it() {
    let applied = run(
        Some(&seed()),
        json!({"code": "D314K1432", "metadata": null}),
    );
    assert_eq!(applied.customer.metadata, None);
}

#[test]
fn an_object_replaces_a_scalar_inside_metadata() {
    let stored = run(None, json!({"code": "A", "metadata": {"k": "text"}})).customer;
    let applied = run(
        Some(&stored),
        json!({"code": "A", "metadata": {"k": {"deep": 1}}}),
    );
    assert_eq!(
        applied.customer.metadata.map(Value::Object),
        Some(json!({"k": {"deep": 1}}))
    );
}

#[test]
fn limits_apply_to_the_merged_metadata() {
    let stored = run(
        None,
        json!({"code": "A", "metadata": {"a": "x".repeat(40_000)}}),
    )
    .customer;
    let resolver = Resolver::builtin();
    let context = MergeContext {
        now: Timestamp(2_000),
        resolver: &resolver,
        strict_geo: false,
    };
    let grow = patch(json!({"code": "A", "metadata": {"b": "y".repeat(30_000)}}));
    let errors = apply(Some(&stored), &grow, &context)
        .err()
        .unwrap_or_default();
    assert!(
        matches!(
            errors.as_slice(),
            [FieldError::MetadataTooLarge { max: 60_000, .. }]
        ),
        "{errors:?}"
    );
}

#[test]
fn strict_geo_refuses_an_unknown_country() {
    let resolver = Resolver::builtin();
    let context = MergeContext {
        now: Timestamp(1),
        resolver: &resolver,
        strict_geo: true,
    };
    let errors = apply(
        None,
        &patch(json!({"code": "A", "country": "Atlantis"})),
        &context,
    )
    .err()
    .unwrap_or_default();
    assert_eq!(errors.first().map(FieldError::field), Some("country"));
}

#[test]
fn a_strict_refusal_does_not_say_the_place_was_kept() {
    let resolver = Resolver::builtin();
    let context = MergeContext {
        now: Timestamp(1),
        resolver: &resolver,
        strict_geo: true,
    };
    let errors = apply(
        None,
        &patch(json!({"code": "A", "country": "Atlantis", "city": "Q90"})),
        &context,
    )
    .err()
    .unwrap_or_default();
    assert!(!errors.is_empty());
    for error in &errors {
        let text = error.to_string();
        assert!(!text.contains("kept"), "{text}");
        assert!(text.contains("could not be resolved"), "{text}");
    }
}

#[test]
fn changing_the_place_resolves_it_again() {
    let stored = seed();
    let applied = run(
        Some(&stored),
        json!({"code": "D314K1432", "country": "FR", "state": null}),
    );
    let country = applied
        .customer
        .location
        .country
        .map(|country| country.code);
    assert_eq!(country.as_deref(), Some("FR"));
    assert_eq!(applied.customer.location.state, None);
}

fn arb_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        "[a-z]{0,4}".prop_map(Value::from),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    arb_scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-d]", inner, 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn arb_patch() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from)
        ]),
        prop::option::of(prop_oneof![
            Just(Value::Null),
            Just(json!("ES")),
            Just(json!("FR"))
        ]),
        prop::option::of(prop_oneof![
            Just(Value::Null),
            (1850..2000i32).prop_map(Value::from)
        ]),
        prop::option::of(prop_oneof![
            Just(Value::Null),
            (0..4i32).prop_map(Value::from)
        ]),
        prop::option::of(prop_oneof![
            Just(Value::Null),
            prop::collection::btree_map("[a-d]", arb_json(), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]),
    )
        .prop_map(|(active, country, year, gender, metadata)| {
            let mut object = serde_json::Map::new();
            object.insert("code".into(), json!("P"));
            let fields = [
                ("isActive", active),
                ("country", country),
                ("yearBorn", year),
                ("gender", gender),
                ("metadata", metadata),
            ];
            for (name, value) in fields {
                if let Some(value) = value {
                    object.insert(name.into(), value);
                }
            }
            Value::Object(object)
        })
}

proptest! {
    #[test]
    fn applying_a_patch_twice_equals_applying_it_once(
        first in arb_patch(),
        second in arb_patch(),
    ) {
        let stored = run(None, first).customer;
        let once = run(Some(&stored), second.clone());
        let twice = run(Some(&once.customer), second);
        prop_assert_eq!(twice.result, MergeResult::Unchanged);
        prop_assert_eq!(&twice.customer, &once.customer);
    }

    #[test]
    fn unchanged_means_every_field_is_as_stored(first in arb_patch(), second in arb_patch()) {
        let stored = run(None, first).customer;
        let applied = run(Some(&stored), second);
        if applied.result == MergeResult::Unchanged {
            prop_assert_eq!(applied.customer.version, stored.version);
            prop_assert_eq!(applied.customer.values(), stored.values());
        } else {
            prop_assert_eq!(applied.customer.version, stored.version + 1);
        }
    }
}

#[test]
fn a_create_with_defaults_only_changed_no_field() {
    let created = run(None, json!({"code": "C1"}));
    assert_eq!(created.customer.changed_fields(None), Vec::<String>::new());
}

#[test]
fn a_write_names_the_fields_it_changed_and_each_metadata_key() {
    let before = run(
        None,
        json!({"code": "C1", "yearBorn": 1980, "metadata": {"tier": "gold", "plan": "a", "kept": 1}}),
    )
    .customer;
    assert_eq!(
        before.changed_fields(None),
        [
            "yearBorn",
            "metadata.tier",
            "metadata.plan",
            "metadata.kept"
        ]
    );
    let after = run(
        Some(&before),
        json!({"code": "C1", "isActive": false, "yearBorn": null,
               "metadata": {"tier": "silver", "plan": null, "added": true}}),
    )
    .customer;
    assert_eq!(
        after.changed_fields(Some(&before)),
        [
            "isActive",
            "yearBorn",
            "metadata.tier",
            "metadata.added",
            "metadata.plan"
        ]
    );
    assert!(
        after.changed_fields(Some(&after)).is_empty(),
        "nothing changed against itself"
    );
}
