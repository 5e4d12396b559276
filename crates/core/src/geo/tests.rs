//! The resolver against the contract in DESIGN.md's "Geo normalization", on the built-in
//! gazetteer.

use super::*;

fn resolve(country: Option<&str>, state: Option<&str>, city: Option<&str>) -> Resolution {
    Resolver::builtin().resolve(&GeoInput {
        country,
        state,
        city,
    })
}

fn country_code(text: &str) -> Option<String> {
    resolve(Some(text), None, None)
        .location
        .country
        .map(|country| country.code)
}

fn kinds(resolution: &Resolution) -> Vec<(GeoField, WarningKind)> {
    resolution
        .warnings
        .iter()
        .map(|warning| (warning.field, warning.kind))
        .collect()
}

#[test]
fn country_code_and_state_name_resolve_the_seed_example() {
    let resolution = resolve(Some("ES"), Some("Barcelona"), None);
    let location = resolution.location;
    assert_eq!(
        location.country.map(|country| country.alpha3).as_deref(),
        Some("ESP")
    );
    assert_eq!(
        location.state.map(|state| state.code).as_deref(),
        Some("ES-B")
    );
    assert_eq!(location.status, LocationStatus::Resolved);
    assert!(resolution.warnings.is_empty());
}

#[test]
fn the_seed_city_q11355_is_the_town_in_the_province_sent() {
    let resolution = resolve(Some("ES"), Some("Barcelona"), Some("Q11355"));
    assert_eq!(resolution.location.status, LocationStatus::Resolved);
    let city = resolution.location.city.expect("a city");
    assert_eq!(city.name, "Mollet del Vallès");
    assert_eq!(city.wikidata_id.as_deref(), Some("Q11355"));
    assert!(resolution.warnings.is_empty(), "{:?}", resolution.warnings);
}

#[test]
fn a_wikidata_id_on_two_towns_means_the_unmarked_one_when_both_fit() {
    // The data gives Q11355 to Mollet del Vallès (marked as the copy) and to Mollet de
    // Peralada (in Girona): with nothing else sent, the unmarked record is meant.
    let resolution = resolve(None, None, Some("Q11355"));
    let location = resolution.location;
    assert_eq!(
        location.city.map(|city| city.name).as_deref(),
        Some("Mollet de Peralada")
    );
    assert_eq!(
        location.state.map(|state| state.code).as_deref(),
        Some("ES-GI")
    );
    assert!(resolution.warnings.is_empty());
}

#[test]
fn the_field_decides_the_kind_of_a_wikidata_id() {
    // Q1492 is Barcelona the city; the data puts it on the province as well.
    let as_city = resolve(None, None, Some("Q1492")).location;
    assert_eq!(
        as_city.city.map(|city| city.name).as_deref(),
        Some("Barcelona")
    );
    assert_eq!(
        as_city.state.map(|state| state.code).as_deref(),
        Some("ES-B")
    );
    let as_state = resolve(None, Some("Q1492"), None).location;
    assert_eq!(
        as_state.state.map(|state| state.code).as_deref(),
        Some("ES-B")
    );
    assert!(as_state.city.is_none());
}

#[test]
fn a_city_id_the_data_puts_on_its_city_state_names_the_city() {
    // Tokyo's item Q1490 is on the prefecture JP-13 only; the city of that name in it is meant.
    let location = resolve(None, None, Some("Q1490")).location;
    assert_eq!(
        location.city.map(|city| city.name).as_deref(),
        Some("Tokyo")
    );
    assert_eq!(
        location.state.map(|state| state.code).as_deref(),
        Some("JP-13")
    );
}

#[test]
fn fips_codes_resolve_alone_and_with_the_country() {
    let state = |country, state| {
        resolve(country, Some(state), None)
            .location
            .state
            .map(|state| state.code)
    };
    assert_eq!(state(None, "SP56").as_deref(), Some("ES-CT"));
    assert_eq!(state(Some("US"), "06").as_deref(), Some("US-CA"));
    assert_eq!(state(Some("US"), "6").as_deref(), Some("US-CA"));
}

