//! Helpers shared by the integration tests: the countries-states-cities reference data (the
//! folder `CLIENTELA_GEO_REFERENCE` names, see `reference_folder.rs`) as an overlay, loaded
//! once.

#![allow(dead_code, reason = "each test binary uses some of these helpers")]

use std::sync::OnceLock;

use clientela_core::geo::Resolver;

#[path = "reference_folder.rs"]
mod reference_folder;

#[allow(unused_imports, reason = "each test binary uses some of these")]
pub use reference_folder::{reference_folder, reference_texts, skipped};

/// The built-in gazetteer with the reference overlay, or `None` (and a note on stderr)
/// where `CLIENTELA_GEO_REFERENCE` is unset.
pub fn with_csc_overlay() -> Option<&'static Resolver> {
    static RESOLVER: OnceLock<Option<Resolver>> = OnceLock::new();
    RESOLVER
        .get_or_init(|| {
            let [countries, states, cities] = reference_texts()?;
            match Resolver::builder().overlay_csc(&countries, &states, &cities) {
                Ok(builder) => Some(builder.build()),
                Err(error) => panic!("the reference overlay does not load: {error}"),
            }
        })
        .as_ref()
}
