//! What a `country` value may mean: codes, names in every language the gazetteer has,
//! qualifiers that choose between look-alikes, regions that are no country, and close
//! misspellings.
//!
//! The order goes from the reading closest to what was sent to the loosest, and the first
//! that names anything decides: the value as written; its rearrangements ("Korea, South");
//! its qualifiers ("Congo (Brazzaville)"); the value without words for the kind of country
//! ("Republik Österreich"); a near miss ("Nouvel Zeland"). Every word sent must be accounted
//! for: a qualifier or a dropped word that none of the candidate's names contain makes the
//! reading fail rather than be ignored. Choosing between the countries a reading names is
//! not done here: [`choose_country`](super::super::resolve) refuses to.

use std::collections::BTreeSet;

use crate::geo::fold::fold;
use crate::geo::forms;
use crate::geo::gazetteer::{DoubtBasis, NameRank};
use crate::geo::index::Place;
use crate::geo::qualifiers::{self, Parts};
use crate::geo::spelling;

use super::Places;

/// What a `country` value was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::geo) enum CountryReading {
    /// One country, read as written or by one of its spellings.
    Found(u32),
    /// One country, by a spelling the gazetteer has doubts about: what else it could mean.
    Doubted {
        country: u32,
        doubts: Vec<DoubtBasis>,
    },
    /// One country, read from a close misspelling (the country the near miss is of).
    NearMiss(u32),
    /// Several countries, none of which is more the value's than the others; `unread` is a
    /// qualifier that named none of them.
    Several {
        countries: Vec<u32>,
        unread: Option<String>,
    },
    /// A qualifier names another country than the rest of the value.
    Contradiction {
        countries: Vec<u32>,
        qualifier: String,
    },
    /// A region or grouping of countries (a continent, "Latin America", the EU).
    Region,
    /// Nothing known.
    Unknown,
}

/// Demonyms of the countries that have territories, as qualifiers write them ("Virgin
/// Islands (British)", "Saint Martin (Dutch part)"). Names of the countries themselves, in
/// every language, come from the gazetteer.
const DEMONYMS: &[(&str, &str)] = &[
    ("american", "US"),
    ("australian", "AU"),
    ("british", "GB"),
    ("chinese", "CN"),
    ("danish", "DK"),
    ("dutch", "NL"),
    ("english", "GB"),
    ("finnish", "FI"),
    ("french", "FR"),
    ("norwegian", "NO"),
    ("portuguese", "PT"),
    ("spanish", "ES"),
];

/// A city named in a qualifier ("Congo (Brazzaville)") stands for its country only if it is
/// at least this big and this many times bigger than any namesake.
const QUALIFIER_CITY_POPULATION: u32 = 100_000;
const QUALIFIER_CITY_LEAD: u64 = 5;

/// A name shorter than this (in letters, folded) is never matched by a near miss, nor
/// looked for inside another country's names: "Niger" is not a misspelt "Nigeria".
const SHORTEST_NEAR_MISS: usize = 5;

/// From this many letters a near miss may be two edits from an English, ISO or native name,
/// or one edit from a translation.
const LONG_NEAR_MISS: usize = 10;

impl Places {
    /// What a `country` value may mean.
    pub(in crate::geo) fn country_reading(&self, text: &str) -> CountryReading {
        if forms::is_placeholder(text) {
            return CountryReading::Unknown;
        }
        if let Some(number) = forms::wikidata_number(text) {
            let found = self.index.wikidata.get(&number).into_iter().flatten();
            return several_or_one(found.filter_map(|place| match place {
                Place::Country(position) => Some(*position),
                _ => None,
            }));
        }
        if let Some(numeric) = forms::numeric_code(text) {
            return several_or_one(self.index.numeric.get(&numeric).copied());
        }
        let code = forms::letter_code(text, 2).or_else(|| forms::letter_code(text, 3));
        if let Some(code) = code
            && let Some(position) = self
                .index
                .alpha2
                .get(&code)
                .or(self.index.alpha3.get(&code))
        {
            return CountryReading::Found(*position);
        }
        let key = fold(text);
        if let Some(found) = self.named_by(&key) {
            return found;
        }
        if self.gazetteer.region_names.get(&key).next().is_some() {
            return CountryReading::Region;
        }
        for spelling in spelling::rearrangements(text).iter().skip(1) {
            if let Some(found) = self.named_by(&fold(spelling)) {
                return found;
            }
        }
        if let Some(parts) = qualifiers::split(text) {
            return self.qualified(&parts);
        }
        if let Some(found) = self.without_kind_words(text) {
            return found;
        }
        match self.near_miss(&key) {
            Some(country) => CountryReading::NearMiss(country),
            None => CountryReading::Unknown,
        }
    }

