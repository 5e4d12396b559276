//! Cities and states on the built-in gazetteer where the sources disagree or fall short:
//! cities sent with the region their unit lies in, cities the sources could not place in a
//! state, names written in the city's own script, the state a city's WikiData ID implies,
//! and FIPS codes the sources give to different states.

use super::resolve;
use crate::geo::{GeoField, LocationStatus, WarningKind};

/// The city's name and latitude, and the state's code, that `country` / `state` / `city`
/// resolves to.
fn place(
    country: Option<&str>,
    state: Option<&str>,
    city: &str,
) -> (Option<String>, Option<f64>, Option<String>) {
    let location = resolve(country, state, Some(city)).location;
    let (name, lat) = location
        .city
        .map_or((None, None), |city| (Some(city.name), city.lat));
    (name, lat, location.state.map(|state| state.code))
}

#[test]
fn a_city_of_a_unit_iso_codes_does_not_list_is_in_its_region() {
    // North Northamptonshire (GB-NNH) is newer than the ISO data; GeoNames puts its towns
    // in England, so England is their region.
    for city in ["Northampton", "Kettering"] {
        let resolution = resolve(Some("UK"), Some("England"), Some(city));
        assert_eq!(
            resolution.location.status,
            LocationStatus::Resolved,
            "{city}: {:?}",
            resolution.warnings
        );
        assert_eq!(
            resolution.location.state.map(|state| state.code).as_deref(),
            Some("GB-ENG")
        );
    }
}

#[test]
fn a_city_known_to_lie_in_the_state_sent_beats_a_namesake_placed_nowhere() {
    // Holywell in Flintshire, Wales, not the bigger Holywell near Watford, in England.
    let (name, lat, state) = place(Some("GB"), Some("Wales"), "Holywell");
    assert_eq!(name.as_deref(), Some("Holywell"));
    assert_eq!(state.as_deref(), Some("GB-WLS"));
    assert!(lat.is_some_and(|lat| lat > 53.0), "{lat:?}");
    // The English one is outside Wales, and is named when it is meant.
    let (_, lat, _) = place(Some("GB"), Some("England"), "Holywell");
    assert!(lat.is_some_and(|lat| lat < 52.0), "{lat:?}");
}

#[test]
fn a_town_written_with_or_without_the_word_for_its_kind_is_found() {
    // 東温市 is "Tōon City", อำเภอพิมาย "Phimai District" (named for its town); 宣城 is
    // Xuancheng, which the sources know as 宣城市.
    for (country, sent, lat) in [
        ("JP", "東温市", 33.79),
        ("TH", "อำเภอพิมาย", 15.22),
        ("CN", "宣城", 30.94),
    ] {
        let (name, found, _) = place(Some(country), None, sent);
        assert!(
            found.is_some_and(|found| (found - lat).abs() < 0.3),
            "{sent}: {name:?} at {found:?}"
        );
    }
}

#[test]
fn a_town_written_with_the_persian_or_urdu_letters_or_the_arabic_ones_is_found() {
    // Karachi and Lahore in Urdu (ی, ہ) and in Arabic letters (ي, ه); Kerman in Persian (ک)
    // and Arabic (ك): the sources have one form of each, the reader may send the other.
    for (country, sent, lat) in [
        ("PK", "کراچی", 24.86),
        ("PK", "كراچي", 24.86),
        ("PK", "لاہور", 31.56),
        ("PK", "لاهور", 31.56),
        ("IR", "کرمان", 30.28),
        ("IR", "كرمان", 30.28),
    ] {
        let (name, found, _) = place(Some(country), None, sent);
        assert!(
            found.is_some_and(|found| (found - lat).abs() < 0.3),
            "{sent}: {name:?} at {found:?}"
        );
    }
}

#[test]
fn a_city_whose_state_the_sources_dispute_takes_the_one_its_neighbours_lie_in_and_says_so() {
    // Dongshigu (Q10870219) lies east of Tianjin; countries-states-cities files it under
    // Shandong, GeoNames and its neighbours under Tianjin.
    let resolution = resolve(None, None, Some("Q10870219"));
    assert_eq!(
        resolution.location.state.map(|state| state.code).as_deref(),
        Some("CN-TJ")
    );
    let warning = resolution
        .warnings
        .iter()
        .find(|warning| warning.field == GeoField::State)
        .expect("a warning on the state");
    assert_eq!(warning.kind, WarningKind::Ambiguous);
    assert!(
        warning.message.contains("CN-TJ") && warning.message.contains("CN-SD"),
        "{}",
        warning.message
    );
    // Either state sent is consistent with the city, and then nothing was guessed.
    for state in ["Shandong", "Tianjin"] {
        let resolution = resolve(Some("CN"), Some(state), Some("Q10870219"));
        assert_eq!(
            resolution.location.status,
            LocationStatus::Resolved,
            "{state}"
        );
        assert!(
            resolution.warnings.is_empty(),
            "{state}: {:?}",
            resolution.warnings
        );
    }
    // A third state still contradicts it.
    let resolution = resolve(Some("CN"), Some("Hebei"), Some("Q10870219"));
    assert!(resolution.location.city.is_none());
}

#[test]
fn a_city_the_sources_agree_on_carries_no_state_warning() {
    let resolution = resolve(None, None, Some("Q1492"));
    assert!(resolution.warnings.is_empty(), "{:?}", resolution.warnings);
}

#[test]
fn a_state_id_the_data_puts_only_on_its_city_names_the_state_of_that_name() {
    // Q1764 is Reykjavík; the data gives it to the city, not to the municipality IS-RKV.
    let location = resolve(None, Some("Q1764"), None).location;
    assert_eq!(
        location.state.map(|state| state.code).as_deref(),
        Some("IS-RKV")
    );
    assert!(location.city.is_none(), "the field decides the kind");
    // A city's ID whose state bears another name names no state.
    let resolution = resolve(None, Some("Q11355"), None);
    assert!(resolution.location.state.is_none());
}
