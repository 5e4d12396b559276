//! Where the countries-states-cities reference data is: the folder the environment variable
//! `CLIENTELA_GEO_REFERENCE` names (`.ci/run` sets it where the data is beside the
//! repository). Tests, benchmarks and examples that use it say they are skipped without it.
//! Shared by the integration tests (`common`), `benches/geo.rs` and
//! `examples/geo_footprint.rs` through `#[path]`.

use std::path::PathBuf;

use clientela_core::geo::CSC_OVERLAY_FILES;

/// The environment variable naming the reference folder.
pub const VARIABLE: &str = "CLIENTELA_GEO_REFERENCE";

/// The reference folder, or `None` when the variable is unset or empty.
pub fn reference_folder() -> Option<PathBuf> {
    std::env::var_os(VARIABLE)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

/// The texts of the folder's `countries.csv`, `states.csv` and `cities.csv`, or `None`
/// (with the reason on stderr) when the folder is not there.
pub fn reference_texts() -> Option<[String; 3]> {
    let Some(folder) = reference_folder() else {
        skipped();
        return None;
    };
    let read = |file: &&str| std::fs::read_to_string(folder.join(file));
    match CSC_OVERLAY_FILES
        .iter()
        .map(read)
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(texts) => texts.try_into().ok(),
        Err(error) => {
            eprintln!(
                "skipped: {VARIABLE}={} cannot be read ({error})",
                folder.display()
            );
            None
        }
    }
}

/// Says why something that needs the reference data did nothing, so a skipped run is
/// visible.
pub fn skipped() {
    eprintln!(
        "skipped: set {VARIABLE} to a countries-states-cities export folder to run this with \
         the reference data"
    );
}
