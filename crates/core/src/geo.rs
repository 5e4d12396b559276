//! Location resolution: what `country`, `state` and `city` as sent mean.
//!
//! [`Resolver::resolve`] is the one entry point the rest of the workspace uses; the
//! [`Location`] it fills is stored with the customer and returned by the API. The data is the
//! gazetteer embedded in the binary (built by `tools/gazetteer`, see NOTICE for its
//! sources) plus any overlays the caller loads through [`Resolver::builder`]. Core reads no
//! files, so loading a countries-states-cities overlay folder is the caller's few lines:
//!
//! ```text
//! let read = |file: &str| std::fs::read_to_string(folder.join(file));
//! let [countries, states, cities] = CSC_OVERLAY_FILES.map(read);
//! let resolver = Resolver::builder()
//!     .overlay_csc(&countries?, &states?, &cities?)?   // OverlayError names file and record
//!     .build();                                          // share it in an Arc
//! ```
//!
//! Warnings: `unresolved` (kept as sent), `ambiguous` (chosen by population or enclosing
//! region, or left unresolved when nothing could tell), `contradiction` (not in the country
//! or state sent; left unresolved), `approximate` (a state matched by a close spelling within
//! the country sent).
//!
//! Architecture Invariant: resolving never guesses at random. A value that stays ambiguous
//! after the other fields narrowed it is either settled by population, with a warning, or
//! left unresolved; a wrong place is worse than none.

mod fold;
mod forms;
// Build-time items (the records, the name-table builder, the file encoder, the spelling
// rules) are public only for the gazetteer builder, which enables the `build` feature.
#[cfg(feature = "build")]
pub mod gazetteer;
#[cfg(not(feature = "build"))]
mod gazetteer;
mod index;
mod lookup;
mod overlay;
mod resolve;
#[cfg(feature = "build")]
pub mod spelling;
#[cfg(not(feature = "build"))]
mod spelling;
#[cfg(test)]
mod tests;

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

pub use fold::fold;
pub use overlay::{CSC_OVERLAY_FILES, OverlayError, OverlayReport};

use gazetteer::Gazetteer;
use lookup::Places;

/// The gazetteer `cargo xtask gazetteer` writes to `data/gazetteer.bin`, inflated by
/// `build.rs` so that start-up only decodes it.
static BUILTIN_GAZETTEER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/gazetteer.postcard"));

/// The three place fields as a customer sent them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GeoInput<'a> {
    pub country: Option<&'a str>,
    pub state: Option<&'a str>,
    pub city: Option<&'a str>,
}

