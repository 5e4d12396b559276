//! Helpers shared by the integration tests: the countries-states-cities overlay from the
//! shared folder beside the repository, loaded once.

use std::path::PathBuf;
use std::sync::OnceLock;

use clientela_core::geo::{CSC_OVERLAY_FILES, Resolver};

/// `<repository root>/../shared/geo/csc`: read from there, never copied into the repository.
pub fn csc_overlay_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/geo/csc")
}

/// The built-in gazetteer with the shared overlay, or `None` (and a note on stderr) where
/// the shared folder is absent.
pub fn with_csc_overlay() -> Option<&'static Resolver> {
    static RESOLVER: OnceLock<Option<Resolver>> = OnceLock::new();
    RESOLVER
        .get_or_init(|| {
            let dir = csc_overlay_dir();
            let texts: Vec<String> = CSC_OVERLAY_FILES
                .iter()
                .map(|file| std::fs::read_to_string(dir.join(file)))
                .collect::<Result<_, _>>()
                .ok()?;
            let builder = Resolver::builder().overlay_csc(&texts[0], &texts[1], &texts[2]);
            match builder {
                Ok(builder) => Some(builder.build()),
                Err(error) => panic!("the shared overlay does not load: {error}"),
            }
        })
        .as_ref()
}

/// Says why a test did nothing, so a skipped run is visible.
pub fn skipped() {
    eprintln!("skipped: ../shared/geo/csc not found");
}
