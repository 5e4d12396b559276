//! Finding the candidates a single sent value can mean, before the three fields are weighed
//! against each other in [`resolve`](super::resolve).

use super::fold::fold;
use super::forms;
use super::gazetteer::{Gazetteer, NameRank, NameTable};
use super::index::{Index, Place};
use super::numeric_state_codes::{NumericStateCodes, Reading};
use super::spelling;

pub(super) mod country;

/// A loaded gazetteer and the indexes over it.
#[derive(Debug)]
pub(super) struct Places {
    pub gazetteer: Gazetteer,
    pub index: Index,
}

/// The records a value may mean, with how good a claim each has on it.
#[derive(Debug, Default)]
pub(super) struct Candidates {
    pub found: Vec<(u32, NameRank)>,
    /// A state the value also names when read as a FIPS code instead of an ISO one.
    pub fips_reading: Option<u32>,
    /// A bare number that is the ISO 3166-2 suffix of one state and the FIPS 10-4 code of
    /// another, left unread ([`NumericStateCodes::Ambiguous`]): (ISO reading, FIPS reading).
    pub ambiguous_readings: Option<(u32, u32)>,
    /// Matched only by a close spelling.
    pub approximate: bool,
    /// Found through another spelling of the value rather than the value itself.
    pub loose: bool,
}

impl Candidates {
    fn exact(found: impl IntoIterator<Item = u32>) -> Candidates {
        Candidates {
            found: found
                .into_iter()
                .map(|position| (position, NameRank::Primary))
                .collect(),
            ..Candidates::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// Keeps only the candidates `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(u32) -> bool) {
        self.found.retain(|(position, _)| keep(*position));
    }

    /// Keeps only the candidates of the best rank present.
    pub fn keep_best_rank(&mut self) {
        if let Some(best) = self.found.iter().map(|(_, rank)| *rank).min() {
            self.found.retain(|(_, rank)| *rank == best);
        }
    }

    pub fn positions(&self) -> impl Iterator<Item = u32> + '_ {
        self.found.iter().map(|(position, _)| *position)
    }
}

/// The records `text` names; failing that, the records the first of its other spellings
/// that names any does ("The Republic of Austria" as "Republic of Austria", "Congo,
/// Republic of" as "Republic of Congo", "Provincia de Herāt" as "Herāt"). Spellings are
/// tried in order, from the closest to what was sent, so a loose one never outvotes a close
/// one.
fn names_or_spellings(table: &NameTable, text: &str, subdivision_words: bool) -> Candidates {
    let exact = |key: &str| Candidates {
        found: table.get(&fold(key)).collect(),
        ..Candidates::default()
    };
    let found = exact(text);
    if !found.is_empty() {
        return found;
    }
    for spelling in spelling::spellings(text) {
        let short = subdivision_words
            .then(|| spelling::without_subdivision_word(&spelling))
            .flatten();
        for variant in std::iter::once(spelling).chain(short) {
            let found = exact(&variant);
            if !found.is_empty() {
                return Candidates {
                    loose: true,
                    ..found
                };
            }
        }
    }
    Candidates::default()
}

impl Places {
    pub(super) fn new(gazetteer: Gazetteer) -> Places {
        let index = Index::build(&gazetteer);
        Places { gazetteer, index }
    }

    fn wikidata(&self, number: u32, pick: impl Fn(Place) -> Option<u32>) -> Candidates {
        let places = self.index.wikidata.get(&number);
        Candidates::exact(
            places
                .into_iter()
                .flatten()
                .filter_map(|place| pick(*place)),
        )
    }