/// What the resolver made of a [`GeoInput`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub country: Option<CountryRef>,
    pub state: Option<StateRef>,
    pub city: Option<CityRef>,
    pub status: LocationStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CountryRef {
    /// ISO 3166-1 alpha-2.
    pub code: String,
    pub alpha3: String,
    pub name: String,
    pub wikidata_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StateRef {
    /// ISO 3166-2.
    pub code: String,
    pub name: String,
    pub wikidata_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CityRef {
    pub name: String,
    pub wikidata_id: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// `resolved`: every part sent was understood; `partial`: some were; `unresolved`: none
/// were; `empty`: nothing was sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LocationStatus {
    Resolved,
    Partial,
    Unresolved,
    #[default]
    Empty,
}

/// A location and what the caller should be told about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolution {
    pub location: Location,
    pub warnings: Vec<GeoWarning>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeoWarning {
    pub field: GeoField,
    pub kind: WarningKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum GeoField {
    Country,
    State,
    City,
}

impl GeoField {
    pub fn name(self) -> &'static str {
        match self {
            GeoField::Country => "country",
            GeoField::State => "state",
            GeoField::City => "city",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WarningKind {
    /// Not found in the data; kept as sent.
    Unresolved,
    /// Several places matched: one was chosen (the most populous, or the region enclosing
    /// the others), or none when nothing told them apart.
    Ambiguous,
    /// Found, but not inside the country or state also given.
    Contradiction,
    /// Not found as written; matched a close spelling within the country given.
    Approximate,
}

/// How a bare number in `state` is read where it is both the suffix of an ISO 3166-2 code
/// and the FIPS 10-4 code of another state of the same country (`"country": "JP", "state":
/// "29"`: ISO JP-29 is Nara, FIPS JA29 is Niigata). Where only one reading exists it is
/// taken whatever this says (US `"06"` is FIPS for California; there is no US-06).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumericStateCodes {
    /// Neither: the state stays unresolved with an `ambiguous` warning naming both.
    #[default]
    Ambiguous,
    /// The ISO 3166-2 reading.
    Iso,
    /// The FIPS 10-4 reading, the form the API page documents for bare numbers.
    Fips,
}

/// Turns place names and codes into a [`Location`]. Cheap to share and to clone: the data
/// sits behind an `Arc`, and [`Resolver::builtin`] decodes the embedded gazetteer once per
/// process.
#[derive(Debug, Clone)]
pub struct Resolver {
    places: Arc<Places>,
    numeric_state_codes: NumericStateCodes,
}

impl Resolver {
    /// The resolver over the gazetteer built into the binary.
    pub fn builtin() -> Resolver {
        static BUILTIN: OnceLock<Arc<Places>> = OnceLock::new();
        let places = BUILTIN.get_or_init(|| Arc::new(Places::new(builtin_gazetteer())));
        Resolver {
            places: Arc::clone(places),
            numeric_state_codes: NumericStateCodes::default(),
        }
    }

    /// Starts from the built-in gazetteer, to add overlays to it.
    pub fn builder() -> ResolverBuilder {
        ResolverBuilder {
            gazetteer: builtin_gazetteer(),
            reports: Vec::new(),
        }
    }

    /// The same resolver, reading ambiguous numeric state codes as `mode` says.
    pub fn with_numeric_state_codes(self, mode: NumericStateCodes) -> Resolver {
        Resolver {
            numeric_state_codes: mode,
            ..self
        }
    }

    pub fn resolve(&self, input: &GeoInput<'_>) -> Resolution {
        fn given(value: Option<&str>) -> Option<&str> {
            value.map(str::trim).filter(|text| !text.is_empty())
        }
        let input = GeoInput {
            country: given(input.country),
            state: given(input.state),
            city: given(input.city),
        };
        let mut resolution = self.places.resolve(&input, self.numeric_state_codes);
        resolution.location.status = status_of(&input, &resolution.location);
        resolution
    }

    /// The FIPS 10-4 code (GEC) of the country whose ISO alpha-2 code is `alpha2` ("SP" for
    /// "ES"): the prefix of the full FIPS subdivision codes the resolver reads ("SP56").
    pub fn fips_country_code(&self, alpha2: &str) -> Option<&str> {
        self.places
            .gazetteer
            .countries
            .iter()
            .find(|country| country.alpha2.eq_ignore_ascii_case(alpha2))?
            .fips
            .as_deref()
    }

    /// How many countries, states and cities the resolver knows.
    pub fn counts(&self) -> (usize, usize, usize) {
        let gazetteer = &self.places.gazetteer;
        (
            gazetteer.countries.len(),
            gazetteer.states.len(),
            gazetteer.cities.len(),
        )
    }
}

/// The built-in gazetteer with overlays added, see [`Resolver::builder`].
#[derive(Debug)]
pub struct ResolverBuilder {
    gazetteer: Gazetteer,
    reports: Vec<OverlayReport>,
}

impl ResolverBuilder {
    /// Adds a countries-states-cities export: the text of its `countries.csv`, `states.csv`
    /// and `cities.csv` (see [`CSC_OVERLAY_FILES`]).
    pub fn overlay_csc(
        mut self,
        countries_csv: &str,
        states_csv: &str,
        cities_csv: &str,
    ) -> Result<ResolverBuilder, OverlayError> {
        let report =
            overlay::apply_csc(&mut self.gazetteer, countries_csv, states_csv, cities_csv)?;
        self.reports.push(report);
        Ok(self)
    }

    /// What each overlay added, in the order they were applied.
    pub fn reports(&self) -> &[OverlayReport] {
        &self.reports
    }

    pub fn build(self) -> Resolver {
        Resolver {
            places: Arc::new(Places::new(self.gazetteer)),
            numeric_state_codes: NumericStateCodes::default(),
        }
    }
}

/// Decodes the embedded gazetteer. It is checked by a test on every build, so failing here
/// means the binary was built from a broken checkout; there is no sensible way to go on.
fn builtin_gazetteer() -> Gazetteer {
    match Gazetteer::decode_inflated(BUILTIN_GAZETTEER) {
        Ok(gazetteer) => gazetteer,
        Err(error) => {
            panic!("the embedded gazetteer is unreadable ({error}); run `cargo xtask gazetteer`")
        }
    }
}

fn status_of(input: &GeoInput<'_>, location: &Location) -> LocationStatus {
    let parts = [
        (input.country.is_some(), location.country.is_some()),
        (input.state.is_some(), location.state.is_some()),
        (input.city.is_some(), location.city.is_some()),
    ];
    let sent = parts.iter().filter(|(sent, _)| *sent).count();
    let understood = parts.iter().filter(|(sent, found)| *sent && *found).count();
    match (sent, understood) {
        (0, _) => LocationStatus::Empty,
        (_, 0) => LocationStatus::Unresolved,
        (sent, understood) if sent == understood => LocationStatus::Resolved,
        _ => LocationStatus::Partial,
    }
}