#[test]
fn a_bare_number_that_reads_two_ways_follows_the_setting() {
    let read = |mode| {
        Resolver::builtin()
            .with_numeric_state_codes(mode)
            .resolve(&GeoInput {
                country: Some("JP"),
                state: Some("29"),
                city: None,
            })
    };
    let ambiguous = read(NumericStateCodes::Ambiguous);
    assert!(ambiguous.location.state.is_none());
    assert_eq!(
        kinds(&ambiguous),
        vec![(GeoField::State, WarningKind::Ambiguous)]
    );
    let message = &ambiguous.warnings[0].message;
    assert!(
        message.contains("JP-29") && message.contains("JP-15"),
        "{message}"
    );
    let code = |resolution: Resolution| resolution.location.state.map(|state| state.code);
    assert_eq!(code(read(NumericStateCodes::Iso)).as_deref(), Some("JP-29"));
    assert_eq!(
        code(read(NumericStateCodes::Fips)).as_deref(),
        Some("JP-15")
    );
}

#[test]
fn a_state_one_level_up_or_down_from_the_citys_unit_is_consistent() {
    for (country, state, city, expected_state) in [
        ("UK", "Scotland", "Glasgow", "GB-SCT"),
        ("UK", "England", "London", "GB-ENG"),
        ("UK", "Wales", "Cardiff", "GB-WLS"),
        ("Belgium", "Antwerpen", "Antwerpen", "BE-VAN"),
    ] {
        let resolution = resolve(Some(country), Some(state), Some(city));
        assert_eq!(
            resolution.location.status,
            LocationStatus::Resolved,
            "{state}/{city}: {:?}",
            resolution.warnings
        );
        assert_eq!(
            resolution.location.state.map(|state| state.code).as_deref(),
            Some(expected_state)
        );
    }
}

#[test]
fn a_city_outside_the_state_sent_is_named_in_the_country_sent() {
    let resolution = resolve(Some("UK"), Some("Scotland"), Some("Cardiff"));
    assert!(resolution.location.city.is_none());
    let message = &resolution.warnings[0].message;
    assert!(
        message.contains("GB-"),
        "names the Welsh Cardiff, not another: {message}"
    );
}

#[test]
fn everyday_and_abbreviated_state_names_resolve() {
    for (country, state, expected) in [
        ("US", "Calif.", "US-CA"),
        ("US", "N.Y.", "US-NY"),
        ("US", "Wash.", "US-WA"),
        ("MX", "CDMX", "MX-CMX"),
        ("MX", "D.F.", "MX-CMX"),
        ("MX", "Distrito Federal", "MX-CMX"),
        ("BR", "Distrito Federal", "BR-DF"),
        ("IN", "Orissa", "IN-OR"),
    ] {
        let location = resolve(Some(country), Some(state), None).location;
        assert_eq!(
            location.state.map(|state| state.code).as_deref(),
            Some(expected),
            "{country} {state}"
        );
    }
}

#[test]
fn every_iso_country_form_resolves_to_spain() {
    for form in [
        "ES", "es", "ESP", "724", "Spain", " spain ", "España", "espana", "Q29",
    ] {
        assert_eq!(country_code(form).as_deref(), Some("ES"), "{form}");
    }
}

#[test]
fn numeric_codes_resolve_with_and_without_leading_zeros() {
    for form in ["4", "04", "004"] {
        assert_eq!(country_code(form).as_deref(), Some("AF"), "{form}");
    }
}

