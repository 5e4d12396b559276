//! The gazetteer's records and name tables, and its compact file form.
//!
//! The gazetteer builder (`tools/gazetteer`) fills a [`Gazetteer`] from open data and writes it
//! with `Gazetteer::encode`; the binary embeds that file and [`Gazetteer::decode_inflated`]
//! reads it back. What only the builder needs is compiled with the `build` feature (and in
//! this crate's tests).
//!
//! Name keys are folded and sorted at build time, so loading is decompression plus decoding,
//! with no per-name work.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

#[cfg(any(test, feature = "build"))]
use super::fold::fold;

/// Bumped whenever the record layout changes, so a stale file is refused instead of misread.
pub const FORMAT_VERSION: u32 = 4;

/// Two city records of the same name in one country closer than this (in degrees, about
/// 5 km) are one place listed twice by the sources.
pub const SAME_PLACE_DEGREES: f32 = 0.05;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountryRecord {
    pub alpha2: String,
    pub alpha3: String,
    pub numeric: u16,
    /// FIPS 10-4 country code (GEC), the prefix of full FIPS subdivision codes such as "SP56".
    pub fips: Option<String>,
    pub name: String,
    /// The number of the WikiData item (29 for Q29).
    pub wikidata: Option<u32>,
    /// Other WikiData items that stand for the country (the Kingdom of the Netherlands and
    /// the Netherlands proper).
    pub other_wikidata: Vec<u32>,
    pub population: u64,
    /// Index of the country this one is a territory of (French Guiana of France), which a
    /// qualifier such as "Guiana (France)" names.
    pub sovereign: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateRecord {
    /// Index into [`Gazetteer::countries`].
    pub country: u32,
    /// ISO 3166-2.
    pub code: String,
    pub name: String,
    /// FIPS 10-4 subdivision code relative to the country ("56" for SP56).
    pub fips: Option<String>,
    pub wikidata: Option<u32>,
    /// Index of the enclosing state where the source nests them (a Spanish province's
    /// autonomous community).
    pub parent: Option<u32>,
    /// The row id in the countries-states-cities database, which overlays from the same
    /// database join on.
    pub source_id: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CityRecord {
    pub country: u32,
    /// Index into [`Gazetteer::states`].
    pub state: Option<u32>,
    pub name: String,
    pub wikidata: Option<u32>,
    pub lat: f32,
    pub lon: f32,
    pub population: u32,
    pub source_id: Option<u32>,
    /// The source marks this record's WikiData ID as a copy of another record's
    /// (countries-states-cities' `is_duplicated`): when both fit what was sent, the ID
    /// means the other one.
    pub duplicate: bool,
}

/// A city the sources place in two states that are not one inside the other
/// (countries-states-cities in one, its older release or GeoNames in another): the record
/// carries the state chosen, this the other one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputedState {
    /// Index into [`Gazetteer::cities`].
    pub city: u32,
    /// The state the record was not given.
    pub other: u32,
    /// What decided between the two.
    pub basis: DisputeBasis,
}

/// What chose the state a [`DisputedState`] city's record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisputeBasis {
    /// Most of the places nearest to the city lie in it: the state its coordinates fall in,
    /// as far as the gazetteer, which has no boundaries, can tell.
    Neighbours,
    /// Two of the three sources give it.
    Majority,
    /// Neither settled it; the newest source's (countries-states-cities) is kept.
    Newest,
}

/// How a name key was derived; a lower rank is the better claim when two places share a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum NameRank {
    /// The place's own English or ISO name.
    Primary,
    /// Its native or official name, or a well-known alias.
    Native,
    /// A translation or an alternate spelling.
    Alternate,
}

/// Folded names pointing at record indexes, sorted by key, in one string buffer so that a
/// few hundred thousand keys cost two allocations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NameTable {
    text: String,
    #[serde(deserialize_with = "exact_vec")]
    entries: Vec<NameEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct NameEntry {
    start: u32,
    len: u32,
    target: u32,
    rank: NameRank,
}

/// Collects names for a [`NameTable`]; duplicates are dropped when it is built.
#[derive(Debug, Default)]
pub struct NameTableBuilder {
    table: NameTable,
}

