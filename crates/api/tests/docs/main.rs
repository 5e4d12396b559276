//! The documents held to the product: the settings reference and the sample configuration to
//! the settings the code reads, the curl examples of README.md and docs/api.md to what a real
//! server answers, the change feed's follower to what it prints, and the metrics table to
//! what `/metrics` exports. One test binary; each test starts its own server.

#![expect(
    clippy::expect_used,
    reason = "in the harness a failed setup step is a failed test, said with its reason"
)]

#[path = "../api/support.rs"]
#[allow(
    dead_code,
    unused_imports,
    unused_macros,
    reason = "the API tests' harness, of which these tests use the server alone"
)]
mod support;

mod examples;
mod markdown;
mod settings;

use std::path::{Path, PathBuf};

/// A file of the repository, by its path from the root.
pub fn repository_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

pub fn read_repository_file(path: &str) -> String {
    std::fs::read_to_string(repository_file(path)).expect(path)
}