#[test]
fn common_aliases_resolve_to_their_country() {
    let aliases = [
        ("USA", "US"),
        ("U.S.", "US"),
        ("United States of America", "US"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("Holland", "NL"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Czechia", "CZ"),
        ("Ivory Coast", "CI"),
        ("Côte d'Ivoire", "CI"),
        ("Burma", "MM"),
        ("Swaziland", "SZ"),
        ("DR Congo", "CD"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("Nederland", "NL"),
        ("Bolivia", "BO"),
        ("Plurinational State of Bolivia", "BO"),
        ("St. Lucia", "LC"),
        ("Bosnia & Herzegovina", "BA"),
    ];
    for (alias, code) in aliases {
        assert_eq!(country_code(alias).as_deref(), Some(code), "{alias}");
    }
}

#[test]
fn garbage_stays_unresolved_with_a_warning() {
    for garbage in [
        "Atlantis", "N/A", "-", "unknown", "ZZ", "Q0", "Narnia", "xx",
    ] {
        let resolution = resolve(Some(garbage), None, None);
        assert_eq!(
            resolution.location.status,
            LocationStatus::Unresolved,
            "{garbage}"
        );
        assert_eq!(resolution.warnings[0].field, GeoField::Country, "{garbage}");
    }
}

#[test]
fn nothing_sent_is_empty() {
    assert_eq!(
        resolve(None, Some("  "), None).location.status,
        LocationStatus::Empty
    );
}

#[test]
fn an_iso_subdivision_code_implies_its_country() {
    let location = resolve(None, Some("ES-B"), None).location;
    assert_eq!(location.country.map(|c| c.code).as_deref(), Some("ES"));
    assert_eq!(location.state.map(|s| s.name).as_deref(), Some("Barcelona"));
}

#[test]
fn a_state_code_relative_to_the_country_resolves() {
    let location = resolve(Some("US"), Some("ca"), None).location;
    assert_eq!(location.state.map(|s| s.code).as_deref(), Some("US-CA"));
}

#[test]
fn a_state_name_unique_worldwide_resolves_alone_and_implies_its_country() {
    let location = resolve(None, Some("Bavaria"), None).location;
    assert_eq!(location.state.map(|s| s.code).as_deref(), Some("DE-BY"));
    assert_eq!(location.country.map(|c| c.code).as_deref(), Some("DE"));
}

#[test]
fn a_state_of_another_country_is_a_contradiction() {
    let resolution = resolve(Some("FR"), Some("ES-B"), None);
    assert!(resolution.location.state.is_none());
    assert_eq!(resolution.location.status, LocationStatus::Partial);
    assert_eq!(
        kinds(&resolution),
        vec![(GeoField::State, WarningKind::Contradiction)]
    );
}

#[test]
fn a_city_implies_its_state_and_country() {
    let location = resolve(None, None, Some("Amsterdam")).location;
    assert_eq!(location.city.map(|c| c.name).as_deref(), Some("Amsterdam"));
    assert_eq!(location.state.map(|s| s.code).as_deref(), Some("NL-NH"));
    assert_eq!(location.country.map(|c| c.code).as_deref(), Some("NL"));
}

#[test]
fn barcelona_alone_is_not_guessed_since_venezuela_has_a_big_one_too() {
    let resolution = resolve(None, None, Some("Barcelona"));
    assert!(resolution.location.city.is_none());
    assert_eq!(
        kinds(&resolution),
        vec![(GeoField::City, WarningKind::Ambiguous)]
    );
}

#[test]
fn a_city_name_in_another_language_resolves() {
    let location = resolve(Some("DE"), None, Some("Munich")).location;
    assert_eq!(location.state.map(|s| s.code).as_deref(), Some("DE-BY"));
}

#[test]
fn the_given_country_settles_a_city_name_shared_across_countries() {
    let location = resolve(Some("VE"), None, Some("Barcelona")).location;
    assert_eq!(location.country.map(|c| c.code).as_deref(), Some("VE"));
    assert!(location.city.is_some());
}

#[test]
fn a_shared_city_name_within_a_country_is_settled_by_population_with_a_warning() {
    let resolution = resolve(Some("US"), None, Some("Springfield"));
    assert!(resolution.location.city.is_some());
    assert_eq!(
        kinds(&resolution),
        vec![(GeoField::City, WarningKind::Ambiguous)]
    );
}

#[test]
fn a_city_name_shared_by_comparable_places_is_not_guessed_without_a_country() {
    let resolution = resolve(None, None, Some("Springfield"));
    assert!(resolution.location.city.is_none());
    assert_eq!(resolution.location.status, LocationStatus::Unresolved);
    assert_eq!(
        kinds(&resolution),
        vec![(GeoField::City, WarningKind::Ambiguous)]
    );
}

#[test]
fn a_city_in_another_country_is_a_contradiction() {
    let resolution = resolve(Some("FR"), None, Some("Barcelona"));
    assert!(resolution.location.city.is_none());
    assert_eq!(
        kinds(&resolution),
        vec![(GeoField::City, WarningKind::Contradiction)]
    );
}

#[test]
fn a_city_settles_which_same_named_state_was_meant() {
    let location = resolve(None, Some("Georgia"), Some("Atlanta")).location;
    assert_eq!(location.state.map(|s| s.code).as_deref(), Some("US-GA"));
    assert_eq!(location.country.map(|c| c.code).as_deref(), Some("US"));
}

#[test]
fn a_state_name_shared_across_countries_is_not_guessed_alone() {
    let resolution = resolve(None, Some("Limburg"), None);
    assert!(resolution.location.state.is_none());
    assert_eq!(
        kinds(&resolution),
        vec![(GeoField::State, WarningKind::Ambiguous)]
    );
}

#[test]
fn a_country_wikidata_id_resolves() {
    assert_eq!(country_code("Q30").as_deref(), Some("US"));
    assert_eq!(country_code("q142").as_deref(), Some("FR"));
}

#[test]
fn a_wikidata_id_of_another_kind_is_not_a_country() {
    assert_eq!(country_code("Q90"), None);
}

#[test]
fn the_resolver_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Resolver>();
}

#[test]
fn a_country_wikidata_id_sent_as_a_city_says_what_it_names() {
    let resolution = resolve(None, None, Some("Q29"));
    assert!(resolution.location.city.is_none());
    assert!(
        resolution.warnings[0].message.contains("country Spain"),
        "{:?}",
        resolution.warnings
    );
}

#[test]
fn the_words_for_a_kind_of_subdivision_are_read_past() {
    for form in [
        "Provincia de Barcelona",
        "province de Barcelone",
        "Barcelona Province",
    ] {
        let location = resolve(Some("ES"), Some(form), None).location;
        assert_eq!(
            location.state.map(|s| s.code).as_deref(),
            Some("ES-B"),
            "{form}"
        );
    }
}

#[test]
fn a_close_spelling_of_a_state_resolves_within_its_country_with_a_warning() {
    let resolution = resolve(Some("AM"), Some("Tavoush"), None);
    assert_eq!(
        resolution.location.state.as_ref().map(|s| s.code.as_str()),
        Some("AM-TV")
    );
    assert_eq!(
        kinds(&resolution),
        vec![(GeoField::State, WarningKind::Approximate)]
    );
}

#[test]
fn a_close_spelling_is_not_tried_without_a_country() {
    let resolution = resolve(None, Some("Tavoush"), None);
    assert!(resolution.location.state.is_none());
}

#[test]
fn a_name_shared_by_a_region_and_a_district_inside_it_chooses_the_region_and_says_so() {
    let resolution = resolve(Some("BD"), Some("Sylhet"), None);
    assert_eq!(
        resolution.location.state.as_ref().map(|s| s.code.as_str()),
        Some("BD-G")
    );
    assert_eq!(
        kinds(&resolution),
        vec![(GeoField::State, WarningKind::Ambiguous)]
    );
}

mod countries;
mod places;
