//! Weighing country, state and city against each other: narrowing each by the others,
//! choosing among what is left, inferring what was not sent, and saying what was guessed or
//! contradicted.

use super::fold::fold;
use super::forms;
use super::gazetteer::{NameRank, SAME_PLACE_DEGREES};
use super::index::Place;
use super::location::{GeoField, GeoInput, GeoWarning, Location, Resolution, WarningKind};
use super::lookup::{Candidates, Places};
use super::numeric_state_codes::{self, NumericStateCodes};
use super::spelling;

mod country;
mod describe;
mod disputed;

/// A name shared by places in several countries is only resolved without a country when the
/// most populous one is at least this many times bigger than the next: "Paris" alone is
/// Paris, France; "Springfield" alone is nothing.
const DOMINANT_POPULATION_FACTOR: u64 = 5;

impl Places {
    pub(super) fn resolve(&self, input: &GeoInput<'_>, numeric: NumericStateCodes) -> Resolution {
        let mut warnings = Vec::new();

        let country = input
            .country
            .and_then(|text| self.choose_country(text, &mut warnings));

        let mut state_candidates = input.state.map(|text| {
            let mut candidates = self.state_candidates(text, country, numeric);
            self.narrow_states_to_country(text, country, &mut candidates, &mut warnings);
            candidates
        });

        let city = input.city.and_then(|text| {
            self.choose_city(text, country, state_candidates.as_ref(), &mut warnings)
        });

        // A city settles which of several same-named states was meant.
        if let (Some(city), Some(candidates)) = (city, state_candidates.as_mut())
            && self.city_state(city).is_some()
        {
            candidates.retain(|state| self.city_lies_in(city, state));
        }
        let mut state = match (input.state, state_candidates) {
            (Some(text), Some(candidates)) => {
                self.choose_state(text, country, candidates, &mut warnings)
            }
            _ => None,
        };

        if state.is_none() && input.state.is_none() {
            state = city
                .and_then(|city| self.city_state(city))
                .or_else(|| self.state_named_by_city_id(input.city, country));
            warnings.extend(city.and_then(|city| self.disputed_state_warning(city)));
        }
        let mut country = country;
        if country.is_none() && input.country.is_none() {
            country = state
                .and_then(|state| self.state_country(state))
                .or_else(|| city.and_then(|city| self.city_country(city)));
        }

        Resolution {
            location: Location {
                country: country.and_then(|position| self.country_ref(position)),
                state: state.and_then(|position| self.state_ref(position)),
                city: city.and_then(|position| self.city_ref(position)),
                status: Default::default(),
            },
            warnings,
        }
    }

    /// Drops states outside the given country; when that leaves none although some matched,
    /// the state contradicts the country.
    fn narrow_states_to_country(
        &self,
        text: &str,
        country: Option<u32>,
        candidates: &mut Candidates,
        warnings: &mut Vec<GeoWarning>,
    ) {
        let Some(country) = country else { return };
        let elsewhere: Option<u32> = candidates.positions().next();
        candidates.retain(|state| self.state_country(state) == Some(country));
        if candidates.is_empty()
            && let Some(elsewhere) = elsewhere
        {
            warnings.push(GeoWarning {
                field: GeoField::State,
                kind: WarningKind::Contradiction,
                message: format!(
                    "`{text}` is {} in {}, not in {}; kept as sent",
                    self.state_label(elsewhere),
                    self.state_country(elsewhere)
                        .map_or("another country", |other| self.country_name(other)),
                    self.country_name(country),
                ),
            });
        }
    }

