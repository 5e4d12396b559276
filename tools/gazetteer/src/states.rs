//! States: the ISO 3166-2 subdivisions of countries-states-cities (names, native names,
//! coordinates) joined with iso-codes (ISO names, nesting, translations). Subdivisions
//! only iso-codes lists are added too.

use std::collections::HashMap;

use anyhow::Result;
use clientela_core::geo::fold;
use clientela_core::geo::gazetteer::{Gazetteer, NameRank, NameTable, StateRecord};
use clientela_core::geo::spelling as names;
use serde::Deserialize;

use super::cldr;
use super::records::{IsoSubdivision, IsoSubdivisions};
use super::{Draft, SourceDirs, iso_translations, position, read_json};

#[derive(Deserialize)]
struct CscState {
    id: u32,
    name: String,
    country_code: String,
    iso3166_2: Option<String>,
    native: Option<String>,
}

pub fn add(draft: &mut Draft, dirs: &SourceDirs) -> Result<()> {
    let iso: IsoSubdivisions = read_json(
        &dirs
            .iso_codes
            .join("usr/share/iso-codes/json/iso_3166-2.json"),
    )?;
    let translations = iso_translations(dirs, "iso_3166-2")?;
    let iso_by_code: HashMap<&str, &IsoSubdivision> = iso
        .subdivisions
        .iter()
        .map(|subdivision| (subdivision.code.as_str(), subdivision))
        .collect();

    let mut csc_states: Vec<CscState> = Vec::new();
    let data = dirs.country_state_city.join("package/dist/data");
    for entry in std::fs::read_dir(&data)? {
        let path = entry?.path().join("states.json");
        if path.exists() {
            csc_states.extend(read_json::<Vec<CscState>>(&path)?);
        }
    }
    csc_states.sort_by_key(|state| state.id);

    for state in &csc_states {
        let Some(code) = state.iso3166_2.as_deref().filter(|code| code.contains('-')) else {
            continue;
        };
        if draft.state_by_code.contains_key(code) {
            continue;
        }
        let Some(country) = draft.country_by_alpha2.get(&state.country_code).copied() else {
            continue;
        };
        let at = position(draft.gazetteer.states.len())?;
        let mut known_as = vec![(state.name.clone(), NameRank::Primary)];
        if let Some(native) = &state.native {
            known_as.push((native.clone(), NameRank::Native));
        }
        if let Some(iso_state) = iso_by_code.get(code) {
            known_as.push((iso_state.name.clone(), NameRank::Primary));
            for (_, translated) in translations.get(&iso_state.name).into_iter().flatten() {
                known_as.push((translated.clone(), NameRank::Alternate));
            }
        }
        add_names(draft, at, known_as);
        draft.state_by_code.insert(code.to_owned(), at);
        // A few states carry their country's name (DK-84 as "Denmark"); the ISO name is
        // then the better one to show.
        let country_name = draft
            .gazetteer
            .countries
            .get(country as usize)
            .map(|record| fold(&record.name));
        let display = match iso_by_code.get(code) {
            Some(iso_state) if country_name == Some(fold(&state.name)) => iso_state.name.clone(),
            _ => state.name.trim().to_owned(),
        };
        draft.gazetteer.states.push(StateRecord {
            country,
            code: code.to_owned(),
            name: display,
            fips: None,
            wikidata: None,
            parent: None,
            source_id: Some(state.id),
        });
    }

    for subdivision in &iso.subdivisions {
        if draft.state_by_code.contains_key(&subdivision.code) {
            continue;
        }
        let Some(country) = subdivision
            .code
            .split_once('-')
            .and_then(|(alpha2, _)| draft.country_by_alpha2.get(alpha2).copied())
        else {
            continue;
        };
        let at = position(draft.gazetteer.states.len())?;
        let mut known_as = vec![(subdivision.name.clone(), NameRank::Primary)];
        for (_, translated) in translations.get(&subdivision.name).into_iter().flatten() {
            known_as.push((translated.clone(), NameRank::Alternate));
        }
        let display = names::spellings(&subdivision.name)
            .into_iter()
            .next()
            .unwrap_or_else(|| subdivision.name.clone());
        add_names(draft, at, known_as);
        draft.state_by_code.insert(subdivision.code.clone(), at);
        draft.gazetteer.states.push(StateRecord {
            country,
            code: subdivision.code.clone(),
            name: display,
            fips: None,
            wikidata: None,
            parent: None,
            source_id: None,
        });
    }

    // Nesting comes from iso-codes ("ES-B" lies in "ES-CT").
    for subdivision in &iso.subdivisions {
        let (Some(parent), Some(country)) = (&subdivision.parent, subdivision.code.split_once('-'))
        else {
            continue;
        };
        // iso-codes writes most parents as the suffix ("CT") and some as the full code
        // ("GB-SCT").
        let parent_code = if parent.contains('-') {
            parent.clone()
        } else {
            format!("{}-{parent}", country.0)
        };
        if let (Some(child), Some(parent)) = (
            draft.state_by_code.get(&subdivision.code).copied(),
            draft.state_by_code.get(&parent_code).copied(),
        ) && child != parent
            && let Some(record) = draft.gazetteer.states.get_mut(child as usize)
        {
            record.parent = Some(parent);
        }
    }
    add_aliases(draft);
    add_cldr_names(draft, dirs)?;
    Ok(())
}