    /// What a `state` value may mean, given the country when one was understood.
    pub(super) fn state_candidates(
        &self,
        text: &str,
        country: Option<u32>,
        numeric: NumericStateCodes,
    ) -> Candidates {
        if forms::is_placeholder(text) {
            return Candidates::default();
        }
        if let Some(number) = forms::wikidata_number(text) {
            let found = self.wikidata(number, |place| match place {
                Place::State(position) => Some(position),
                _ => None,
            });
            if found.is_empty() {
                return self.state_of_city_state(number);
            }
            return found;
        }
        if let Some(code) = forms::subdivision_code(text) {
            let found = self.index.state_code.get(&code).copied();
            if found.is_some() {
                return Candidates::exact(found);
            }
        }
        if let Some(country) = country {
            let by_code = self.relative_code_candidates(text, country, numeric);
            if !by_code.is_empty() || by_code.ambiguous_readings.is_some() {
                return by_code;
            }
        }
        let by_name = names_or_spellings(&self.gazetteer.state_names, text, true);
        if !by_name.is_empty() {
            return by_name;
        }
        let by_fips = forms::full_fips(text)
            .and_then(|(fips_country, fips_state)| {
                let country = *self.index.fips_country.get(&fips_country)?;
                self.index.state_fips.get(&(country, fips_state))
            })
            .map(|states| Candidates::exact(states.iter().copied()))
            .unwrap_or_default();
        match country {
            Some(country) if by_fips.is_empty() => self.close_state_spelling(text, country),
            _ => by_fips,
        }
    }

    /// A state of `country` whose name is spelt almost like `text` ("Tavoush" for Tavush,
    /// "Sinope" for Sinop): only within one country, whose few hundred names leave little
    /// room for a near miss to be someone else, only for names that start alike, and only
    /// when one state is clearly closest. Edit distance rather than Jaro-Winkler, which
    /// rewards a shared prefix ("London Borough of ...") far too much, and at most two edits,
    /// so that "Kazakhstan occidental" never becomes "Kazakhstan oriental".
    fn close_state_spelling(&self, text: &str, country: u32) -> Candidates {
        const SIMILAR_ENOUGH: f64 = 0.8;
        const MOST_EDITS: usize = 2;
        const CLEAR_LEAD: f64 = 0.05;
        let wanted: Vec<String> = std::iter::once(fold(text))
            .chain(spelling::without_subdivision_word(text).map(|short| fold(&short)))
            .filter(|key| key.chars().count() >= 5)
            .collect();
        let Some(keys) = self.index.state_keys_by_country.get(&country) else {
            return Candidates::default();
        };
        let scores: Vec<(f64, u32)> = keys
            .iter()
            .map(|(key, state)| {
                let score = wanted
                    .iter()
                    .filter(|wanted| wanted.chars().next() == key.chars().next())
                    .filter(|wanted| strsim::levenshtein(wanted, key) <= MOST_EDITS)
                    .map(|wanted| strsim::normalized_levenshtein(wanted, key))
                    .fold(0.0, f64::max);
                (score, *state)
            })
            .collect();
        let Some((best_score, best_state)) = scores
            .iter()
            .copied()
            .max_by(|left, right| left.0.total_cmp(&right.0))
        else {
            return Candidates::default();
        };
        let runner_up = scores
            .iter()
            .filter(|(_, state)| !self.related_states(*state, best_state))
            .map(|(score, _)| *score)
            .fold(0.0, f64::max);
        if best_score >= SIMILAR_ENOUGH && best_score - runner_up >= CLEAR_LEAD {
            // A region and a district inside it may share the name; both go on, and the
            // region is chosen as for an exact name.
            let tied = scores
                .iter()
                .filter(|(score, state)| {
                    *score == best_score && self.related_states(*state, best_state)
                })
                .map(|(_, state)| *state);
            Candidates {
                approximate: true,
                ..Candidates::exact(tied)
            }
        } else {
            Candidates::default()
        }
    }

    /// A state's WikiData ID that the data puts only on the city the state is named after
    /// and consists of (Reykjavík, a municipality and its city, one WikiData item): the state
    /// the city lies in, when it bears the city's name.
    fn state_of_city_state(&self, number: u32) -> Candidates {
        let places = self.index.wikidata.get(&number).into_iter().flatten();
        let states = places.filter_map(|place| match place {
            Place::City(city) => {
                let record = self.gazetteer.cities.get(*city as usize)?;
                let state = record.state?;
                let name = &self.gazetteer.states.get(state as usize)?.name;
                let named_alike = fold(name) == fold(&record.name)
                    || spelling::without_subdivision_word(name)
                        .is_some_and(|short| fold(&short) == fold(&record.name));
                named_alike.then_some(state)
            }
            _ => None,
        });
        Candidates::exact(states)
    }

