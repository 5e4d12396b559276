//! The location resolver the commands use: the built-in gazetteer plus the overlays named
//! by `geo.overlays` and `--overlay`, reading numeric state codes as
//! `geo.numeric_state_codes` says.

use std::path::Path;

use anyhow::Context;
use clientela_core::geo::{CSC_OVERLAY_FILES, Resolver};

use crate::config::Settings;

/// Builds the resolver; a missing or malformed overlay stops the start, naming the file.
pub fn load(settings: &Settings) -> anyhow::Result<Resolver> {
    let numeric = settings.geo.numeric_state_codes;
    if settings.geo.overlays.is_empty() {
        return Ok(Resolver::builtin().with_numeric_state_codes(numeric));
    }
    let mut builder = Resolver::builder();
    for folder in &settings.geo.overlays {
        let [countries, states, cities] = CSC_OVERLAY_FILES.map(|file| read(folder, file));
        builder = builder
            .overlay_csc(&countries?, &states?, &cities?)
            .with_context(|| format!("geo overlay {}", folder.display()))?;
    }
    for (folder, report) in settings.geo.overlays.iter().zip(builder.reports()) {
        tracing::info!(
            overlay = %folder.display(),
            countries = report.countries_added,
            states = report.states_added,
            cities = report.cities_added,
            wikidata_ids = report.wikidata_ids_added,
            fips_codes = report.fips_codes_added,
            "geo overlay loaded"
        );
    }
    Ok(builder.build().with_numeric_state_codes(numeric))
}

fn read(folder: &Path, file: &str) -> anyhow::Result<String> {
    let path = folder.join(file);
    std::fs::read_to_string(&path)
        .with_context(|| format!("could not read the geo overlay file {}", path.display()))
}
