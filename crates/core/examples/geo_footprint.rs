//! Prints what loading the gazetteer costs: wall time and resident memory (Linux), for the
//! built-in gazetteer alone and with the countries-states-cities reference overlay (where
//! `CLIENTELA_GEO_REFERENCE` names its folder).
//! Run with `cargo run --release -p clientela-core --example geo_footprint`.

use std::time::Instant;

use clientela_core::geo::Resolver;

#[path = "../tests/common/reference_folder.rs"]
mod reference_folder;

/// Resident set size in MB, from /proc/self/status; `None` off Linux.
fn resident_megabytes() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kilobytes: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes / 1024.0)
}

fn main() {
    let before = resident_megabytes().unwrap_or(0.0);
    let started = Instant::now();
    let builtin = Resolver::builtin();
    let elapsed = started.elapsed();
    let after = resident_megabytes().unwrap_or(0.0);
    let (countries, states, cities) = builtin.counts();
    println!(
        "builtin: {countries} countries, {states} states, {cities} cities; loaded in {:.0} ms; \
         resident memory +{:.1} MB",
        elapsed.as_secs_f64() * 1e3,
        after - before
    );

    let Some(texts) = reference_folder::reference_texts() else {
        return;
    };
    drop(builtin);
    let before = resident_megabytes().unwrap_or(0.0);
    let started = Instant::now();
    match Resolver::builder().overlay_csc(&texts[0], &texts[1], &texts[2]) {
        Ok(builder) => {
            let report = builder.reports().first().copied();
            let resolver = builder.build();
            let elapsed = started.elapsed();
            let after = resident_megabytes().unwrap_or(0.0);
            let (countries, states, cities) = resolver.counts();
            println!(
                "with csc overlay: {countries} countries, {states} states, {cities} cities; \
                 built in {:.0} ms; resident memory +{:.1} MB; {report:?}",
                elapsed.as_secs_f64() * 1e3,
                after - before
            );
        }
        Err(error) => println!("the overlay does not load: {error}"),
    }
}
