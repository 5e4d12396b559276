//! Resolves one place from the command line and prints the result as JSON:
//! `cargo run -p clientela-core --example geo_resolve -- COUNTRY STATE CITY` ("" for none);
//! with `GEO_OVERLAY=<folder of a countries-states-cities export>` it loads that overlay.

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

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let field = |index: usize| {
        arguments
            .get(index)
            .map(String::as_str)
            .filter(|text| !text.is_empty())
    };
    let resolution = resolver().resolve(&GeoInput {
        country: field(0),
        state: field(1),
        city: field(2),
    });
    println!(
        "{}",
        serde_json::json!({"location": resolution.location, "warnings": resolution.warnings})
    );
}
