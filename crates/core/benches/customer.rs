//! Criterion benchmarks of the write path's pure steps: parsing a request body, validating
//! a customer, applying its merge patch.

use std::hint::black_box;

use clientela_core::geo::Resolver;
use clientela_core::merge::{MergeContext, apply};
use clientela_core::{Timestamp, parse_customer};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

fn seed(number: usize) -> Value {
    json!({
        "code": format!("D314K{number:06}"),
        "country": "ES",
        "state": "Barcelona",
        "city": "Barcelona",
        "yearBorn": 1990,
        "gender": 2,
        "metadata": {"currentDiscountRate": "10%", "isNew": true, "segment": "vip",
                     "lastOrder": {"id": "O000001234", "total": 99.99}}
    })
}

fn parse_and_validate(criterion: &mut Criterion) {
    let batch = serde_json::to_vec(&Value::Array((0..100).map(seed).collect())).unwrap_or_default();
    criterion.bench_function("parse a 100-customer body (JSON)", |bencher| {
        bencher.iter(|| serde_json::from_slice::<Value>(black_box(&batch)).ok())
    });
    let one = seed(1);
    criterion.bench_function("validate one customer", |bencher| {
        bencher.iter(|| parse_customer(black_box(one.clone())).ok())
    });
}

fn merge(criterion: &mut Criterion) {
    let resolver = Resolver::builtin();
    let context = MergeContext {
        now: Timestamp(1),
        resolver: &resolver,
        strict_geo: false,
    };
    let created = parse_customer(seed(1))
        .ok()
        .and_then(|patch| apply(None, &patch, &context).ok());
    let Some(stored) = created.map(|applied| applied.customer) else {
        return;
    };
    let update =
        parse_customer(json!({"code": "D314K000001", "metadata": {"isNew": false, "visits": 3}}));
    let Ok(update) = update else {
        return;
    };
    criterion.bench_function("merge a metadata patch (no place change)", |bencher| {
        bencher.iter(|| apply(Some(black_box(&stored)), black_box(&update), &context).ok())
    });
    let Ok(new) = parse_customer(seed(2)) else {
        return;
    };
    criterion.bench_function("create a customer (resolves its place)", |bencher| {
        bencher.iter(|| apply(None, black_box(&new), &context).ok())
    });
}

criterion_group!(benches, parse_and_validate, merge);
criterion_main!(benches);