    /// The same state, or one inside the other.
    pub(super) fn related_states(&self, left: u32, right: u32) -> bool {
        self.state_within(left, right) || self.state_within(right, left)
    }

    /// A country-relative code: the ISO 3166-2 suffix ("B" for ES-B) or the FIPS 10-4 code
    /// ("56"). Where both readings exist and name two states that do not contain each
    /// other, the numeric-state-code rule decides (`numeric_state_codes.rs`).
    fn relative_code_candidates(
        &self,
        text: &str,
        country: u32,
        numeric: NumericStateCodes,
    ) -> Candidates {
        let Some(code) = forms::relative_code(text) else {
            return Candidates::default();
        };
        let fips: Vec<u32> = forms::fips_relative(&code)
            .and_then(|fips| self.index.state_fips.get(&(country, fips)))
            .cloned()
            .unwrap_or_default();
        let alpha2 = self
            .gazetteer
            .countries
            .get(country as usize)
            .map(|record| record.alpha2.as_str())
            .unwrap_or_default();
        let iso = self
            .index
            .state_code
            .get(&format!("{alpha2}-{code}"))
            .copied();
        let Some(iso) = iso else {
            return Candidates::exact(fips);
        };
        let other_reading = fips.first().copied().filter(|fips_state| {
            !self.state_within(iso, *fips_state) && !self.state_within(*fips_state, iso)
        });
        let Some(fips_state) = other_reading else {
            return Candidates::exact([iso]);
        };
        match numeric.read(&code) {
            Reading::Iso { warn: true } => Candidates {
                fips_reading: Some(fips_state),
                ..Candidates::exact([iso])
            },
            Reading::Iso { warn: false } => Candidates::exact([iso]),
            Reading::Fips => Candidates::exact(fips),
            Reading::Neither => Candidates {
                ambiguous_readings: Some((iso, fips_state)),
                ..Candidates::default()
            },
        }
    }

    /// What a `city` value may mean.
    pub(super) fn city_candidates(&self, text: &str) -> Candidates {
        if forms::is_placeholder(text) {
            return Candidates::default();
        }
        if let Some(number) = forms::wikidata_number(text) {
            return self.wikidata(number, |place| match place {
                Place::City(position) => Some(position),
                _ => None,
            });
        }
        let found = names_or_spellings(&self.gazetteer.city_names, text, false);
        if !found.is_empty() {
            return found;
        }
        for variant in spelling::town_kind_variants(text) {
            let found: Vec<(u32, NameRank)> =
                self.gazetteer.city_names.get(&fold(&variant)).collect();
            if !found.is_empty() {
                return Candidates {
                    found,
                    loose: true,
                    ..Candidates::default()
                };
            }
        }
        Candidates::default()
    }

    /// Whether `state` is `ancestor` or lies inside it.
    pub(super) fn state_within(&self, state: u32, ancestor: u32) -> bool {
        self.gazetteer.state_within(state, ancestor)
    }

    pub(super) fn state_country(&self, state: u32) -> Option<u32> {
        self.gazetteer
            .states
            .get(state as usize)
            .map(|record| record.country)
    }

    pub(super) fn city_country(&self, city: u32) -> Option<u32> {
        self.gazetteer
            .cities
            .get(city as usize)
            .map(|record| record.country)
    }

    pub(super) fn city_state(&self, city: u32) -> Option<u32> {
        self.gazetteer
            .cities
            .get(city as usize)
            .and_then(|record| record.state)
    }

    pub(super) fn city_population(&self, city: u32) -> u32 {
        self.gazetteer
            .cities
            .get(city as usize)
            .map_or(0, |record| record.population)
    }
}
