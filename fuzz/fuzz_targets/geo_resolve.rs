//! Fuzz target: the location resolver on arbitrary country, state and city texts
//! (separated by NUL bytes).
//!
//! Invariants: nothing panics, and every input resolves in bounded time (`cargo xtask fuzz`
//! runs libFuzzer with `-timeout`, so a slow input is reported as a crash).

#![no_main]

use std::sync::OnceLock;

use clientela_core::geo::{GeoInput, LocationStatus, Resolver};
use libfuzzer_sys::fuzz_target;

static RESOLVER: OnceLock<Resolver> = OnceLock::new();

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let mut parts = text.split('\0');
    let geo = GeoInput {
        country: parts.next(),
        state: parts.next(),
        city: parts.next(),
    };
    let resolution = RESOLVER.get_or_init(Resolver::builtin).resolve(&geo);
    let location = &resolution.location;
    if location.status == LocationStatus::Empty {
        assert!(location.country.is_none() && location.state.is_none() && location.city.is_none());
    }
});
