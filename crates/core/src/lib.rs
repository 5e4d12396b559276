//! clientela-core: the customer model, request validation, the merge patch and location
//! resolution. Pure logic with no I/O, shared by the store, the API and the console.
//!
//! Architecture Invariant: nothing in this crate touches the network, the file system or a
//! database; callers hand it values and get values back.

pub mod customer;
pub mod error;
pub mod geo;
pub mod merge;
pub mod patch;
pub mod refusal;
pub mod validate;
pub mod wire;

pub use customer::{Customer, CustomerValues, Gender, Timestamp};
pub use error::FieldError;
pub use merge::{Applied, MergeContext, MergeResult, apply};
pub use patch::CustomerPatch;
pub use refusal::{BatchLength, Refusal};
pub use validate::{InvalidCustomer, parse_customer};

/// Most customers one `POST /customers` may carry.
pub const MAX_BATCH: usize = 100;
/// Longest `code`, and longest `country`, `state` or `city`, in characters.
pub const MAX_TEXT_CHARS: usize = 255;
/// Longest `metadata`, in characters of its compact JSON serialization.
pub const MAX_METADATA_CHARS: usize = 60_000;
/// Deepest `metadata` nesting: the metadata object itself is depth 1.
pub const MAX_METADATA_DEPTH: usize = 32;
/// Earliest accepted `yearBorn`.
pub const MIN_YEAR_BORN: i32 = 1850;