    fn choose_state(
        &self,
        text: &str,
        country: Option<u32>,
        mut candidates: Candidates,
        warnings: &mut Vec<GeoWarning>,
    ) -> Option<u32> {
        if let Some((iso, fips)) = candidates.ambiguous_readings {
            warnings.push(numeric_state_codes::left_unread(
                text,
                &self.state_label(iso),
                &self.state_label(fips),
            ));
            return None;
        }
        if candidates.is_empty() {
            if !warnings
                .iter()
                .any(|warning| warning.field == GeoField::State)
            {
                warnings.push(self.unresolved(GeoField::State, text));
            }
            return None;
        }
        // Never a choice between states of two countries: with no country sent (or none
        // understood), a name that several countries' states carry, by any rank, is left
        // unresolved.
        if country.is_none() {
            let mut countries: Vec<u32> = candidates
                .positions()
                .filter_map(|state| self.state_country(state))
                .collect();
            countries.sort_unstable();
            countries.dedup();
            if countries.len() > 1 {
                let mut states: Vec<u32> = candidates.positions().collect();
                states.sort_unstable();
                states.dedup();
                let labels: Vec<String> = states
                    .iter()
                    .take(4)
                    .map(|state| {
                        let country = self
                            .state_country(*state)
                            .map_or("?", |country| self.country_name(country));
                        format!("{} in {country}", self.state_label(*state))
                    })
                    .collect();
                warnings.push(GeoWarning {
                    field: GeoField::State,
                    kind: WarningKind::Ambiguous,
                    message: format!(
                        "`{text}` matches states in {} countries ({}); send the country or \
                         the ISO 3166-2 code; kept as sent",
                        countries.len(),
                        labels.join("; ")
                    ),
                });
                return None;
            }
        }
        candidates.keep_best_rank();
        let mut positions: Vec<u32> = candidates.positions().collect();
        positions.sort_unstable();
        positions.dedup();
        // A value read loosely (without the words for the kind of state it named) that fits
        // several states has lost what told them apart.
        if candidates.loose && positions.len() > 1 {
            warnings.push(GeoWarning {
                field: GeoField::State,
                kind: WarningKind::Ambiguous,
                message: format!(
                    "`{text}` matches {} states once read without its kind of subdivision; \
                     send the ISO 3166-2 code; kept as sent",
                    positions.len()
                ),
            });
            return None;
        }
        // A region and one of its own provinces sharing a name or code are one answer: the
        // region, which the other lies in.
        let outermost: Vec<u32> = positions
            .iter()
            .copied()
            .filter(|state| {
                !positions
                    .iter()
                    .any(|other| other != state && self.state_within(*state, *other))
            })
            .collect();
        match outermost.as_slice() {
            [only] => {
                if positions.len() > 1 {
                    let inner: Vec<String> = positions
                        .iter()
                        .filter(|state| *state != only)
                        .take(3)
                        .map(|state| self.state_label(*state))
                        .collect();
                    warnings.push(GeoWarning {
                        field: GeoField::State,
                        kind: WarningKind::Ambiguous,
                        message: format!(
                            "`{text}` also names {}, which lies in {}; chose the enclosing one",
                            inner.join(", "),
                            self.state_label(*only)
                        ),
                    });
                }
                if candidates.approximate {
                    warnings.push(GeoWarning {
                        field: GeoField::State,
                        kind: WarningKind::Approximate,
                        message: format!(
                            "`{text}` is not a known state name; read as {}, the closest \
                             spelling in the country",
                            self.state_label(*only)
                        ),
                    });
                }
                if let Some(fips_state) = candidates.fips_reading {
                    warnings.push(numeric_state_codes::read_as_iso(
                        text,
                        &self.state_label(*only),
                        &self.state_label(fips_state),
                    ));
                }
                Some(*only)
            }
            [] => None,
            several => {
                let labels: Vec<String> = several
                    .iter()
                    .take(4)
                    .map(|state| self.state_label(*state))
                    .collect();
                let scope = if country.is_some() {
                    "send its ISO 3166-2 code"
                } else {
                    "send the country or the ISO 3166-2 code"
                };
                warnings.push(GeoWarning {
                    field: GeoField::State,
                    kind: WarningKind::Ambiguous,
                    message: format!(
                        "`{text}` matches {} states ({}); {scope}; kept as sent",
                        several.len(),
                        labels.join(", ")
                    ),
                });
                None
            }
        }
    }

    fn choose_city(
        &self,
        text: &str,
        country: Option<u32>,
        states: Option<&Candidates>,
        warnings: &mut Vec<GeoWarning>,
    ) -> Option<u32> {
        let mut candidates = self.city_candidates(text);
        if candidates.is_empty() {
            candidates = self.city_of_city_state(text);
        }
        if candidates.is_empty() {
            warnings.push(self.unresolved(GeoField::City, text));
            return None;
        }
        let anywhere = candidates.positions().next();
        if let Some(country) = country {
            candidates.retain(|city| self.city_country(city) == Some(country));
        }
        // The closest match to what was sent, for the warning: in the country, if any is.
        let nearest = candidates.positions().next().or(anywhere);
        if let Some(states) = states.filter(|states| !states.is_empty()) {
            // Places nest: a city recorded in a county is also in that county's region, and
            // one recorded only in its region does not contradict a province of it.
            candidates.retain(|city| match self.city_state(city) {
                Some(_) => states
                    .positions()
                    .any(|state| self.city_lies_in(city, state)),
                // A city the sources could not place in a state does not contradict one.
                None => true,
            });
            // ...but one known to lie in the state sent is the better answer.
            let placed = candidates
                .positions()
                .any(|city| self.city_state(city).is_some());
            if placed {
                candidates.retain(|city| self.city_state(city).is_some());
            }
        }
        if candidates.is_empty() {
            if let Some(elsewhere) = nearest {
                warnings.push(GeoWarning {
                    field: GeoField::City,
                    kind: WarningKind::Contradiction,
                    message: format!(
                        "`{text}` is {}, not in the {} sent; kept as sent",
                        self.city_label(elsewhere),
                        if states.is_some_and(|states| !states.is_empty()) {
                            "state"
                        } else {
                            "country"
                        }
                    ),
                });
            }
            return None;
        }
        if forms::wikidata_number(text).is_some() {
            return self.choose_by_wikidata(&candidates);
        }
        candidates.keep_best_rank();
        self.choose_among_cities(text, country, &candidates, warnings)
    }

