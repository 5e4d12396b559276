//! Inflates the committed gazetteer (`data/gazetteer.bin`, deflate) into `OUT_DIR` once per
//! build, so the binary embeds it ready to decode and start-up skips decompression, the
//! larger half of loading it.

use std::path::PathBuf;

fn main() {
    let source = PathBuf::from("data/gazetteer.bin");
    println!("cargo::rerun-if-changed={}", source.display());
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        panic!("cargo sets OUT_DIR for build scripts");
    };
    let compressed = match std::fs::read(&source) {
        Ok(bytes) => bytes,
        Err(error) => panic!("cannot read {}: {error}", source.display()),
    };
    let raw = match miniz_oxide::inflate::decompress_to_vec(&compressed) {
        Ok(raw) => raw,
        Err(error) => panic!(
            "{} is not deflate data ({error:?}); run `cargo xtask gazetteer`",
            source.display()
        ),
    };
    if let Err(error) = std::fs::write(out_dir.join("gazetteer.postcard"), raw) {
        panic!("cannot write the inflated gazetteer: {error}");
    }
}
