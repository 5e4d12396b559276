//! Resolves one place from the command line and prints the result as JSON:
//! `cargo run -p clientela-core --example geo_resolve -- COUNTRY STATE CITY` ("" for none);
//! with no arguments, one place per line of standard input (`{"country","state","city"}`,
//! one JSON answer per line, as `clientela-api geo resolve` does without the API's build).
//! With `GEO_OVERLAY=<folder of a countries-states-cities export>` it loads that overlay.

use clientela_core::geo::{CSC_OVERLAY_FILES, GeoInput, Resolver};

fn resolver() -> Resolver {
    let Some(dir) = std::env::var_os("GEO_OVERLAY").map(std::path::PathBuf::from) else {
        return Resolver::builtin();
    };
    let texts: Vec<String> = CSC_OVERLAY_FILES
        .iter()
        .map(|file| std::fs::read_to_string(dir.join(file)).unwrap_or_default())
        .collect();
    match Resolver::builder().overlay_csc(&texts[0], &texts[1], &texts[2]) {
        Ok(builder) => builder.build(),
        Err(error) => {
            eprintln!("overlay not loaded: {error}");
            Resolver::builtin()
        }
    }
}

fn answer(resolver: &Resolver, input: &GeoInput<'_>) -> serde_json::Value {
    let resolution = resolver.resolve(input);
    serde_json::json!({"location": resolution.location, "warnings": resolution.warnings})
}

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let resolver = resolver();
    if arguments.is_empty() {
        use std::io::BufRead;
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            let place: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            let field = |name: &str| place.get(name).and_then(serde_json::Value::as_str);
            let input = GeoInput {
                country: field("country"),
                state: field("state"),
                city: field("city"),
            };
            println!("{}", answer(&resolver, &input));
        }
        return;
    }
    let field = |index: usize| {
        arguments
            .get(index)
            .map(String::as_str)
            .filter(|text| !text.is_empty())
    };
    let input = GeoInput {
        country: field(0),
        state: field(1),
        city: field(2),
    };
    println!("{}", answer(&resolver, &input));
}
