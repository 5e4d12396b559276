//! Finding the candidates a single sent value can mean, before the three fields are weighed
//! against each other in [`resolve`](super::resolve).

use super::fold;
use super::forms;
use super::gazetteer::{Gazetteer, NameRank};
use super::index::{Index, Place};

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
}

impl Candidates {
    fn exact(found: impl IntoIterator<Item = u32>) -> Candidates {
        Candidates {
            found: found
                .into_iter()
                .map(|position| (position, NameRank::Primary))
                .collect(),
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

    /// What a `country` value may mean.
    pub(super) fn country_candidates(&self, text: &str) -> Candidates {
        if forms::is_placeholder(text) {
            return Candidates::default();
        }
        if let Some(number) = forms::wikidata_number(text) {
            return self.wikidata(number, |place| match place {
                Place::Country(position) => Some(position),
                _ => None,
            });
        }
        if let Some(numeric) = forms::numeric_code(text) {
            return Candidates::exact(self.index.numeric.get(&numeric).copied());
        }
        let code = forms::letter_code(text, 2).or_else(|| forms::letter_code(text, 3));
        if let Some(code) = code {
            let by_code = self
                .index
                .alpha2
                .get(&code)
                .or(self.index.alpha3.get(&code));
            if let Some(position) = by_code {
                return Candidates::exact([*position]);
            }
        }
        let key = fold(text);
        Candidates {
            found: self.gazetteer.country_names.get(&key).collect(),
        }
    }

    /// What a `state` value may mean, given the country when one was understood.
    pub(super) fn state_candidates(&self, text: &str, country: Option<u32>) -> Candidates {
        if forms::is_placeholder(text) {
            return Candidates::default();
        }
        if let Some(number) = forms::wikidata_number(text) {
            return self.wikidata(number, |place| match place {
                Place::State(position) => Some(position),
                _ => None,
            });
        }
        if let Some(code) = forms::subdivision_code(text) {
            let found = self.index.state_code.get(&code).copied();
            if found.is_some() {
                return Candidates::exact(found);
            }
        }
        if let Some(country) = country {
            let by_code = self.relative_code_candidates(text, country);
            if !by_code.is_empty() {
                return by_code;
            }
        }
        let key = fold(text);
        let by_name = Candidates {
            found: self.gazetteer.state_names.get(&key).collect(),
        };
        if !by_name.is_empty() {
            return by_name;
        }
        forms::full_fips(text)
            .and_then(|(fips_country, fips_state)| {
                let country = *self.index.fips_country.get(&fips_country)?;
                self.index.state_fips.get(&(country, fips_state))
            })
            .map(|states| Candidates::exact(states.iter().copied()))
            .unwrap_or_default()
    }

    /// A country-relative code: the ISO 3166-2 suffix ("B" for ES-B) or the FIPS 10-4 code
    /// ("56"). Where the two readings name different states, FIPS wins, since a bare number is
    /// the FIPS form the contract documents; the ISO reading is then dropped.
    fn relative_code_candidates(&self, text: &str, country: u32) -> Candidates {
        let Some(code) = forms::relative_code(text) else {
            return Candidates::default();
        };
        let fips = forms::fips_relative(&code)
            .and_then(|fips| self.index.state_fips.get(&(country, fips)));
        if let Some(states) = fips {
            return Candidates::exact(states.iter().copied());
        }
        let alpha2 = self
            .gazetteer
            .countries
            .get(country as usize)
            .map(|record| record.alpha2.as_str())
            .unwrap_or_default();
        Candidates::exact(
            self.index
                .state_code
                .get(&format!("{alpha2}-{code}"))
                .copied(),
        )
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
        Candidates {
            found: self.gazetteer.city_names.get(&fold(text)).collect(),
        }
    }

    /// Whether `state` is `ancestor` or lies inside it.
    pub(super) fn state_within(&self, state: u32, ancestor: u32) -> bool {
        let mut current = Some(state);
        for _ in 0..4 {
            match current {
                Some(position) if position == ancestor => return true,
                Some(position) => {
                    current = self
                        .gazetteer
                        .states
                        .get(position as usize)
                        .and_then(|record| record.parent);
                }
                None => return false,
            }
        }
        false
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

    pub(super) fn country_population(&self, country: u32) -> u64 {
        self.gazetteer
            .countries
            .get(country as usize)
            .map_or(0, |record| record.population)
    }
}
