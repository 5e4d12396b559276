//! Cities the sources place in different states. Each city record carries the state of
//! countries-states-cities (the npm release); its older release (the django fixtures) and
//! GeoNames (the first-level division of the matching GeoNames city) may say otherwise.
//! Two states are the same claim when one lies in the other, when they share a WikiData ID
//! or a name (the same unit under an old and a new ISO code). Where the claims differ, the
//! state most of the city's nearest places lie in is taken (the state its coordinates fall
//! in, as far as a gazetteer without boundaries can tell); failing that, the state two of
//! the three sources give; failing that, the newest source's. The other state is kept
//! beside the record, so that either is accepted when sent and the answer warns when it
//! shows one the sources disagree on. A city no source but GeoNames or the older release
//! places is given the state they agree on.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result};
use clientela_core::geo::gazetteer::{DisputeBasis, DisputedState, Gazetteer};

use super::SourceDirs;
use super::fixtures::FIXTURES;

/// How many of a city's nearest places (with a state, in its country) are asked.
const NEIGHBOURS: usize = 8;
/// How many of them must lie in one of the claimed states for it to be taken.
const NEIGHBOURS_AGREEING: usize = 6;
/// The side of a grid cell, in degrees, for finding neighbours.
const CELL_DEGREES: f32 = 0.25;

/// What [`settle`] did, for the build log.
#[derive(Debug, Default)]
pub struct Report {
    pub disputed: usize,
    pub by_neighbours: usize,
    pub by_majority: usize,
    pub placed: usize,
}