impl NameTableBuilder {
    /// Adds `name` (folded here) as a key of record `target`.
    #[cfg(any(test, feature = "build"))]
    pub fn add(&mut self, name: &str, target: u32, rank: NameRank) {
        let key = fold(name);
        self.add_folded(&key, target, rank);
    }

    pub fn add_folded(&mut self, key: &str, target: u32, rank: NameRank) {
        if key.is_empty() {
            return;
        }
        let (Ok(start), Ok(len)) = (
            u32::try_from(self.table.text.len()),
            u32::try_from(key.len()),
        ) else {
            return;
        };
        self.table.text.push_str(key);
        self.table.entries.push(NameEntry {
            start,
            len,
            target,
            rank,
        });
    }

    /// Every (folded key, target) added so far, in the order added.
    #[cfg(feature = "build")]
    pub fn snapshot(&self) -> Vec<(String, u32, NameRank)> {
        self.table
            .entries
            .iter()
            .map(|entry| (self.table.key(entry).to_owned(), entry.target, entry.rank))
            .collect()
    }

    /// Sorts by key, then rank, then target, and keeps each (key, target) once with its best
    /// rank; the text is rewritten so each distinct key is stored once.
    pub fn build(self) -> NameTable {
        let NameTable { text, mut entries } = self.table;
        let key_of =
            |entry: &NameEntry| &text[entry.start as usize..(entry.start + entry.len) as usize];
        entries.sort_by(|left, right| {
            key_of(left)
                .cmp(key_of(right))
                .then(left.target.cmp(&right.target))
                .then(left.rank.cmp(&right.rank))
        });
        compact(
            entries.iter().map(|entry| (key_of(entry), *entry)),
            text.len() / 2,
            entries.len(),
        )
    }
}

/// Whether `left` comes before `right` (or with it) in a table's order.
fn sorts_first(left: &(&str, NameEntry), right: &(&str, NameEntry)) -> bool {
    (left.0, left.1.target, left.1.rank) <= (right.0, right.1.target, right.1.rank)
}

/// Builds a table from entries sorted by (key, target, rank): each (key, target) kept once
/// with its best rank, each distinct key stored once in the text.
fn compact<'a>(
    sorted: impl Iterator<Item = (&'a str, NameEntry)>,
    text_capacity: usize,
    entries_capacity: usize,
) -> NameTable {
    let mut text = String::with_capacity(text_capacity);
    let mut entries: Vec<NameEntry> = Vec::with_capacity(entries_capacity);
    let mut previous_key: Option<&str> = None;
    for (key, entry) in sorted {
        if previous_key == Some(key) {
            if let Some(last) = entries.last()
                && last.target == entry.target
            {
                continue;
            }
            let start = entries.last().map_or(0, |last| last.start);
            entries.push(NameEntry { start, ..entry });
            continue;
        }
        let Ok(start) = u32::try_from(text.len()) else {
            break;
        };
        text.push_str(key);
        entries.push(NameEntry { start, ..entry });
        previous_key = Some(key);
    }
    NameTable { text, entries }
}

impl NameTable {
    /// Every record named `key` (already folded), with the rank of that name.
    pub fn get<'a>(&'a self, key: &'a str) -> impl Iterator<Item = (u32, NameRank)> + 'a {
        let first = self
            .entries
            .partition_point(|entry| self.key(entry).cmp(key) == Ordering::Less);
        self.entries[first..]
            .iter()
            .take_while(move |entry| self.key(entry) == key)
            .map(|entry| (entry.target, entry.rank))
    }

    /// This table and `other` as one, in one linear pass over both (an overlay adds its
    /// names this way instead of sorting the whole table again).
    pub fn merge(self, other: NameTable) -> NameTable {
        let mut left = self
            .entries
            .iter()
            .map(|entry| (self.key(entry), *entry))
            .peekable();
        let mut right = other
            .entries
            .iter()
            .map(|entry| (other.key(entry), *entry))
            .peekable();
        let merged = std::iter::from_fn(|| match (left.peek(), right.peek()) {
            (Some(from_left), Some(from_right)) if sorts_first(from_left, from_right) => {
                left.next()
            }
            (Some(_), None) => left.next(),
            _ => right.next(),
        });
        compact(
            merged,
            self.text.len() + other.text.len(),
            self.entries.len() + other.entries.len(),
        )
    }

