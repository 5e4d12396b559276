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
//! The modules are layered, each using only those above it in this list:
//! - `fold`, `forms`, `spelling`, `qualifiers`: text alone (folding, the shape of codes, the
//!   other spellings of a name, the parts of a value such as "Congo (Brazzaville)");
//! - `location`: the answer's types and warnings; `numeric_state_codes`: the numeric-state-code
//!   rule whole (policy, decision, warnings);
//! - `gazetteer`: the records and name tables (`gazetteer/name_table.rs`), and their file
//!   form;
//! - `index`: the code and WikiData maps built when a gazetteer is loaded;
//! - `lookup`: what one sent value may mean (`lookup/country.rs` for countries: qualifiers,
//!   regions, misspellings);
//! - `resolve`: the three fields weighed against each other, and the warnings;
//! - `overlay`: extra data merged into a gazetteer before it is indexed (it uses the text
//!   modules and `gazetteer` only).
//!
//! Rules, and where each lives: never guessing between countries, and a warning on a country
//! read from a doubtful spelling (`resolve/country.rs`, `choose_country`; the doubts are
//! the gazetteer's, made by `tools/gazetteer/src/doubts.rs`), nor between states of two
//! countries when no country was sent (`resolve.rs`, `choose_state`); the field decides the
//! kind (`lookup.rs`); nesting (`lookup.rs`, `state_within`); numeric state codes
//! (`numeric_state_codes.rs`); qualifiers and misspellings of countries
//! (`lookup/country.rs`); the population rule for towns (`resolve.rs`,
//! `choose_among_cities`). docs/places.md states them for users.
//!
//! Architecture Invariant: resolving never guesses at random. A value that stays ambiguous
//! after the other fields narrowed it is either settled by population (towns only), with a
//! warning, or left unresolved; a wrong place is worse than none, and a wrong answer never
//! comes without a warning.

mod fold;
mod forms;
// Build-time items (the records, the name-table builder, the file encoder, the spelling
// rules) are public only for the gazetteer builder, which enables the `build` feature.
#[cfg(feature = "build")]
pub mod gazetteer;
#[cfg(not(feature = "build"))]
mod gazetteer;
mod index;
mod location;
mod lookup;
mod numeric_state_codes;
mod overlay;
mod qualifiers;
mod resolve;
#[cfg(feature = "build")]
pub mod spelling;
#[cfg(not(feature = "build"))]
mod spelling;
#[cfg(test)]
mod tests;

use std::sync::{Arc, OnceLock};

pub use fold::fold;
pub use location::{
    CityRef, CountryRef, GeoField, GeoInput, GeoWarning, Location, LocationStatus, Resolution,
    StateRef, WarningKind,
};
pub use numeric_state_codes::NumericStateCodes;
#[cfg(feature = "build")]
pub use overlay::apply_csc;
pub use overlay::{CSC_OVERLAY_FILES, OverlayError, OverlayReport};

use gazetteer::Gazetteer;
use lookup::Places;

/// The gazetteer `cargo xtask gazetteer` writes to `data/gazetteer.bin`, inflated by
/// `build.rs` so that start-up only decodes it.
static BUILTIN_GAZETTEER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/gazetteer.postcard"));

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
