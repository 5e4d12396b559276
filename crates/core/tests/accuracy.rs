//! The resolver scored on the accuracy cases in `tests/data/geo-cases.tsv` (written by
//! `cargo xtask gazetteer cases` from sources independent of the gazetteer where one
//! exists), per input kind, with the built-in gazetteer and with the shared overlay.
//! `cargo test -p clientela-core --test accuracy -- --nocapture` prints the report that
//! GEO-ACCURACY.md records.
//!
//! A case is *correct* when the field it is about resolves to the expected place, *wrong*
//! when it resolves to another one, *missed* when it stays unresolved. For cases about
//! values that are no place (or that contradict the country) the only correct outcome is
//! unresolved; resolving one counts as wrong and as a negative resolved.

mod common;

use std::collections::BTreeMap;

use clientela_core::geo::{GeoInput, Location, Resolver};

const CASES: &str = include_str!("data/geo-cases.tsv");

/// Kinds scored but kept out of the accuracy target: the contract asks for state names in
/// English or the native language, and these are translations into others (German, French,
/// Spanish), which the open data carries only in part.
const BEYOND_CONTRACT: &[&str] = &["state-translation"];

/// How far (in degrees) a resolved city may lie from the expected coordinates: the
/// sources put a city's point in different spots of it.
const CITY_TOLERANCE_DEGREES: f64 = 0.3;

struct Case<'a> {
    kind: &'a str,
    country: Option<&'a str>,
    state: Option<&'a str>,
    city: Option<&'a str>,
    expected: &'a str,
}

