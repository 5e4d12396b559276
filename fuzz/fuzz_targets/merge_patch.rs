//! Fuzz target: two customer objects (JSON, separated by a NUL byte), the first creating a
//! customer and the second patching it, as two POSTs of one code would.
//!
//! Invariants: nothing panics; the merged customer obeys the limits (metadata size and
//! depth hold on the merged result, not only on the patch); applying the same patch again
//! changes nothing (`Unchanged`, same customer): a retried POST is safe.

#![no_main]

use std::sync::OnceLock;

use clientela_core::geo::Resolver;
use clientela_core::merge::{MergeContext, MergeResult, apply};
use clientela_core::validate::check_metadata;
use clientela_core::{CustomerPatch, Timestamp, parse_customer};
use libfuzzer_sys::fuzz_target;

static RESOLVER: OnceLock<Resolver> = OnceLock::new();

fn patch_from(bytes: &[u8]) -> Option<CustomerPatch> {
    parse_customer(serde_json::from_slice(bytes).ok()?).ok()
}

fuzz_target!(|input: &[u8]| {
    let mut parts = input.splitn(2, |byte| *byte == 0);
    let (Some(first), Some(second)) = (parts.next(), parts.next()) else {
        return;
    };
    let (Some(create), Some(mut patch)) = (patch_from(first), patch_from(second)) else {
        return;
    };
    patch.code.clone_from(&create.code);
    let resolver = RESOLVER.get_or_init(Resolver::builtin);
    let context = MergeContext {
        now: Timestamp(1_700_000_000_000_000),
        resolver,
        strict_geo: false,
    };
    let later = MergeContext {
        now: Timestamp(1_700_000_000_000_001),
        ..context
    };
    let Ok(created) = apply(None, &create, &context) else {
        return;
    };
    let Ok(merged) = apply(Some(&created.customer), &patch, &later) else {
        return;
    };
    if let Some(metadata) = &merged.customer.metadata {
        assert!(check_metadata(metadata).is_ok(), "limits hold on the merged result");
    }
    let again = apply(Some(&merged.customer), &patch, &later);
    let again = again.unwrap_or_else(|errors| panic!("a patch that applied once fails again: {errors:?}"));
    assert_eq!(again.result, MergeResult::Unchanged, "the patch is idempotent");
    assert_eq!(again.customer, merged.customer);
});
