//! Overlays: extra place data loaded at start on top of the built-in gazetteer.
//!
//! The first format is the countries-states-cities export (`countries.csv`, `states.csv`,
//! `cities.csv`). It adds WikiData IDs for countries, states and cities, FIPS 10-4 codes and
//! native names for states, and cities the gazetteer lacks. Rows are matched to existing
//! records by code or by the database's own row ids, so loading the same database the
//! gazetteer was built from fills gaps instead of duplicating places. Core does no I/O: the
//! caller reads the files and hands their text over.

use std::collections::HashMap;

use super::fold::fold;
use super::forms;
use super::gazetteer::{
    CityRecord, CountryRecord, Gazetteer, NameRank, NameTableBuilder, SAME_PLACE_DEGREES,
    StateRecord,
};

mod error;
mod table;

pub use error::OverlayError;
use table::{Table, coordinate, field};

/// The files of a countries-states-cities overlay folder, in the order
/// [`ResolverBuilder::overlay_csc`](super::ResolverBuilder::overlay_csc) takes them.
pub const CSC_OVERLAY_FILES: [&str; 3] = ["countries.csv", "states.csv", "cities.csv"];

/// What an overlay changed, for the caller to log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OverlayReport {
    pub countries_added: usize,
    pub states_added: usize,
    pub cities_added: usize,
    pub wikidata_ids_added: usize,
    pub fips_codes_added: usize,
}

/// Applies a countries-states-cities overlay to `gazetteer`; the gazetteer builder applies
/// the registry's copy of that database this way too (the `build` feature re-exports it).
#[cfg_attr(not(feature = "build"), allow(unreachable_pub))]
pub fn apply_csc(
    gazetteer: &mut Gazetteer,
    countries_csv: &str,
    states_csv: &str,
    cities_csv: &str,
) -> Result<OverlayReport, OverlayError> {
    let countries = Table::parse(CSC_OVERLAY_FILES[0], countries_csv)?;
    let states = Table::parse(CSC_OVERLAY_FILES[1], states_csv)?;
    let cities = Table::parse(CSC_OVERLAY_FILES[2], cities_csv)?;
    let country_by_alpha2 = (0u32..)
        .zip(&gazetteer.countries)
        .map(|(position, country)| (country.alpha2.clone(), position))
        .collect();
    let mut overlay = Overlay {
        gazetteer,
        country_by_alpha2,
        country_names: NewNames::default(),
        state_names: NewNames::default(),
        city_names: NewNames::default(),
        report: OverlayReport::default(),
    };
    let outcome = overlay
        .countries(&countries)
        .and_then(|()| overlay.states(&states))
        .and_then(|()| overlay.cities(&cities));
    let Overlay {
        gazetteer,
        country_names,
        state_names,
        city_names,
        report,
        ..
    } = overlay;
    let tables = [
        (&mut gazetteer.country_names, country_names),
        (&mut gazetteer.state_names, state_names),
        (&mut gazetteer.city_names, city_names),
    ];
    for (table, additions) in tables {
        if additions.0.is_empty() {
            continue;
        }
        let mut builder = NameTableBuilder::default();
        for (key, target, rank) in additions.0 {
            builder.add_folded(&key, target, rank);
        }
        *table = std::mem::take(table).merge(builder.build());
    }
    outcome.map(|()| report)
}

/// Names an overlay adds, kept apart until the end so the existing tables stay searchable
/// while rows are matched against them.
#[derive(Default)]
struct NewNames(Vec<(String, u32, NameRank)>);

impl NewNames {
    fn add(&mut self, name: &str, target: u32, rank: NameRank) {
        self.0.push((fold(name), target, rank));
    }

    fn add_folded(&mut self, key: String, target: u32, rank: NameRank) {
        self.0.push((key, target, rank));
    }
}

struct Overlay<'a> {
    gazetteer: &'a mut Gazetteer,
    country_by_alpha2: HashMap<String, u32>,
    country_names: NewNames,
    state_names: NewNames,
    city_names: NewNames,
    report: OverlayReport,
}

