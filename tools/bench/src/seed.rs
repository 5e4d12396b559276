//! `clientela-bench seed --count N [--url URL] [--key KEY] [--seed S]` (or `cargo xtask seed`):
//! realistic fake customers
//! across many countries, posted through the running API 100 at a time, with a progress bar.
//!
//! The key comes from `--key`, `CLIENTELA_API_KEY`, or `./data/admin.key` (the first start's
//! admin key). The same `--seed` makes the same customers, so a seed run can be repeated
//! (the second run comes back `unchanged`).

mod places;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const BATCH: usize = 100;

#[derive(Debug, Args)]
pub struct SeedArguments {
    /// How many customers to post.
    #[arg(long)]
    count: usize,
    /// The running API.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An API key with write access (else CLIENTELA_API_KEY, else ./data/admin.key).
    #[arg(long)]
    key: Option<String>,
    /// The same seed makes the same customers.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

pub fn run(options: SeedArguments) -> anyhow::Result<()> {
    if options.count == 0 {
        bail!("--count must be at least 1");
    }
    let key = match options.key {
        Some(key) => key,
        None => std::env::var("CLIENTELA_API_KEY").or_else(|_| {
            std::fs::read_to_string(crate::root().join("data/admin.key"))
                .map(|key| key.trim().to_owned())
                .context("no key: pass --key, set CLIENTELA_API_KEY or start the API once")
        })?,
    };
    let client = reqwest::blocking::Client::new();
    let endpoint = format!("{}/customers", options.url.trim_end_matches('/'));
    println!(
        "POST {endpoint} ({} customers, seed {})",
        options.count, options.seed
    );
    let bar = ProgressBar::new(options.count as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} customers ({per_sec}, {eta} left)")
    {
        bar.set_style(style);
    }
    let mut rng = StdRng::seed_from_u64(options.seed);
    let (mut created, mut updated, mut unchanged, mut failed) = (0, 0, 0, 0);
    let mut sent = 0;
    while sent < options.count {
        let size = BATCH.min(options.count - sent);
        let batch: Vec<Value> = (sent..sent + size)
            .map(|index| fake_customer(&mut rng, index))
            .collect();
        let response = client
            .post(&endpoint)
            .bearer_auth(&key)
            .json(&batch)
            .send()
            .with_context(|| format!("could not reach {endpoint}"))?;
        let status = response.status();
        let body: Value = response.json().unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("the API answered {status}: {body}");
        }
        let count = |field: &str| body[field].as_u64().unwrap_or(0);
        created += count("created");
        updated += count("updated");
        unchanged += count("unchanged");
        failed += count("failed");
        sent += size;
        bar.set_position(sent as u64);
    }
    bar.finish_and_clear();
    println!("{created} created, {updated} updated, {unchanged} unchanged, {failed} failed");
    Ok(())
}

/// One customer: a place in some country written the way people write it, and the other
/// fields as shops send them (some left out, as real data has gaps).
pub fn fake_customer(rng: &mut impl Rng, index: usize) -> Value {
    let country = places::COUNTRIES
        .choose(rng)
        .unwrap_or(&places::COUNTRIES[0]);
    let (states, cities) = country.regions.choose(rng).copied().unwrap_or((&[], &[]));
    let mut customer = json!({
        "code": format!("SEED{index:08}"),
    });
    let country_value = if rng.random_ratio(1, 10) {
        json!(country.numeric)
    } else {
        json!(country.forms.choose(rng).copied().unwrap_or("ES"))
    };
    customer["country"] = country_value;
    if rng.random_ratio(4, 5)
        && let Some(state) = states.choose(rng)
    {
        customer["state"] = json!(state);
    }
    if rng.random_ratio(3, 4)
        && let Some(city) = cities.choose(rng)
    {
        customer["city"] = json!(city);
    }
    if rng.random_ratio(9, 10) {
        customer["yearBorn"] = json!(rng.random_range(1940..=2008));
    }
    if rng.random_ratio(4, 5) {
        customer["gender"] = json!(rng.random_range(0..=3));
    }
    if rng.random_ratio(1, 20) {
        customer["isActive"] = json!(false);
    }
    if rng.random_ratio(2, 3) {
        let tiers = ["bronze", "silver", "gold", "platinum"];
        customer["metadata"] = json!({
            "tier": tiers.choose(rng).copied().unwrap_or("bronze"),
            "orders": rng.random_range(0..200),
            "newsletter": rng.random_bool(0.4),
            "currentDiscountRate": format!("{}%", rng.random_range(0..=30)),
        });
    }
    customer
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn seeded_customers_are_valid_and_spread_over_many_countries() {
        let mut rng = StdRng::seed_from_u64(1);
        let customers: Vec<Value> = (0..1000)
            .map(|index| fake_customer(&mut rng, index))
            .collect();
        let mut countries = BTreeSet::new();
        for customer in &customers {
            if let Err(invalid) = clientela_core::parse_customer(customer.clone()) {
                panic!("{customer} is refused: {:?}", invalid.errors);
            }
            countries.insert(customer["country"].to_string());
        }
        assert!(
            countries.len() > 40,
            "many countries and forms: {}",
            countries.len()
        );
        let codes: BTreeSet<&str> = customers
            .iter()
            .filter_map(|c| c["code"].as_str())
            .collect();
        assert_eq!(codes.len(), 1000, "codes are unique");
    }

    #[test]
    fn the_same_seed_makes_the_same_customers() {
        let make = || {
            let mut rng = StdRng::seed_from_u64(42);
            (0..50)
                .map(|index| fake_customer(&mut rng, index))
                .collect::<Vec<_>>()
        };
        assert_eq!(make(), make());
    }
}
