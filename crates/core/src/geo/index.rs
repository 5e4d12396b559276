//! Code and WikiData lookups over a [`Gazetteer`], built in memory when it is loaded.
//!
//! Names live in the gazetteer's sorted [`NameTable`](super::gazetteer::NameTable)s; the
//! codes here are few enough (a few thousand states, a few tens of thousands of WikiData IDs)
//! that hash maps built at load cost milliseconds and answer in tens of nanoseconds.

use std::collections::HashMap;

use super::gazetteer::Gazetteer;

/// A record of the gazetteer, by kind and index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Place {
    Country(u32),
    State(u32),
    City(u32),
}

#[derive(Debug, Default)]
pub(super) struct Index {
    pub alpha2: HashMap<String, u32>,
    pub alpha3: HashMap<String, u32>,
    pub numeric: HashMap<u16, u32>,
    /// FIPS 10-4 country code → country, for full FIPS subdivision codes.
    pub fips_country: HashMap<String, u32>,
    /// ISO 3166-2 code → state.
    pub state_code: HashMap<String, u32>,
    /// (country, country-relative FIPS code) → states; the source data gives a few states
    /// the code of the region that contains them, so there can be more than one.
    pub state_fips: HashMap<(u32, String), Vec<u32>>,
    pub wikidata: WikidataIndex,
    /// Each country's state name keys, for matching a misspelt state within its country.
    pub state_keys_by_country: HashMap<u32, Vec<(Box<str>, u32)>>,
    /// Each country's entries in the country name table, by position, for reading the
    /// words of a value against all the names of one country.
    pub country_name_entries: Vec<Vec<u32>>,
    /// Sovereign country → the territories the gazetteer records as its own.
    pub territories: HashMap<u32, Vec<u32>>,
}

impl Index {
    pub(super) fn build(gazetteer: &Gazetteer) -> Index {
        let mut index = Index::default();
        for (position, country) in (0u32..).zip(&gazetteer.countries) {
            index.alpha2.insert(country.alpha2.clone(), position);
            index.alpha3.insert(country.alpha3.clone(), position);
            index.numeric.insert(country.numeric, position);
            if let Some(fips) = &country.fips {
                index.fips_country.entry(fips.clone()).or_insert(position);
            }
            for qid in country.wikidata.iter().chain(&country.other_wikidata) {
                index.add_wikidata(*qid, Place::Country(position));
            }
            if let Some(sovereign) = country.sovereign {
                index
                    .territories
                    .entry(sovereign)
                    .or_default()
                    .push(position);
            }
        }
        index.country_name_entries = vec![Vec::new(); gazetteer.countries.len()];
        for position in 0..gazetteer.country_names.len() {
            if let (Some((_, country, _)), Ok(at)) = (
                gazetteer.country_names.entry(position),
                u32::try_from(position),
            ) && let Some(entries) = index.country_name_entries.get_mut(country as usize)
            {
                entries.push(at);
            }
        }
        for (position, state) in (0u32..).zip(&gazetteer.states) {
            index.state_code.insert(state.code.clone(), position);
            if let Some(fips) = &state.fips {
                index
                    .state_fips
                    .entry((state.country, fips.clone()))
                    .or_default()
                    .push(position);
            }
            if let Some(qid) = state.wikidata {
                index.add_wikidata(qid, Place::State(position));
            }
        }
        for (key, state, _) in gazetteer.state_names.iter() {
            if let Some(record) = gazetteer.states.get(state as usize) {
                index
                    .state_keys_by_country
                    .entry(record.country)
                    .or_default()
                    .push((key.into(), state));
            }
        }
        for (position, city) in (0u32..).zip(&gazetteer.cities) {
            if let Some(qid) = city.wikidata {
                index.add_wikidata(qid, Place::City(position));
            }
        }
        index.wikidata.seal();
        index
    }

    fn add_wikidata(&mut self, qid: u32, place: Place) {
        self.wikidata.entries.push((qid, place));
    }
}

/// WikiData item number → the places that carry it, as one sorted vector: about 160,000
/// entries, which as a hash map of vectors cost as many allocations at every start.
#[derive(Debug, Default)]
pub(super) struct WikidataIndex {
    entries: Vec<(u32, Place)>,
}

impl WikidataIndex {
    /// Sorts by item number, keeping the order the places were added in for each number,
    /// and drops repeats.
    fn seal(&mut self) {
        self.entries.sort_by_key(|(qid, _)| *qid);
        self.entries.dedup();
    }

    /// The places carrying item `qid`, in the order they were added; `None` when none do.
    pub(super) fn get(&self, qid: &u32) -> Option<impl Iterator<Item = &Place>> {
        let start = self.entries.partition_point(|(number, _)| number < qid);
        let end = start + self.entries[start..].partition_point(|(number, _)| number == qid);
        (end > start).then(|| self.entries[start..end].iter().map(|(_, place)| place))
    }
}
