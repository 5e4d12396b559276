//! The gazetteer's records and name tables, and its compact file form.
//!
//! The gazetteer builder (`tools/gazetteer`) fills a [`Gazetteer`] from open data and writes it
//! with `Gazetteer::encode`; the binary embeds that file and [`Gazetteer::decode_inflated`]
//! reads it back. What only the builder needs is compiled with the `build` feature (and in
//! this crate's tests).
//!
//! Name keys are folded and sorted at build time, so loading is decompression plus decoding,
//! with no per-name work.

use serde::{Deserialize, Serialize};

mod name_table;

pub use name_table::{NameRank, NameTable, NameTableBuilder};

/// Bumped whenever the record layout changes, so a stale file is refused instead of misread.
pub const FORMAT_VERSION: u32 = 5;

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

/// A country spelling that is read with a warning saying what else it could mean (see
/// [`DoubtBasis`]). The builder writes them sorted by key, then country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountryDoubt {
    /// The folded spelling.
    pub key: String,
    /// The country the spelling is read as.
    pub country: u32,
    pub basis: DoubtBasis,
}

/// Why a country spelling is doubted, and what else it could mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DoubtBasis {
    /// Another source gives the spelling to this other country; the cross-check of the
    /// sources kept it for the one it is read as, and only translations name that one so.
    Disputed { other: u32 },
    /// Only translations in one language give the spelling, to a country with a look-alike
    /// (this one): nothing in another language or source confirms which of the two it is.
    OneLanguage { other: u32 },
    /// The spelling is only a translation of the country's name, and it is the own name of
    /// this state of another country ("Norfolk", the English county, is Norfolk Island in
    /// Czech and Dutch).
    StateName { state: u32 },
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
    /// Country spellings read with a warning, sorted by key, then country.
    #[serde(deserialize_with = "exact_vec")]
    pub country_doubts: Vec<CountryDoubt>,
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

    /// What else the spelling `key` (folded) could mean when it is read as `country`.
    pub fn country_doubts<'a>(
        &'a self,
        key: &'a str,
        country: u32,
    ) -> impl Iterator<Item = DoubtBasis> + 'a {
        let first = self
            .country_doubts
            .partition_point(|doubt| (doubt.key.as_str(), doubt.country) < (key, country));
        self.country_doubts[first..]
            .iter()
            .take_while(move |doubt| doubt.key == key && doubt.country == country)
            .map(|doubt| doubt.basis)
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