impl Overlay<'_> {
    fn country_position(&self, alpha2: &str) -> Option<u32> {
        self.country_by_alpha2.get(alpha2).copied()
    }

    /// Adds a country name unless the gazetteer gives it to another country: its spellings
    /// were cross-checked when it was built, and an overlay fills gaps rather than reopening
    /// a settled collision.
    fn add_country_name(&mut self, name: &str, country: u32, rank: NameRank) {
        let key = fold(name);
        let taken = self
            .gazetteer
            .country_names
            .get(&key)
            .any(|(other, _)| other != country);
        let a_region = self.gazetteer.region_names.get(&key).next().is_some();
        if !taken && !a_region {
            self.country_names.add_folded(key, country, rank);
        }
    }

    fn countries(&mut self, table: &Table) -> Result<(), OverlayError> {
        let [
            alpha2,
            alpha3,
            numeric,
            name,
            native,
            wikidata,
            translations,
        ] = [
            "iso2",
            "iso3",
            "numeric_code",
            "name",
            "native",
            "wikiDataId",
            "translations",
        ]
        .map(|column| table.column(column));
        let (alpha2, alpha3, numeric, name) = (alpha2?, alpha3?, numeric?, name?);
        let (native, wikidata, translations) = (native.ok(), wikidata.ok(), translations.ok());
        for record in &table.records {
            let (Some(code), Some(english)) = (field(record, alpha2), field(record, name)) else {
                continue;
            };
            let code = code.to_ascii_uppercase();
            let position = match self.country_position(&code) {
                Some(position) => position,
                None => {
                    let (Some(code3), Some(number)) = (
                        field(record, alpha3),
                        field(record, numeric).and_then(forms::numeric_code),
                    ) else {
                        continue;
                    };
                    self.gazetteer.countries.push(CountryRecord {
                        alpha2: code.clone(),
                        alpha3: code3.to_ascii_uppercase(),
                        numeric: number,
                        fips: None,
                        name: english.to_owned(),
                        wikidata: None,
                        other_wikidata: Vec::new(),
                        population: 0,
                        sovereign: None,
                    });
                    self.report.countries_added += 1;
                    let Ok(position) = u32::try_from(self.gazetteer.countries.len() - 1) else {
                        continue;
                    };
                    self.country_by_alpha2.insert(code.clone(), position);
                    position
                }
            };
            self.add_country_name(english, position, NameRank::Primary);
            if let Some(native) = native.and_then(|column| field(record, column)) {
                self.add_country_name(native, position, NameRank::Native);
            }
            if let Some(json) = translations.and_then(|column| field(record, column)) {
                let names: HashMap<String, String> = serde_json::from_str(json).unwrap_or_default();
                for translated in names.values() {
                    self.add_country_name(translated, position, NameRank::Alternate);
                }
            }
            let qid = wikidata
                .and_then(|column| field(record, column))
                .and_then(forms::wikidata_number);
            if let (Some(qid), Some(country)) =
                (qid, self.gazetteer.countries.get_mut(position as usize))
            {
                if country.wikidata.is_none() {
                    country.wikidata = Some(qid);
                    self.report.wikidata_ids_added += 1;
                } else if country.wikidata != Some(qid) && !country.other_wikidata.contains(&qid) {
                    country.other_wikidata.push(qid);
                    self.report.wikidata_ids_added += 1;
                }
            }
        }
        Ok(())
    }

    fn states(&mut self, table: &Table) -> Result<(), OverlayError> {
        let id = table.column("id")?;
        let name = table.column("name")?;
        let country_code = table.column("country_code")?;
        let code = table.column("iso3166_2")?;
        let [fips, parent, native, wikidata] = ["fips_code", "parent_id", "native", "wikiDataId"]
            .map(|column| table.column(column).ok());
        let mut by_code: HashMap<String, u32> = (0u32..)
            .zip(&self.gazetteer.states)
            .map(|(position, state)| (state.code.clone(), position))
            .collect();
        let mut by_source_id: HashMap<u32, u32> = HashMap::new();
        let mut parents: Vec<(u32, u32)> = Vec::new();
        for record in &table.records {
            let (Some(iso), Some(english), Some(alpha2)) = (
                field(record, code).and_then(forms::subdivision_code),
                field(record, name),
                field(record, country_code),
            ) else {
                continue;
            };
            let Some(country) = self.country_position(&alpha2.to_ascii_uppercase()) else {
                continue;
            };
            let position = match by_code.get(&iso) {
                Some(position) => *position,
                None => {
                    let Ok(position) = u32::try_from(self.gazetteer.states.len()) else {
                        continue;
                    };
                    self.gazetteer.states.push(StateRecord {
                        country,
                        code: iso.clone(),
                        name: english.to_owned(),
                        fips: None,
                        wikidata: None,
                        parent: None,
                        source_id: None,
                    });
                    by_code.insert(iso, position);
                    self.report.states_added += 1;
                    position
                }
            };
            let source_id = field(record, id).and_then(|value| value.parse::<u32>().ok());
            if let Some(source_id) = source_id {
                by_source_id.insert(source_id, position);
            }
            if let Some(parent_id) = parent
                .and_then(|column| field(record, column))
                .and_then(|value| value.parse::<u32>().ok())
            {
                parents.push((position, parent_id));
            }
            self.state_names.add(english, position, NameRank::Primary);
            if let Some(native) = native.and_then(|column| field(record, column)) {
                self.state_names.add(native, position, NameRank::Native);
            }
            let Some(state) = self.gazetteer.states.get_mut(position as usize) else {
                continue;
            };
            if state.fips.is_none()
                && let Some(code) = fips
                    .and_then(|column| field(record, column))
                    .and_then(forms::fips_relative)
            {
                state.fips = Some(code.to_ascii_uppercase());
                self.report.fips_codes_added += 1;
            }
            if state.wikidata.is_none()
                && let Some(qid) = wikidata
                    .and_then(|column| field(record, column))
                    .and_then(forms::wikidata_number)
            {
                state.wikidata = Some(qid);
                self.report.wikidata_ids_added += 1;
            }
        }
        for (position, parent_id) in parents {
            let parent = by_source_id.get(&parent_id).copied();
            if let Some(state) = self.gazetteer.states.get_mut(position as usize)
                && state.parent.is_none()
                && parent != Some(position)
            {
                state.parent = parent;
            }
        }
        self.lift_fips_codes_to_first_order_divisions();
        Ok(())
    }

    /// FIPS 10-4 codes first-order divisions. Where the states nested in one outer state
    /// all carry the same code (the provinces of a Spanish autonomous community carrying the
    /// community's code, Madrid's one province carrying Madrid's), the code is the outer
    /// state's, if that one has none of its own. Where they carry different codes, each is
    /// its own: some countries' FIPS units are what ISO 3166-2 nests (Guinea's prefectures,
    /// Indonesia's provinces within ISO's island groups).
    fn lift_fips_codes_to_first_order_divisions(&mut self) {
        let states = &mut self.gazetteer.states;
        let outermost_of = |position: usize| {
            let mut outermost = position;
            for _ in 0..4 {
                match states[outermost].parent {
                    Some(parent) if (parent as usize) < states.len() => outermost = parent as usize,
                    _ => break,
                }
            }
            outermost
        };
        let mut nested: HashMap<usize, Vec<usize>> = HashMap::new();
        for (position, state) in states.iter().enumerate() {
            let outermost = outermost_of(position);
            if outermost != position && state.fips.is_some() {
                nested.entry(outermost).or_default().push(position);
            }
        }
        for (outermost, children) in nested {
            let mut codes = children
                .iter()
                .filter_map(|child| states[*child].fips.clone());
            let Some(first) = codes.next() else { continue };
            if states[outermost].fips.is_some() || codes.any(|code| code != first) {
                continue;
            }
            states[outermost].fips = Some(first);
            for child in children {
                states[child].fips = None;
            }
        }
    }

    /// A city already in the gazetteer under this name, in this country, at this spot.
    fn same_city(&self, folded: &str, country: u32, lat: f32, lon: f32) -> Option<u32> {
        self.gazetteer
            .city_names
            .get(folded)
            .map(|(position, _)| position)
            .find(|position| {
                self.gazetteer
                    .cities
                    .get(*position as usize)
                    .is_some_and(|city| {
                        city.country == country
                            && (city.lat - lat).abs() < SAME_PLACE_DEGREES
                            && (city.lon - lon).abs() < SAME_PLACE_DEGREES
                    })
            })
    }

    fn cities(&mut self, table: &Table) -> Result<(), OverlayError> {
        let id = table.column("id")?;
        let name = table.column("name")?;
        let country_code = table.column("country_code")?;
        let state_code = table.column("state_iso3166_2")?;
        let [native, latitude, longitude, wikidata, duplicated] = [
            "native",
            "latitude",
            "longitude",
            "wikiDataId",
            "is_duplicated",
        ]
        .map(|column| table.column(column).ok());
        let by_source_id: HashMap<u32, u32> = (0u32..)
            .zip(&self.gazetteer.cities)
            .filter_map(|(position, city)| city.source_id.map(|source| (source, position)))
            .collect();
        let states_by_code: HashMap<String, u32> = (0u32..)
            .zip(&self.gazetteer.states)
            .map(|(position, state)| (state.code.clone(), position))
            .collect();
        for record in &table.records {
            let (Some(english), Some(alpha2)) = (field(record, name), field(record, country_code))
            else {
                continue;
            };
            let Some(country) = self.country_position(&alpha2.to_ascii_uppercase()) else {
                continue;
            };
            let state = field(record, state_code)
                .and_then(forms::subdivision_code)
                .and_then(|code| states_by_code.get(&code).copied());
            let folded = fold(english);
            let same_source_row = field(record, id)
                .and_then(|value| value.parse::<u32>().ok())
                .and_then(|source_id| by_source_id.get(&source_id).copied())
                .filter(|position| {
                    self.gazetteer
                        .cities
                        .get(*position as usize)
                        .is_some_and(|city| city.country == country && fold(&city.name) == folded)
                });
            let lat = latitude.map_or(0.0, |column| coordinate(record, column));
            let lon = longitude.map_or(0.0, |column| coordinate(record, column));
            let existing = same_source_row.or_else(|| self.same_city(&folded, country, lat, lon));
            let position = match existing {
                Some(position) => position,
                None => {
                    let Ok(position) = u32::try_from(self.gazetteer.cities.len()) else {
                        continue;
                    };
                    self.gazetteer.cities.push(CityRecord {
                        country,
                        state,
                        name: english.to_owned(),
                        wikidata: None,
                        lat,
                        lon,
                        population: 0,
                        source_id: None,
                        duplicate: false,
                    });
                    self.report.cities_added += 1;
                    position
                }
            };
            self.city_names
                .add_folded(folded, position, NameRank::Primary);
            if let Some(native) = native.and_then(|column| field(record, column)) {
                self.city_names.add(native, position, NameRank::Native);
            }
            if let Some(qid) = wikidata
                .and_then(|column| field(record, column))
                .and_then(forms::wikidata_number)
                && let Some(city) = self.gazetteer.cities.get_mut(position as usize)
                && city.wikidata.is_none()
            {
                city.wikidata = Some(qid);
                city.duplicate = duplicated
                    .and_then(|column| field(record, column))
                    .is_some_and(|flag| flag.eq_ignore_ascii_case("true") || flag == "1");
                self.report.wikidata_ids_added += 1;
            }
        }
        Ok(())
    }
}