    /// What the spelling `key` (folded) names, if anything, with the gazetteer's doubts
    /// about it when it names one country. Doubts are only ever about spellings that no
    /// source gives as the country's own name, so only those are looked up.
    fn named_by(&self, key: &str) -> Option<CountryReading> {
        let mut found: BTreeSet<u32> = BTreeSet::new();
        let mut own_name = false;
        for (country, rank) in self.gazetteer.country_names.get(key) {
            found.insert(country);
            own_name |= rank < NameRank::Alternate;
        }
        let reading = several_or_one(found);
        match reading {
            CountryReading::Unknown => None,
            CountryReading::Found(country) if !own_name => {
                let doubts: Vec<DoubtBasis> = self.gazetteer.country_doubts(key, country).collect();
                if doubts.is_empty() {
                    Some(reading)
                } else {
                    Some(CountryReading::Doubted { country, doubts })
                }
            }
            _ => Some(reading),
        }
    }

    /// The distinct countries a folded key names.
    fn countries_named(&self, key: &str) -> Vec<u32> {
        let found: BTreeSet<u32> = self
            .gazetteer
            .country_names
            .get(key)
            .map(|(country, _)| country)
            .collect();
        found.into_iter().collect()
    }

    /// The countries a name (without its qualifiers) names: as written or rearranged.
    fn countries_of_name(&self, name: &str) -> Vec<u32> {
        spelling::rearrangements(name)
            .iter()
            .map(|spelling| self.countries_named(&fold(spelling)))
            .find(|found| !found.is_empty())
            .unwrap_or_default()
    }

    /// A value with qualifiers: the qualifiers that name a country choose among the
    /// countries the rest names (or the territories of the one they name); the others must
    /// be words of the chosen country's names.
    fn qualified(&self, parts: &Parts) -> CountryReading {
        let core = self.countries_of_name(&parts.core);
        let mut named: BTreeSet<u32> = BTreeSet::new();
        let mut unread: Vec<&str> = Vec::new();
        for qualifier in &parts.qualifiers {
            match self.country_of_qualifier(qualifier) {
                Some(country) => {
                    named.insert(country);
                }
                None => unread.push(qualifier),
            }
        }
        let unread_text = (!unread.is_empty()).then(|| unread.join(", "));
        match named.len() {
            0 => {}
            1 => {
                let Some(qualified) = named.first().copied() else {
                    return CountryReading::Unknown;
                };
                return self.within_qualified_country(parts, &core, qualified, unread_text);
            }
            _ => {
                return CountryReading::Several {
                    countries: named.into_iter().collect(),
                    unread: unread_text,
                };
            }
        }
        match core.as_slice() {
            [] => CountryReading::Unknown,
            [only] if unread.iter().all(|text| self.words_in_names(text, *only)) => {
                CountryReading::Found(*only)
            }
            _ => CountryReading::Several {
                countries: core,
                unread: unread_text,
            },
        }
    }