fn cases() -> Vec<Case<'static>> {
    let given = |value: &'static str| Some(value).filter(|value| !value.is_empty());
    CASES
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [kind, country, state, city, expected, ..] = fields.as_slice() else {
                return None;
            };
            Some(Case {
                kind,
                country: given(country),
                state: given(state),
                city: given(city),
                expected,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Correct,
    Wrong,
    Missed,
}

fn is_negative(kind: &str) -> bool {
    kind.starts_with("not-a-") || kind.contains("contradicting")
}

fn judge(case: &Case<'_>, location: &Location) -> Outcome {
    let field = case.kind.split('-').next().unwrap_or_default();
    let field = if case.kind.starts_with("not-a-") {
        case.kind.trim_start_matches("not-a-")
    } else {
        field
    };
    let found: Option<String> = match field {
        "country" => location
            .country
            .as_ref()
            .map(|country| country.code.clone()),
        "state" => location.state.as_ref().map(|state| state.code.clone()),
        _ => location.city.as_ref().map(|city| {
            let country = location
                .country
                .as_ref()
                .map_or("", |country| country.code.as_str());
            format!(
                "{country} {} {}",
                city.lat.unwrap_or(0.0),
                city.lon.unwrap_or(0.0)
            )
        }),
    };
    let Some(found) = found else {
        return if is_negative(case.kind) {
            Outcome::Correct
        } else {
            Outcome::Missed
        };
    };
    if is_negative(case.kind) {
        return Outcome::Wrong;
    }
    let matches = if field == "city" {
        same_city(&found, case.expected)
    } else {
        found == case.expected
    };
    if matches {
        Outcome::Correct
    } else {
        Outcome::Wrong
    }
}

/// "CC lat lon" against "CC lat lon": same country, near enough.
fn same_city(found: &str, expected: &str) -> bool {
    let parse = |text: &str| -> Option<(String, f64, f64)> {
        let mut parts = text.split(' ');
        Some((
            parts.next()?.to_owned(),
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
        ))
    };
    match (parse(found), parse(expected)) {
        (Some((found_country, found_lat, found_lon)), Some((country, lat, lon))) => {
            found_country == country
                && (found_lat - lat).abs() <= CITY_TOLERANCE_DEGREES
                && (found_lon - lon).abs() <= CITY_TOLERANCE_DEGREES
        }
        _ => false,
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    cases: usize,
    correct: usize,
    wrong: usize,
    missed: usize,
}

impl Tally {
    fn add(&mut self, outcome: Outcome) {
        self.cases += 1;
        match outcome {
            Outcome::Correct => self.correct += 1,
            Outcome::Wrong => self.wrong += 1,
            Outcome::Missed => self.missed += 1,
        }
    }

    fn percent(&self, count: usize) -> f64 {
        if self.cases == 0 {
            return 0.0;
        }
        count as f64 * 100.0 / self.cases as f64
    }
}

struct Score {
    by_kind: BTreeMap<&'static str, Tally>,
    /// Every case of the kinds the contract covers.
    overall: Tally,
    /// Every case, translations included.
    everything: Tally,
    negatives_resolved: usize,
    wrong_examples: Vec<String>,
}

fn score(resolver: &Resolver) -> Score {
    let mut score = Score {
        by_kind: BTreeMap::new(),
        overall: Tally::default(),
        everything: Tally::default(),
        negatives_resolved: 0,
        wrong_examples: Vec::new(),
    };
    for case in cases() {
        let resolution = resolver.resolve(&GeoInput {
            country: case.country,
            state: case.state,
            city: case.city,
        });
        let outcome = judge(&case, &resolution.location);
        score.by_kind.entry(case.kind).or_default().add(outcome);
        score.everything.add(outcome);
        if !BEYOND_CONTRACT.contains(&case.kind) {
            score.overall.add(outcome);
        }
        if outcome == Outcome::Missed && std::env::var_os("GEO_ACCURACY_MISSES").is_some() {
            eprintln!(
                "missed: {} {:?}/{:?}/{:?} expected {}",
                case.kind, case.country, case.state, case.city, case.expected
            );
        }
        if outcome == Outcome::Wrong {
            if is_negative(case.kind) {
                score.negatives_resolved += 1;
            }
            score.wrong_examples.push(format!(
                "{} {:?}/{:?}/{:?} expected {} got {}",
                case.kind,
                case.country,
                case.state,
                case.city,
                case.expected,
                serde_json::to_string(&resolution.location).unwrap_or_default()
            ));
        }
    }
    score
}

fn report(title: &str, score: &Score) -> String {
    let mut text = format!(
        "### {title}\n\n| kind | cases | correct | wrong | missed |\n|---|---:|---:|---:|---:|\n"
    );
    let row = |name: &str, tally: &Tally| {
        format!(
            "| {name} | {} | {:.1}% | {:.2}% | {:.1}% |\n",
            tally.cases,
            tally.percent(tally.correct),
            tally.percent(tally.wrong),
            tally.percent(tally.missed)
        )
    };
    for (kind, tally) in &score.by_kind {
        let marker = if BEYOND_CONTRACT.contains(kind) {
            " (beyond the contract)"
        } else {
            ""
        };
        text.push_str(&row(&format!("{kind}{marker}"), tally));
    }
    text.push_str(&row("**all kinds the contract covers**", &score.overall));
    text.push_str(&row("**all cases**", &score.everything));
    let kinds = score.by_kind.len().max(1) as f64;
    let macro_average: f64 = score
        .by_kind
        .values()
        .map(|tally| tally.percent(tally.correct))
        .sum::<f64>()
        / kinds;
    text.push_str(&format!(
        "\nMean of the per-kind accuracies: {macro_average:.1}%. Negatives resolved: {}.\n",
        score.negatives_resolved
    ));
    text
}

fn print(title: &str, score: &Score) {
    println!("{}", report(title, score));
    for example in &score.wrong_examples {
        eprintln!("wrong: {example}");
    }
}

#[test]
fn the_case_set_is_large_and_covers_every_input_kind() {
    let cases = cases();
    assert!(cases.len() >= 2_000, "{} cases", cases.len());
    for kind in [
        "country-alpha2",
        "country-alpha3",
        "country-numeric",
        "country-name",
        "country-wikidata",
        "state-iso-3166-2",
        "state-fips-in-country",
        "state-fips-full",
        "state-name-in-country",
        "state-wikidata",
        "city-name-in-country",
        "city-name-alone",
        "city-wikidata",
        "not-a-country",
    ] {
        assert!(cases.iter().any(|case| case.kind == kind), "no {kind} case");
    }
}

#[test]
fn the_builtin_gazetteer_is_rarely_wrong_and_never_resolves_a_non_place() {
    let score = score(&Resolver::builtin());
    print("Built-in gazetteer", &score);
    assert_eq!(score.negatives_resolved, 0);
    assert!(score.everything.percent(score.everything.wrong) <= 0.5);
}

#[test]
fn with_the_overlay_the_resolver_meets_the_accuracy_targets() {
    let Some(resolver) = common::with_csc_overlay() else {
        return common::skipped();
    };
    let score = score(resolver);
    print(
        "Built-in gazetteer with the countries-states-cities overlay",
        &score,
    );
    assert_eq!(score.negatives_resolved, 0);
    assert!(score.everything.percent(score.everything.wrong) <= 0.5);
    assert!(score.overall.percent(score.overall.correct) >= 97.0);
}