/// Subdivision names from CLDR (`cldr-subdivisions-full`), keyed there by the ISO 3166-2
/// code without its hyphen ("gbsct"), as translations, cross-checked against the other
/// sources: CLDR keys some subdivisions by codes ISO has since given to other units
/// (Lithuania's, Kazakhstan's), so a code's names are only taken where CLDR's English name
/// for it is one the state already has (from iso-codes or countries-states-cities), and a
/// name whose spelling already names another state of the same country is left out.
fn add_cldr_names(draft: &mut Draft, dirs: &SourceDirs) -> Result<()> {
    let by_compact_code: HashMap<String, u32> = draft
        .state_by_code
        .iter()
        .map(|(code, state)| (code.replace('-', "").to_lowercase(), *state))
        .collect();
    let mut known: HashMap<(u32, String), Vec<u32>> = HashMap::new();
    for (key, state, _) in draft.state_names.snapshot() {
        if let Some(record) = draft.gazetteer.states.get(state as usize) {
            known.entry((record.country, key)).or_default().push(state);
        }
    }
    let country_of: Vec<u32> = draft
        .gazetteer
        .states
        .iter()
        .map(|record| record.country)
        .collect();
    let names = cldr::subdivision_names(&dirs.cldr_subdivisions)?;
    let agreed: std::collections::HashSet<&str> = names
        .iter()
        .filter(|name| name.locale == "en")
        .filter(|name| {
            let Some(state) = by_compact_code.get(&name.code).copied() else {
                return false;
            };
            let Some(country) = country_of.get(state as usize).copied() else {
                return false;
            };
            let english = names::without_subdivision_word(&name.name)
                .map_or_else(|| fold(&name.name), |short| fold(&short));
            [fold(&name.name), english].iter().any(|key| {
                known
                    .get(&(country, key.clone()))
                    .is_some_and(|states| states.contains(&state))
            })
        })
        .map(|name| name.code.as_str())
        .collect();
    let (mut added, mut left_out) = (0usize, 0usize);
    for name in &names {
        let Some(state) = by_compact_code.get(&name.code).copied() else {
            continue;
        };
        if !agreed.contains(name.code.as_str()) {
            left_out += 1;
            continue;
        }
        let Some(country) = country_of.get(state as usize).copied() else {
            continue;
        };
        let names_another = known
            .get(&(country, fold(&name.name)))
            .is_some_and(|states| states.iter().any(|other| *other != state));
        if names_another {
            left_out += 1;
            continue;
        }
        add_names(draft, state, vec![(name.name.clone(), NameRank::Alternate)]);
        added += 1;
    }
    eprintln!(
        "cldr-subdivisions: {added} names of known states, {left_out} left out (CLDR's English \
         name for the code is none the state has, or the name is another state's)"
    );
    Ok(())
}