    /// The reading of a value whose qualifiers name `qualified`: the country the rest names
    /// if it is `qualified` or one of its territories; else the one territory of `qualified`
    /// whose name begins or ends with the rest ("Гвиана (Франция)" is Французская Гвиана);
    /// else `qualified` itself when the rest names no country but one of its states
    /// ("GEORGIA, U.S.A."; "Taiwan, China" is a contradiction, not a province).
    fn within_qualified_country(
        &self,
        parts: &Parts,
        core: &[u32],
        qualified: u32,
        unread: Option<String>,
    ) -> CountryReading {
        let fits = |country: u32| {
            country == qualified
                || self
                    .gazetteer
                    .countries
                    .get(country as usize)
                    .is_some_and(|record| record.sovereign == Some(qualified))
        };
        let fitting: Vec<u32> = core
            .iter()
            .copied()
            .filter(|country| fits(*country))
            .collect();
        let accounted = |country: u32| {
            unread
                .as_deref()
                .is_none_or(|text| self.words_in_names(text, country))
        };
        match fitting.as_slice() {
            [only] if accounted(*only) => return CountryReading::Found(*only),
            [] => {}
            _ => {
                return CountryReading::Several {
                    countries: fitting,
                    unread,
                };
            }
        }
        let key = fold(&parts.core);
        if key.chars().count() >= SHORTEST_NEAR_MISS {
            let territories = self.index.territories.get(&qualified).into_iter().flatten();
            let containing: Vec<u32> = std::iter::once(qualified)
                .chain(territories.copied())
                .filter(|country| {
                    self.country_keys(*country)
                        .any(|name| name != key && (name.starts_with(&key) || name.ends_with(&key)))
                })
                .collect();
            if let [only] = containing.as_slice()
                && accounted(*only)
            {
                return CountryReading::Found(*only);
            }
        }
        let is_state_of_qualified = self
            .gazetteer
            .state_names
            .get(&key)
            .any(|(state, _)| self.state_country(state) == Some(qualified));
        if core.is_empty() && is_state_of_qualified && accounted(qualified) {
            return CountryReading::Found(qualified);
        }
        if core.is_empty() {
            return CountryReading::Unknown;
        }
        let mut countries = core.to_vec();
        countries.push(qualified);
        CountryReading::Contradiction {
            countries,
            qualifier: parts.qualifiers.join(", "),
        }
    }

    /// The one country a qualifier names: as a country (name, alias, code), a demonym, a
    /// word of it that names one ("Dutch part"), or a big city ("Brazzaville").
    fn country_of_qualifier(&self, qualifier: &str) -> Option<u32> {
        let trimmed = qualifier.trim();
        let code = forms::letter_code(trimmed, 2).or_else(|| forms::letter_code(trimmed, 3));
        if let Some(code) = code
            && trimmed.bytes().all(|byte| byte.is_ascii_uppercase())
            && let Some(position) = self
                .index
                .alpha2
                .get(&code)
                .or(self.index.alpha3.get(&code))
        {
            return Some(*position);
        }
        if let [only] = self.countries_of_name(trimmed).as_slice() {
            return Some(*only);
        }
        let mut by_word: BTreeSet<u32> = BTreeSet::new();
        for word in qualifiers::words(trimmed) {
            let key = fold(word);
            if key.chars().count() < SHORTEST_NEAR_MISS {
                continue;
            }
            if let Some((_, alpha2)) = DEMONYMS.iter().find(|(demonym, _)| *demonym == key)
                && let Some(position) = self.index.alpha2.get(*alpha2)
            {
                by_word.insert(*position);
            }
            if let [only] = self.countries_named(&key).as_slice() {
                by_word.insert(*only);
            }
        }
        if by_word.len() == 1 {
            return by_word.first().copied();
        }
        self.country_of_big_city(trimmed)
    }

    /// The country of the city `name` names, if one city of that name dwarfs the others.
    fn country_of_big_city(&self, name: &str) -> Option<u32> {
        let mut cities: Vec<(u32, u32)> = self
            .gazetteer
            .city_names
            .get(&fold(name))
            .map(|(city, _)| (self.city_population(city), city))
            .collect();
        cities.sort_unstable_by(|left, right| right.cmp(left));
        let (biggest, city) = *cities.first()?;
        let runner_up = cities
            .iter()
            .skip(1)
            .find(|(_, other)| self.city_country(*other) != self.city_country(city))
            .map_or(0, |(population, _)| u64::from(*population));
        (biggest >= QUALIFIER_CITY_POPULATION
            && u64::from(biggest) >= runner_up * QUALIFIER_CITY_LEAD)
            .then(|| self.city_country(city))
            .flatten()
    }