    /// The entry at `position` in key order, as (key, target, rank).
    pub fn entry(&self, position: usize) -> Option<(&str, u32, NameRank)> {
        let entry = self.entries.get(position)?;
        Some((self.key(entry), entry.target, entry.rank))
    }

    /// The positions of the entries whose key starts with `prefix` (already folded).
    pub fn prefixed(&self, prefix: &str) -> std::ops::Range<usize> {
        let start = self
            .entries
            .partition_point(|entry| self.key(entry) < prefix);
        let end = start
            + self.entries[start..].partition_point(|entry| self.key(entry).starts_with(prefix));
        start..end
    }

    /// Every (key, target, rank), in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32, NameRank)> + '_ {
        self.entries
            .iter()
            .map(|entry| (self.key(entry), entry.target, entry.rank))
    }

    /// How many (key, target) entries the table holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(feature = "build")]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The table without the entries `keep` refuses.
    #[cfg(feature = "build")]
    pub fn retain(self, mut keep: impl FnMut(&str, u32, NameRank) -> bool) -> NameTable {
        let kept: Vec<(&str, NameEntry)> = self
            .entries
            .iter()
            .map(|entry| (self.key(entry), *entry))
            .filter(|(key, entry)| keep(key, entry.target, entry.rank))
            .collect();
        let entries = kept.len();
        compact(kept.into_iter(), self.text.len(), entries)
    }

    fn key(&self, entry: &NameEntry) -> &str {
        self.text
            .get(entry.start as usize..(entry.start + entry.len) as usize)
            .unwrap_or_default()
    }
}

/// Everything the resolver knows, as records plus the name tables over them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Gazetteer {
    pub format_version: u32,
    #[serde(deserialize_with = "exact_vec")]
    pub countries: Vec<CountryRecord>,
    #[serde(deserialize_with = "exact_vec")]
    pub states: Vec<StateRecord>,
    #[serde(deserialize_with = "exact_vec")]
    pub cities: Vec<CityRecord>,
    pub country_names: NameTable,
    pub state_names: NameTable,
    pub city_names: NameTable,
    /// Names of regions and groupings that are no country (continents, "Latin America", the
    /// EU), in every language the sources have: a `country` value naming one is refused
    /// rather than matched loosely to a country. Targets are unused (0).
    pub region_names: NameTable,
    /// Cities whose state the sources disagree on, sorted by city.
    #[serde(deserialize_with = "exact_vec")]
    pub disputed_states: Vec<DisputedState>,
}

/// The most elements [`exact_vec`] reserves ahead: more than any table holds (a few million
/// names), so a damaged file cannot ask for an absurd allocation before it fails to decode.
const MAX_RESERVED: usize = 16 * 1024 * 1024;

/// A vector decoded with the length postcard states up front reserved at once. serde's own
/// `Vec` reserves at most 1 MiB ahead and then doubles, which for the city and name tables
/// (tens of MiB) copied each table twice over and touched twice its memory: at start-up, on
/// a machine slow to fault pages in, most of the time it took to load the gazetteer.
fn exact_vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Exact<T>(std::marker::PhantomData<T>);

    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Exact<T> {
        type Value = Vec<T>;

        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a sequence")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_RESERVED));
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok(items)
        }
    }

    deserializer.deserialize_seq(Exact(std::marker::PhantomData))
}

#[derive(Debug, thiserror::Error)]
pub enum GazetteerError {
    #[cfg(any(test, feature = "build"))]
    #[error("the gazetteer file is not valid deflate data: {0}")]
    Compression(String),
    #[error("the gazetteer file does not decode: {0}")]
    Decoding(#[from] postcard::Error),
    #[error("the gazetteer file has format {found}, this build reads format {expected}")]
    Version { found: u32, expected: u32 },
}

impl Gazetteer {
    /// Whether `state` is `ancestor` or lies inside it (the sources nest at most a few
    /// levels: a Spanish province in its community).
    pub fn state_within(&self, state: u32, ancestor: u32) -> bool {
        let mut current = Some(state);
        for _ in 0..4 {
            match current {
                Some(position) if position == ancestor => return true,
                Some(position) => {
                    current = self
                        .states
                        .get(position as usize)
                        .and_then(|record| record.parent);
                }
                None => return false,
            }
        }
        false
    }

