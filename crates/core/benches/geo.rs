//! Criterion benchmarks of location resolution: lookups by name, code and WikiData ID, and
//! loading the embedded gazetteer (and the countries-states-cities reference overlay, where
//! `CLIENTELA_GEO_REFERENCE` names its folder). Run with `cargo bench -p clientela-core
//! --bench geo`.

use std::hint::black_box;

use clientela_core::geo::{GeoInput, Resolver};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../tests/common/reference_folder.rs"]
mod reference_folder;

type Input = (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

const LOOKUPS: &[(&str, Input)] = &[
    ("country alpha-2", (Some("ES"), None, None)),
    ("country numeric", (Some("724"), None, None)),
    ("country name", (Some("Deutschland"), None, None)),
    ("country alias", (Some("U.S.A."), None, None)),
    ("country wikidata", (Some("Q29"), None, None)),
    ("state iso 3166-2", (None, Some("ES-B"), None)),
    (
        "state name in country",
        (Some("ES"), Some("Barcelona"), None),
    ),
    ("state fips in country", (Some("US"), Some("06"), None)),
    ("state name alone", (None, Some("Bavaria"), None)),
    ("city name in country", (Some("FR"), None, Some("Lyon"))),
    ("city name alone", (None, None, Some("Zürich"))),
    (
        "city shared name in country",
        (Some("US"), None, Some("Springfield")),
    ),
    ("city wikidata", (None, None, Some("Q1863"))),
    (
        "city wikidata shared by two records",
        (None, None, Some("Q11355")),
    ),
    ("city native script", (Some("JP"), None, Some("大町"))),
    ("state wikidata", (None, Some("Q1492"), None)),
    ("state fips full", (None, Some("SP56"), None)),
    ("state abbreviation", (Some("US"), Some("Calif."), None)),
    ("state ambiguous number", (Some("JP"), Some("29"), None)),
    (
        "seed example",
        (Some("ES"), Some("Barcelona"), Some("Q11355")),
    ),
    ("garbage", (Some("N/A"), Some("unknown"), Some("Atlantis"))),
    ("country in another script", (Some("கினியா"), None, None)),
    (
        "country with a qualifier",
        (Some("Kongo (Brazzaville)"), None, None),
    ),
    ("country ambiguous", (Some("VIRGIN ISLANDS"), None, None)),
    ("country misspelt", (Some("Venezeula"), None, None)),
    ("country unknown", (Some("Atlantis"), None, None)),
];

fn overlay_texts() -> Option<[String; 3]> {
    let texts = reference_folder::reference_texts();
    if texts.is_none() {
        eprintln!("benchmarking the built-in gazetteer only");
    }
    texts
}

/// Every lookup on the built-in gazetteer (what a fresh install runs), then on the built-in
/// gazetteer with the reference overlay where it is set.
fn lookups(criterion: &mut Criterion) {
    let mut resolvers = vec![("resolve", Resolver::builtin())];
    if let Some(texts) = overlay_texts()
        && let Ok(builder) = Resolver::builder().overlay_csc(&texts[0], &texts[1], &texts[2])
    {
        resolvers.push(("resolve with overlay", builder.build()));
    }
    for (group_name, resolver) in resolvers {
        let mut group = criterion.benchmark_group(group_name);
        for (label, (country, state, city)) in LOOKUPS {
            let input = GeoInput {
                country: *country,
                state: *state,
                city: *city,
            };
            group.bench_function(*label, |bencher| {
                bencher.iter(|| resolver.resolve(black_box(&input)))
            });
        }
        group.finish();
    }
}

fn loading(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("builtin gazetteer", |bencher| {
        bencher.iter(|| Resolver::builder().build())
    });
    if let Some(texts) = overlay_texts() {
        group.bench_function("builtin gazetteer and csc overlay", |bencher| {
            bencher.iter(|| {
                Resolver::builder()
                    .overlay_csc(&texts[0], &texts[1], &texts[2])
                    .map(|builder| builder.build())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, lookups, loading);
criterion_main!(benches);