/// Compares each city's state with the other sources' and records the disagreements.
/// `geonames_state` is the state GeoNames places each matched city in.
pub fn settle(
    gazetteer: &mut Gazetteer,
    geonames_state: &HashMap<u32, u32>,
    dirs: &SourceDirs,
) -> Result<Report> {
    let older = older_release_states(gazetteer, dirs)?;
    let recoded = recoded_units(gazetteer, &older);
    let same = SameState::new(gazetteer, recoded);
    let grid = Grid::new(gazetteer);
    let mut report = Report::default();
    let mut decisions: Vec<(u32, u32, Option<DisputedState>)> = Vec::new();
    for (city, record) in (0u32..).zip(&gazetteer.cities) {
        let others: Vec<u32> = [
            record.source_id.and_then(|id| older.get(&id).copied()),
            geonames_state.get(&city).copied(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let Some(own) = record.state else {
            // Placed by the other sources alone, when they agree.
            if let Some(first) = others.first()
                && others.iter().all(|other| same.is(*first, *other))
            {
                decisions.push((city, *first, None));
                report.placed += 1;
            }
            continue;
        };
        let mut claims = vec![own];
        for other in &others {
            let known = claims
                .iter()
                .any(|claim| same.is(*claim, *other) || same.may_nest(*claim, *other));
            if !known {
                claims.push(*other);
            }
        }
        if claims.len() < 2 {
            continue;
        }
        let neighbour_states = grid.nearest_states(gazetteer, city);
        let votes: Vec<usize> = claims
            .iter()
            .map(|claim| {
                let supporters = std::iter::once(own).chain(others.iter().copied());
                supporters.filter(|state| same.is(*claim, *state)).count()
            })
            .collect();
        let (chosen, basis) = decide(&claims, &votes, &neighbour_states, |left, right| {
            same.is(left, right)
        });
        let other = claims
            .iter()
            .copied()
            .find(|claim| !same.is(*claim, chosen))
            .unwrap_or(own);
        match basis {
            DisputeBasis::Neighbours => report.by_neighbours += 1,
            DisputeBasis::Majority => report.by_majority += 1,
            DisputeBasis::Newest => {}
        }
        report.disputed += 1;
        decisions.push((city, chosen, Some(DisputedState { city, other, basis })));
    }
    for (city, state, disputed) in decisions {
        if let Some(record) = gazetteer.cities.get_mut(city as usize) {
            record.state = Some(state);
        }
        gazetteer.disputed_states.extend(disputed);
    }
    gazetteer
        .disputed_states
        .sort_by_key(|disputed| disputed.city);
    Ok(report)
}

/// The state to keep among `claims` (the record's own first), given how many sources
/// give each (`votes`) and the states of the city's nearest places: the claim most
/// neighbours lie in when enough do and no other claim has as many; else the claim most
/// sources give when it has a strict majority; else the record's own.
fn decide(
    claims: &[u32],
    votes: &[usize],
    neighbour_states: &[u32],
    same: impl Fn(u32, u32) -> bool,
) -> (u32, DisputeBasis) {
    let own = claims.first().copied().unwrap_or_default();
    let around: Vec<usize> = claims
        .iter()
        .map(|claim| {
            neighbour_states
                .iter()
                .filter(|state| same(*claim, **state))
                .count()
        })
        .collect();
    if let Some(best) = around.iter().copied().max()
        && best >= NEIGHBOURS_AGREEING
        && around.iter().filter(|count| **count == best).count() == 1
        && let Some(at) = around.iter().position(|count| *count == best)
    {
        return (
            claims.get(at).copied().unwrap_or(own),
            DisputeBasis::Neighbours,
        );
    }
    let total: usize = votes.iter().sum();
    if let Some(at) = votes.iter().position(|count| count * 2 > total)
        && at != 0
    {
        return (
            claims.get(at).copied().unwrap_or(own),
            DisputeBasis::Majority,
        );
    }
    (own, DisputeBasis::Newest)
}

/// The state each city row of the older countries-states-cities release (the django
/// fixtures) gives, by the database's row id.
fn older_release_states(gazetteer: &Gazetteer, dirs: &SourceDirs) -> Result<HashMap<u32, u32>> {
    let by_code: HashMap<&str, u32> = (0u32..)
        .zip(&gazetteer.states)
        .map(|(position, state)| (state.code.as_str(), position))
        .collect();
    let path = dirs.csc_fixtures.join(FIXTURES).join("csc_cities.csv");
    let mut reader =
        csv::Reader::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| headers.iter().position(|header| header == name);
    let (Some(id), Some(country), Some(state)) =
        (column("id"), column("country_code"), column("state_code"))
    else {
        return Ok(HashMap::new());
    };
    let mut states = HashMap::new();
    for record in reader.records() {
        let record = record?;
        let (Some(row), Some(country), Some(code)) = (
            record
                .get(id)
                .and_then(|value| value.trim().parse::<u32>().ok()),
            record.get(country),
            record.get(state),
        ) else {
            continue;
        };
        if let Some(position) = by_code.get(format!("{}-{}", country.trim(), code.trim()).as_str())
        {
            states.insert(row, *position);
        }
    }
    Ok(states)
}

/// Pairs of states (the npm release's, the older release's) where at least 90% of the towns
/// one of them holds are in the other: one unit under an old and a new code (Poland's
/// voivodeships, North Macedonia's municipalities), or old units merged into a new one
/// (Norway's counties), not a disagreement about where a town is.
fn recoded_units(gazetteer: &Gazetteer, older: &HashMap<u32, u32>) -> HashSet<(u32, u32)> {
    const LEAST_TOWNS: u32 = 1;
    let mut pairs: HashMap<(u32, u32), u32> = HashMap::new();
    let mut own_towns: HashMap<u32, u32> = HashMap::new();
    let mut older_towns: HashMap<u32, u32> = HashMap::new();
    for record in &gazetteer.cities {
        let (Some(own), Some(other)) = (
            record.state,
            record.source_id.and_then(|id| older.get(&id).copied()),
        ) else {
            continue;
        };
        *pairs.entry((own, other)).or_default() += 1;
        *own_towns.entry(own).or_default() += 1;
        *older_towns.entry(other).or_default() += 1;
    }
    let mut recoded = HashSet::new();
    for ((own, other), count) in pairs {
        let within = |total: Option<&u32>| total.is_some_and(|total| count * 10 >= total * 9);
        if own != other
            && count >= LEAST_TOWNS
            && (within(own_towns.get(&own)) || within(older_towns.get(&other)))
        {
            recoded.insert((own, other));
            recoded.insert((other, own));
        }
    }
    recoded
}

/// Whether two states are one claim: the same, one inside the other, or one unit under two
/// codes (a shared WikiData ID or name, or the towns of one lie in the other).
struct SameState<'a> {
    gazetteer: &'a Gazetteer,
    names: HashMap<u32, HashSet<&'a str>>,
    /// States other states lie in.
    regions: HashSet<u32>,
    /// See [`recoded_units`].
    recoded: HashSet<(u32, u32)>,
}

impl<'a> SameState<'a> {
    fn new(gazetteer: &'a Gazetteer, recoded: HashSet<(u32, u32)>) -> SameState<'a> {
        let mut names: HashMap<u32, HashSet<&str>> = HashMap::new();
        for (key, state, _) in gazetteer.state_names.iter() {
            names.entry(state).or_default().insert(key);
        }
        let regions = gazetteer
            .states
            .iter()
            .filter_map(|record| record.parent)
            .collect();
        SameState {
            gazetteer,
            names,
            regions,
            recoded,
        }
    }

    /// Whether one is a region and the other a unit of its country the sources place in no
    /// region (Paris under its newer ISO code, FR-75C, and Île-de-France): nothing says the
    /// unit is not in the region, so the two do not contradict each other.
    fn may_nest(&self, left: u32, right: u32) -> bool {
        let unplaced_in = |unit: u32, region: u32| {
            self.regions.contains(&region)
                && !self.regions.contains(&unit)
                && self
                    .gazetteer
                    .states
                    .get(unit as usize)
                    .zip(self.gazetteer.states.get(region as usize))
                    .is_some_and(|(unit, region)| {
                        unit.parent.is_none() && unit.country == region.country
                    })
        };
        unplaced_in(left, right) || unplaced_in(right, left)
    }

    fn is(&self, left: u32, right: u32) -> bool {
        if left == right
            || self.gazetteer.state_within(left, right)
            || self.gazetteer.state_within(right, left)
            || self.recoded.contains(&(left, right))
        {
            return true;
        }
        let (Some(one), Some(another)) = (
            self.gazetteer.states.get(left as usize),
            self.gazetteer.states.get(right as usize),
        ) else {
            return false;
        };
        if one.country != another.country {
            return false;
        }
        if one.wikidata.is_some() && one.wikidata == another.wikidata {
            return true;
        }
        match (self.names.get(&left), self.names.get(&right)) {
            (Some(one), Some(another)) => !one.is_disjoint(another),
            _ => false,
        }
    }
}

/// Cities with a state, by country and grid cell.
struct Grid {
    cells: HashMap<(u32, i32, i32), Vec<u32>>,
}

fn cell(degrees: f32) -> i32 {
    // Coordinates are within ±180°, so the cell number fits.
    #[allow(clippy::cast_possible_truncation, reason = "within ±720 cells")]
    let cell = (degrees / CELL_DEGREES).floor() as i32;
    cell
}

impl Grid {
    fn new(gazetteer: &Gazetteer) -> Grid {
        let mut cells: HashMap<(u32, i32, i32), Vec<u32>> = HashMap::new();
        for (city, record) in (0u32..).zip(&gazetteer.cities) {
            if record.state.is_some() {
                cells
                    .entry((record.country, cell(record.lat), cell(record.lon)))
                    .or_default()
                    .push(city);
            }
        }
        Grid { cells }
    }

    /// The states of the [`NEIGHBOURS`] places nearest to `city` in its country (itself
    /// and places at its very point left out), looking up to two cells away.
    fn nearest_states(&self, gazetteer: &Gazetteer, city: u32) -> Vec<u32> {
        let Some(record) = gazetteer.cities.get(city as usize) else {
            return Vec::new();
        };
        let (row, column) = (cell(record.lat), cell(record.lon));
        let mut found: Vec<(f32, u32)> = Vec::new();
        for reach in 1..=2 {
            found.clear();
            for lat in row - reach..=row + reach {
                for lon in column - reach..=column + reach {
                    let Some(cities) = self.cells.get(&(record.country, lat, lon)) else {
                        continue;
                    };
                    for other in cities {
                        let Some(neighbour) = gazetteer.cities.get(*other as usize) else {
                            continue;
                        };
                        let distance = (neighbour.lat - record.lat).powi(2)
                            + (neighbour.lon - record.lon).powi(2);
                        if *other != city && distance > 0.0 {
                            found.push((distance, *other));
                        }
                    }
                }
            }
            if found.len() >= NEIGHBOURS {
                break;
            }
        }
        found.sort_by(|left, right| left.0.total_cmp(&right.0).then(left.1.cmp(&right.1)));
        found
            .iter()
            .take(NEIGHBOURS)
            .filter_map(|(_, other)| gazetteer.cities.get(*other as usize)?.state)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identical(left: u32, right: u32) -> bool {
        left == right
    }

    #[test]
    fn the_state_most_nearby_places_lie_in_wins() {
        let (chosen, basis) = decide(&[1, 2], &[1, 1], &[2, 2, 2, 2, 2, 2, 1, 1], identical);
        assert_eq!((chosen, basis), (2, DisputeBasis::Neighbours));
    }

    #[test]
    fn without_clear_neighbours_two_sources_outvote_one() {
        let (chosen, basis) = decide(&[1, 2], &[1, 2], &[2, 2, 2, 1, 1, 1, 3, 3], identical);
        assert_eq!((chosen, basis), (2, DisputeBasis::Majority));
    }

    #[test]
    fn a_unit_whose_towns_all_lie_in_another_is_that_unit_under_another_code() {
        use clientela_core::geo::gazetteer::{CityRecord, StateRecord};
        let state = |code: &str| StateRecord {
            country: 0,
            code: code.to_owned(),
            name: code.to_owned(),
            fips: None,
            wikidata: None,
            parent: None,
            source_id: None,
        };
        let town = |id: u32, state: u32| CityRecord {
            country: 0,
            state: Some(state),
            name: format!("town {id}"),
            wikidata: None,
            lat: 0.0,
            lon: 0.0,
            population: 0,
            source_id: Some(id),
            duplicate: false,
        };
        // PL-14 (0) is PL-MZ (1) in the older release for all its towns; one town of
        // PL-12 (2) is filed under PL-MZ there, which is a disagreement, not a recoding.
        let gazetteer = Gazetteer {
            states: vec![
                state("PL-14"),
                state("PL-MZ"),
                state("PL-12"),
                state("PL-MA"),
            ],
            cities: vec![
                town(1, 0),
                town(2, 0),
                town(3, 0),
                town(4, 2),
                town(5, 2),
                town(6, 2),
            ],
            ..Gazetteer::default()
        };
        let older: HashMap<u32, u32> = [(1, 1), (2, 1), (3, 1), (4, 1), (5, 3), (6, 3)].into();
        let recoded = recoded_units(&gazetteer, &older);
        assert!(recoded.contains(&(0, 1)) && recoded.contains(&(1, 0)));
        assert!(
            recoded.contains(&(2, 3)),
            "two of three towns are not 90%, but PL-MA's are"
        );
        assert!(!recoded.contains(&(2, 1)));
    }

    #[test]
    fn without_neighbours_or_majority_the_newest_source_stays() {
        let (chosen, basis) = decide(&[1, 2, 3], &[1, 1, 1], &[], identical);
        assert_eq!((chosen, basis), (1, DisputeBasis::Newest));
    }
}