    /// The other state the sources give `city`, when they disagree on it.
    pub fn disputed_state(&self, city: u32) -> Option<DisputedState> {
        let at = self
            .disputed_states
            .binary_search_by_key(&city, |disputed| disputed.city)
            .ok()?;
        self.disputed_states.get(at).copied()
    }

    /// The compressed file form: postcard, then deflate.
    #[cfg(any(test, feature = "build"))]
    pub fn encode(&self) -> Result<Vec<u8>, GazetteerError> {
        let raw = postcard::to_allocvec(self)?;
        Ok(miniz_oxide::deflate::compress_to_vec(&raw, 9))
    }

    #[cfg(any(test, feature = "build"))]
    pub fn decode(bytes: &[u8]) -> Result<Gazetteer, GazetteerError> {
        let raw = miniz_oxide::inflate::decompress_to_vec(bytes)
            .map_err(|error| GazetteerError::Compression(format!("{error:?}")))?;
        Gazetteer::decode_inflated(&raw)
    }

    /// Decodes the file form once the deflate layer is off (as `build.rs` embeds it).
    pub fn decode_inflated(raw: &[u8]) -> Result<Gazetteer, GazetteerError> {
        let gazetteer: Gazetteer = postcard::from_bytes(raw)?;
        if gazetteer.format_version != FORMAT_VERSION {
            return Err(GazetteerError::Version {
                found: gazetteer.format_version,
                expected: FORMAT_VERSION,
            });
        }
        Ok(gazetteer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_table_finds_every_target_of_a_key_once_with_its_best_rank() {
        let mut builder = NameTableBuilder::default();
        builder.add("Georgia", 7, NameRank::Alternate);
        builder.add("georgia", 7, NameRank::Primary);
        builder.add("Géorgie", 7, NameRank::Alternate);
        builder.add("Georgia", 3, NameRank::Primary);
        builder.add("Gabon", 1, NameRank::Primary);
        let table = builder.build();
        let found: Vec<_> = table.get("georgia").collect();
        assert_eq!(found, vec![(3, NameRank::Primary), (7, NameRank::Primary)]);
        assert_eq!(table.get("georgie").count(), 1);
        assert_eq!(table.get("georg").count(), 0);
    }

    #[test]
    fn merging_two_tables_finds_the_names_of_both_once() {
        let mut first = NameTableBuilder::default();
        first.add("Georgia", 3, NameRank::Primary);
        first.add("Gabon", 1, NameRank::Primary);
        let mut second = NameTableBuilder::default();
        second.add("Georgia", 3, NameRank::Alternate);
        second.add("Georgia", 7, NameRank::Native);
        second.add("Zambia", 9, NameRank::Primary);
        let merged = first.build().merge(second.build());
        let georgia: Vec<_> = merged.get("georgia").collect();
        assert_eq!(georgia, vec![(3, NameRank::Primary), (7, NameRank::Native)]);
        assert_eq!(merged.get("gabon").count(), 1);
        assert_eq!(merged.get("zambia").count(), 1);
        assert_eq!(merged.iter().count(), 4);
    }

    #[test]
    fn a_gazetteer_survives_encoding() {
        let mut names = NameTableBuilder::default();
        names.add("Spain", 0, NameRank::Primary);
        let gazetteer = Gazetteer {
            format_version: FORMAT_VERSION,
            countries: vec![CountryRecord {
                alpha2: "ES".into(),
                alpha3: "ESP".into(),
                numeric: 724,
                fips: Some("SP".into()),
                name: "Spain".into(),
                wikidata: Some(29),
                other_wikidata: Vec::new(),
                population: 1,
                sovereign: None,
            }],
            country_names: names.build(),
            ..Gazetteer::default()
        };
        let decoded = gazetteer
            .encode()
            .and_then(|bytes| Gazetteer::decode(&bytes));
        assert_eq!(decoded.ok(), Some(gazetteer));
    }

    #[test]
    fn a_file_of_another_format_is_refused() {
        let stale = Gazetteer {
            format_version: FORMAT_VERSION + 1,
            ..Gazetteer::default()
        };
        let bytes = stale.encode().unwrap_or_default();
        assert!(matches!(
            Gazetteer::decode(&bytes),
            Err(GazetteerError::Version { .. })
        ));
    }
}