/// The state name table with the spellings that point at two states of one country that
/// do not nest settled where the sources tell them apart: a state's own (English, ISO or
/// native) name beats another state's translation. Prints how many collided and how many
/// stay ambiguous.
pub fn settle_collisions(gazetteer: &Gazetteer) -> NameTable {
    let table = &gazetteer.state_names;
    let nested = |left: u32, right: u32| {
        gazetteer.state_within(left, right) || gazetteer.state_within(right, left)
    };
    let mut dropped: Vec<(String, u32)> = Vec::new();
    let (mut collided, mut ambiguous) = (0usize, 0usize);
    let mut position = 0;
    while position < table.len() {
        let Some((key, _, _)) = table.entry(position) else {
            break;
        };
        let group: Vec<(u32, NameRank)> = (position..table.len())
            .map_while(|at| table.entry(at).filter(|(other, _, _)| *other == key))
            .map(|(_, state, rank)| (state, rank))
            .collect();
        position += group.len();
        let country_of = |state: u32| {
            gazetteer
                .states
                .get(state as usize)
                .map(|record| record.country)
        };
        let mut countries: Vec<u32> = group
            .iter()
            .filter_map(|(state, _)| country_of(*state))
            .collect();
        countries.sort_unstable();
        countries.dedup();
        for country in countries {
            let within_country: Vec<(u32, NameRank)> = group
                .iter()
                .copied()
                .filter(|(state, _)| country_of(*state) == Some(country))
                .collect();
            let clash = within_country.iter().any(|(left, _)| {
                within_country
                    .iter()
                    .any(|(right, _)| !nested(*left, *right))
            });
            if !clash {
                continue;
            }
            collided += 1;
            let own: Vec<u32> = within_country
                .iter()
                .filter(|(_, rank)| *rank < NameRank::Alternate)
                .map(|(state, _)| *state)
                .collect();
            let own_nest = own
                .iter()
                .all(|left| own.iter().all(|right| nested(*left, *right)));
            if own.is_empty() || !own_nest {
                ambiguous += 1;
                continue;
            }
            for (state, rank) in &within_country {
                if *rank == NameRank::Alternate && !own.iter().any(|kept| nested(*kept, *state)) {
                    dropped.push((key.to_owned(), *state));
                }
            }
        }
    }
    eprintln!(
        "state spellings claimed by two states of one country that do not nest: {collided} \
         ({} settled for the state whose own name it is, {ambiguous} left ambiguous)",
        collided - ambiguous
    );
    let dropped: std::collections::HashSet<(String, u32)> = dropped.into_iter().collect();
    table
        .clone()
        .retain(|key, state, _| !dropped.contains(&(key.to_owned(), state)))
}

/// Everyday, abbreviated and former names of states, written here (`tools/gazetteer/data/
/// state-aliases.tsv`): AP-style US abbreviations ("Calif."), "CDMX" and "D.F." for Mexico
/// City, "Orissa" for Odisha. They rank as native names, so a state's own name still wins a
/// shared key.
fn add_aliases(draft: &mut Draft) {
    const ALIASES: &str = include_str!("../data/state-aliases.tsv");
    for line in ALIASES.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((code, aliases)) = line.split_once('\t') else {
            continue;
        };
        let Some(state) = draft.state_by_code.get(code.trim()).copied() else {
            eprintln!("state-aliases.tsv: no state {code}");
            continue;
        };
        for alias in aliases
            .split('\t')
            .map(str::trim)
            .filter(|alias| !alias.is_empty())
        {
            draft.state_names.add(alias, state, NameRank::Native);
        }
    }
}

fn add_names(draft: &mut Draft, at: u32, known_as: Vec<(String, NameRank)>) {
    for (name, rank) in known_as {
        for (index, spelling) in names::spellings(&name).into_iter().enumerate() {
            let rank = if index == 0 {
                rank
            } else {
                rank.max(NameRank::Native)
            };
            if let Some(short) = names::without_subdivision_word(&spelling) {
                draft
                    .state_names
                    .add(&short, at, rank.max(NameRank::Native));
            }
            draft.state_names.add(&spelling, at, rank);
        }
    }
}
