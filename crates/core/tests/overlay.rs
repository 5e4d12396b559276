//! The countries-states-cities overlay from the reference folder (`CLIENTELA_GEO_REFERENCE`):
//! what it adds to the built-in gazetteer. Skipped, with a message, without it.

mod common;

use clientela_core::geo::{GeoField, GeoInput, LocationStatus, Resolution, Resolver, WarningKind};
use common::{skipped, with_csc_overlay};

fn resolve(
    resolver: &Resolver,
    country: Option<&str>,
    state: Option<&str>,
    city: Option<&str>,
) -> Resolution {
    resolver.resolve(&GeoInput {
        country,
        state,
        city,
    })
}

macro_rules! overlay_or_skip {
    () => {
        match with_csc_overlay() {
            Some(resolver) => resolver,
            None => return skipped(),
        }
    };
}

#[test]
fn the_overlay_adds_state_wikidata_ids() {
    let resolver = overlay_or_skip!();
    let location = resolve(resolver, None, Some("Q5705"), None).location;
    assert_eq!(
        location.state.map(|state| state.code).as_deref(),
        Some("ES-CT")
    );
    assert_eq!(
        location.country.map(|country| country.code).as_deref(),
        Some("ES")
    );
}

#[test]
fn the_overlay_adds_fips_codes_relative_to_the_country() {
    let resolver = overlay_or_skip!();
    for form in ["06", "6"] {
        let location = resolve(resolver, Some("US"), Some(form), None).location;
        assert_eq!(
            location.state.map(|state| state.code).as_deref(),
            Some("US-CA"),
            "{form}"
        );
    }
}

#[test]
fn a_full_fips_code_resolves_alone_and_implies_the_country() {
    let resolver = overlay_or_skip!();
    let location = resolve(resolver, None, Some("US06"), None).location;
    assert_eq!(
        location.state.map(|state| state.code).as_deref(),
        Some("US-CA")
    );
    assert_eq!(
        location.country.map(|country| country.code).as_deref(),
        Some("US")
    );
}

#[test]
fn a_city_wikidata_id_implies_its_state_and_country() {
    let resolver = overlay_or_skip!();
    let location = resolve(resolver, None, None, Some("Q1863")).location;
    assert_eq!(
        location.city.map(|city| city.name).as_deref(),
        Some("Andorra la Vella")
    );
    assert_eq!(
        location.state.map(|state| state.code).as_deref(),
        Some("AD-07")
    );
    assert_eq!(
        location.country.map(|country| country.code).as_deref(),
        Some("AD")
    );
}

#[test]
fn a_city_wikidata_id_in_another_country_is_a_contradiction() {
    let resolver = overlay_or_skip!();
    let resolution = resolve(resolver, Some("FR"), None, Some("Q1863"));
    assert!(resolution.location.city.is_none());
    assert_eq!(resolution.warnings[0].field, GeoField::City);
    assert_eq!(resolution.warnings[0].kind, WarningKind::Contradiction);
}

#[test]
fn the_netherlands_resolves_by_both_of_its_wikidata_ids() {
    let resolver = overlay_or_skip!();
    for qid in ["Q55", "Q29999"] {
        let location = resolve(resolver, Some(qid), None, None).location;
        assert_eq!(
            location.country.map(|country| country.code).as_deref(),
            Some("NL"),
            "{qid}"
        );
    }
}

#[test]
fn the_seed_example_resolves_with_the_overlay_too() {
    let resolver = overlay_or_skip!();
    let resolution = resolve(resolver, Some("ES"), Some("Barcelona"), Some("Q11355"));
    let location = &resolution.location;
    assert_eq!(location.status, LocationStatus::Resolved, "{resolution:?}");
    assert_eq!(
        location.city.as_ref().map(|city| city.name.as_str()),
        Some("Mollet del Vallès")
    );
    assert!(resolution.warnings.is_empty(), "{resolution:?}");
}

#[test]
fn loading_the_overlay_twice_adds_no_places_the_second_time() {
    let Some(texts) = common::reference_texts() else {
        return;
    };
    let once = Resolver::builder().overlay_csc(&texts[0], &texts[1], &texts[2]);
    let twice = once.and_then(|builder| builder.overlay_csc(&texts[0], &texts[1], &texts[2]));
    let reports = twice
        .as_ref()
        .map(|builder| builder.reports().to_vec())
        .unwrap_or_default();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[1].cities_added, 0, "{:?}", reports[1]);
    assert_eq!(reports[1].states_added, 0);
    assert_eq!(reports[1].wikidata_ids_added, 0);
}

#[test]
fn a_csv_without_its_key_columns_is_refused() {
    let refused = Resolver::builder().overlay_csc("iso2,name\nES,Spain\n", "id\n", "id\n");
    assert!(refused.is_err());
}

#[test]
fn a_number_that_is_both_an_iso_suffix_and_a_fips_code_is_left_ambiguous() {
    let resolver = overlay_or_skip!();
    let resolution = resolve(resolver, Some("DZ"), Some("04"), None);
    assert!(resolution.location.state.is_none(), "{resolution:?}");
    assert_eq!(resolution.warnings.len(), 1);
    assert_eq!(resolution.warnings[0].kind, WarningKind::Ambiguous);
    assert!(resolution.warnings[0].message.contains("DZ-04"));
    assert!(resolution.warnings[0].message.contains("FIPS"));
}

#[test]
fn a_fips_code_given_to_a_province_belongs_to_its_region() {
    let resolver = overlay_or_skip!();
    let location = resolve(resolver, None, Some("SP29"), None).location;
    assert_eq!(
        location.state.map(|state| state.code).as_deref(),
        Some("ES-MD")
    );
}