    /// The value without the words for a kind of country ("The Territory of Guam" as
    /// "Guam"), if what is left names one country. A dropped "republic" (in any language) must
    /// be a word of that country's names: it is what tells Dominica from the Dominican
    /// Republic, and "Republik Dominica" is not Dominica, which is no republic.
    fn without_kind_words(&self, text: &str) -> Option<CountryReading> {
        let short = spelling::without_subdivision_word(text)?;
        let found = self.countries_named(&fold(&short));
        let kept: Vec<String> = short.split_whitespace().map(fold).collect();
        let dropped: Vec<String> = qualifiers::words(text)
            .map(fold)
            .filter(|word| !kept.contains(word) && is_republic(word))
            .collect();
        match found.as_slice() {
            [] => None,
            [only] => dropped
                .iter()
                .all(|word| {
                    self.country_keys(*only)
                        .any(|name| name.contains(word.as_str()))
                })
                .then_some(CountryReading::Found(*only)),
            _ => Some(several_or_one(found)),
        }
    }

    /// Whether every word of `text` (but the little joining words) is part of one of the
    /// names of `country`.
    fn words_in_names(&self, text: &str, country: u32) -> bool {
        qualifiers::words(text)
            .map(fold)
            .filter(|word| !word.is_empty() && !spelling::is_joining_word(word))
            .all(|word| {
                self.country_keys(country)
                    .any(|name| name.contains(word.as_str()))
            })
    }

    /// Every folded name of `country`.
    fn country_keys(&self, country: u32) -> impl Iterator<Item = &str> + '_ {
        self.index
            .country_name_entries
            .get(country as usize)
            .into_iter()
            .flatten()
            .filter_map(|position| self.gazetteer.country_names.entry(*position as usize))
            .map(|(key, _, _)| key)
    }

    /// The one country with an English, ISO or native name this close to `key` (folded): in
    /// the same script (the same first letter), within one edit (two when either has ten
    /// letters or more), a swap of two letters counting as one. Never for values of fewer
    /// than five letters, nor for a value that is the name of a state or a city: the field
    /// decides the kind, and "Toronto" is no misspelt country.
    fn near_miss(&self, key: &str) -> Option<u32> {
        let length = key.chars().count();
        if length < SHORTEST_NEAR_MISS
            || self.gazetteer.state_names.get(key).next().is_some()
            || self.gazetteer.city_names.get(key).next().is_some()
        {
            return None;
        }
        let first = key.chars().next()?;
        let table = &self.gazetteer.country_names;
        let mut found: BTreeSet<u32> = BTreeSet::new();
        for position in table.prefixed(first.encode_utf8(&mut [0; 4])) {
            let Some((name, country, rank)) = table.entry(position) else {
                continue;
            };
            // Translations into a hundred languages leave a near miss of almost anything
            // short: "Malian" is one letter from a name of Iran. A translation only counts
            // for a long value, and one edit.
            if rank == NameRank::Alternate && length < LONG_NEAR_MISS {
                continue;
            }
            let name_length = name.chars().count();
            let most_edits = match rank {
                NameRank::Alternate => 1,
                _ if length.max(name_length) >= LONG_NEAR_MISS => 2,
                _ => 1,
            };
            if name_length < SHORTEST_NEAR_MISS || name_length.abs_diff(length) > most_edits {
                continue;
            }
            if strsim::osa_distance(key, name) <= most_edits {
                found.insert(country);
                if found.len() > 1 {
                    return None;
                }
            }
        }
        found.first().copied()
    }
}

/// "Republic" in the languages of the kind words ("republica", "republik", "république",
/// "respublika").
fn is_republic(folded_word: &str) -> bool {
    folded_word.starts_with("republ") || folded_word.starts_with("respubl")
}

fn several_or_one(found: impl IntoIterator<Item = u32>) -> CountryReading {
    let found: BTreeSet<u32> = found.into_iter().collect();
    let mut found: Vec<u32> = found.into_iter().collect();
    match found.len() {
        0 => CountryReading::Unknown,
        1 => CountryReading::Found(found.remove(0)),
        _ => CountryReading::Several {
            countries: found,
            unread: None,
        },
    }
}