    /// Records sharing a WikiData ID are one item listed twice by the data, not a choice to
    /// warn about: the one the source does not mark as a copy, then the most populous.
    fn choose_by_wikidata(&self, candidates: &Candidates) -> Option<u32> {
        candidates.positions().min_by_key(|city| {
            let record = self.gazetteer.cities.get(*city as usize);
            (
                record.is_some_and(|record| record.duplicate),
                std::cmp::Reverse(record.map_or(0, |record| record.population)),
                *city,
            )
        })
    }

    /// A city's WikiData ID that the data puts only on the first-level division the city
    /// is (Tokyo, Kyiv: the city and the prefecture or city with special status are one
    /// WikiData item): the city of that division's own name inside it.
    fn city_of_city_state(&self, text: &str) -> Candidates {
        let Some(number) = forms::wikidata_number(text) else {
            return Candidates::default();
        };
        let states = self.index.wikidata.get(&number).into_iter().flatten();
        let found = states
            .filter_map(|place| match place {
                Place::State(state) => Some(*state),
                _ => None,
            })
            .flat_map(|state| {
                let name = self
                    .gazetteer
                    .states
                    .get(state as usize)
                    .map_or("", |record| record.name.as_str());
                let keys = std::iter::once(fold(name))
                    .chain(spelling::without_subdivision_word(name).map(|short| fold(&short)));
                keys.flat_map(|key| {
                    self.gazetteer
                        .city_names
                        .get(&key)
                        .map(|(city, _)| city)
                        .collect::<Vec<_>>()
                })
                .filter(move |city| self.city_state(*city) == Some(state))
                .collect::<Vec<_>>()
            });
        Candidates {
            found: found.map(|city| (city, NameRank::Primary)).collect(),
            ..Candidates::default()
        }
    }

    /// The field decides the kind: an ID in `city` names a city when any city has it. One
    /// that only a state has (a city-state, or data that puts a city's ID on its province)
    /// can still say which state was meant when none was sent; the city stays unresolved.
    fn state_named_by_city_id(&self, city: Option<&str>, country: Option<u32>) -> Option<u32> {
        let number = forms::wikidata_number(city?)?;
        self.index
            .wikidata
            .get(&number)?
            .find_map(|place| match place {
                Place::State(state)
                    if country
                        .is_none_or(|country| self.state_country(*state) == Some(country)) =>
                {
                    Some(*state)
                }
                _ => None,
            })
    }

    fn choose_among_cities(
        &self,
        text: &str,
        country: Option<u32>,
        candidates: &Candidates,
        warnings: &mut Vec<GeoWarning>,
    ) -> Option<u32> {
        let mut positions: Vec<u32> = candidates.positions().collect();
        positions.sort_by_key(|city| (std::cmp::Reverse(self.city_population(*city)), *city));
        positions.dedup();
        let chosen = *positions.first()?;
        let distinct: Vec<u32> = positions
            .iter()
            .copied()
            .filter(|other| *other == chosen || !self.same_place(chosen, *other))
            .collect();
        let Some(runner_up) = distinct.get(1).copied() else {
            return Some(chosen);
        };
        let chosen_population = u64::from(self.city_population(chosen));
        let runner_up_population = u64::from(self.city_population(runner_up));
        let clear_lead = chosen_population > runner_up_population;
        let dominant = chosen_population >= runner_up_population * DOMINANT_POPULATION_FACTOR;
        let spans_countries = distinct
            .iter()
            .any(|city| self.city_country(*city) != self.city_country(chosen));
        if !clear_lead || (country.is_none() && spans_countries && !dominant) {
            let labels: Vec<String> = distinct
                .iter()
                .take(4)
                .map(|city| self.city_label(*city))
                .collect();
            warnings.push(GeoWarning {
                field: GeoField::City,
                kind: WarningKind::Ambiguous,
                message: format!(
                    "`{text}` matches {} places ({}); send the country or state; kept as sent",
                    distinct.len(),
                    labels.join("; ")
                ),
            });
            return None;
        }
        warnings.push(GeoWarning {
            field: GeoField::City,
            kind: WarningKind::Ambiguous,
            message: format!(
                "`{text}` matches {} places; chose {}, the most populous",
                distinct.len(),
                self.city_label(chosen)
            ),
        });
        Some(chosen)
    }

    fn same_place(&self, left: u32, right: u32) -> bool {
        let cities = &self.gazetteer.cities;
        match (cities.get(left as usize), cities.get(right as usize)) {
            (Some(left), Some(right)) => {
                left.country == right.country
                    && (left.lat - right.lat).abs() < SAME_PLACE_DEGREES
                    && (left.lon - right.lon).abs() < SAME_PLACE_DEGREES
            }
            _ => false,
        }
    }
}
