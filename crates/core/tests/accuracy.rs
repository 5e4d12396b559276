//! The resolver scored on the accuracy cases in `tests/data/geo-cases.tsv` (written by
//! `cargo xtask gazetteer cases` from sources independent of the gazetteer where one
//! exists), per input kind, with the built-in gazetteer and with the reference overlay.
//! `cargo test -p clientela-core --test accuracy -- --nocapture` prints the report that
//! docs/places-accuracy.md records.
//!
//! A case is *correct* when the field it is about resolves to the expected place, *wrong*
//! when it resolves to another one, *missed* when it stays unresolved. For cases about
//! values that are no place (or that contradict the country) the only correct outcome is
//! unresolved; resolving one counts as wrong and as a negative resolved.

mod common;
#[path = "common/reference.rs"]
mod reference;

use std::collections::BTreeMap;

use reference::{ReferenceCase, reference_cases};

use clientela_core::geo::{GeoField, GeoInput, Resolution, Resolver, WarningKind};

const CASES: &str = include_str!("data/geo-cases.tsv");

/// Kinds scored but kept out of the accuracy target: the contract asks for state names in
/// English or the native language, and these are translations into others (German, French,
/// Spanish), which the open data carries only in part.
const BEYOND_CONTRACT: &[&str] = &["state-translation"];

/// How far (in degrees) a resolved city may lie from the expected coordinates: the
/// sources put a city's point in different spots of it.
const CITY_TOLERANCE_DEGREES: f64 = 0.3;

struct Case {
    kind: String,
    country: Option<String>,
    state: Option<String>,
    city: Option<String>,
    expected: String,
    /// For a state: its WikiData ID, which also identifies it (see `reference`).
    expected_wikidata: Option<String>,
}

/// The committed cases.
fn cases() -> Vec<Case> {
    let given = |value: &str| Some(value.to_owned()).filter(|value| !value.is_empty());
    CASES
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [kind, country, state, city, expected, ..] = fields.as_slice() else {
                return None;
            };
            Some(Case {
                kind: (*kind).to_owned(),
                country: given(country),
                state: given(state),
                city: given(city),
                expected: (*expected).to_owned(),
                expected_wikidata: None,
            })
        })
        .collect()
}

/// The committed cases and those made from the reference extract (see `common::reference`),
/// or `None` where CLIENTELA_GEO_REFERENCE is not set.
fn cases_with_reference() -> Option<Vec<Case>> {
    let builtin = Resolver::builtin();
    let reference = reference_cases(|alpha2| builtin.fips_country_code(alpha2).map(str::to_owned))?;
    let mut all = cases();
    all.extend(reference.into_iter().map(
        |ReferenceCase {
             kind,
             country,
             state,
             city,
             expected,
             expected_wikidata,
         }| Case {
            kind: format!("{kind} (csc)"),
            country,
            state,
            city,
            expected,
            expected_wikidata,
        },
    ));
    Some(all)
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

/// Whether a bare number was left unresolved as ambiguous with a warning naming the
/// expected state: what the contract asks for where the number is both an ISO 3166-2 suffix
/// and another state's FIPS 10-4 code, so it counts as correct for a case about either code.
fn left_ambiguous_naming(case: &Case, resolution: &Resolution) -> bool {
    let bare_number = case
        .state
        .as_deref()
        .is_some_and(|state| state.bytes().all(|byte| byte.is_ascii_digit()));
    bare_number
        && resolution.location.state.is_none()
        && resolution.warnings.iter().any(|warning| {
            warning.field == GeoField::State
                && warning.kind == WarningKind::Ambiguous
                && warning.message.contains(&format!("({})", case.expected))
        })
}

fn judge(case: &Case, resolution: &Resolution) -> Outcome {
    let location = &resolution.location;
    let kind = case.kind.as_str();
    let field = if let Some(negative) = kind.strip_prefix("not-a-") {
        negative
    } else {
        kind
    };
    let field = field.split('-').next().unwrap_or_default();
    let found: Option<String> = match field {
        "country" => location
            .country
            .as_ref()
            .map(|country| country.code.clone()),
        "state" => location.state.as_ref().map(|state| {
            let same_item =
                case.expected_wikidata.is_some() && state.wikidata_id == case.expected_wikidata;
            if same_item {
                case.expected.clone()
            } else {
                state.code.clone()
            }
        }),
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
    if field == "state" && !is_negative(kind) && left_ambiguous_naming(case, resolution) {
        return Outcome::Correct;
    }
    let Some(found) = found else {
        return if is_negative(kind) {
            Outcome::Correct
        } else {
            Outcome::Missed
        };
    };
    if is_negative(kind) {
        return Outcome::Wrong;
    }
    let matches = if field == "city" {
        same_city(&found, &case.expected)
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

/// The mark of the kinds made from the reference extract (see `reference`).
const REFERENCE: &str = " (csc)";

struct Score {
    by_kind: BTreeMap<String, Tally>,
    /// Every committed case of the kinds the contract covers.
    overall: Tally,
    /// Every case made from the reference extract.
    reference: Tally,
    /// Every case, translations included.
    everything: Tally,
    /// Values that are no place resolved, among the committed cases.
    negatives_resolved: usize,
    /// The same among the cases from the reference extract.
    reference_negatives_resolved: usize,
    wrong_examples: Vec<String>,
}

fn score(resolver: &Resolver, cases: &[Case]) -> Score {
    let mut score = Score {
        by_kind: BTreeMap::new(),
        overall: Tally::default(),
        reference: Tally::default(),
        everything: Tally::default(),
        negatives_resolved: 0,
        reference_negatives_resolved: 0,
        wrong_examples: Vec::new(),
    };
    for case in cases {
        let resolution = resolver.resolve(&GeoInput {
            country: case.country.as_deref(),
            state: case.state.as_deref(),
            city: case.city.as_deref(),
        });
        let outcome = judge(case, &resolution);
        score
            .by_kind
            .entry(case.kind.clone())
            .or_default()
            .add(outcome);
        score.everything.add(outcome);
        if case.kind.ends_with(REFERENCE) {
            score.reference.add(outcome);
        } else if !BEYOND_CONTRACT.contains(&case.kind.as_str()) {
            score.overall.add(outcome);
        }
        if outcome == Outcome::Missed && std::env::var_os("GEO_ACCURACY_MISSES").is_some() {
            eprintln!(
                "missed: {} {:?}/{:?}/{:?} expected {}",
                case.kind, case.country, case.state, case.city, case.expected
            );
        }
        if outcome == Outcome::Wrong {
            if is_negative(&case.kind) && case.kind.ends_with(REFERENCE) {
                score.reference_negatives_resolved += 1;
            } else if is_negative(&case.kind) {
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
        let marker = if BEYOND_CONTRACT.contains(&kind.as_str()) {
            " (beyond the contract)"
        } else {
            ""
        };
        text.push_str(&row(&format!("{kind}{marker}"), tally));
    }
    text.push_str(&row(
        "**committed cases, all kinds the contract covers**",
        &score.overall,
    ));
    if score.reference.cases > 0 {
        text.push_str(&row(
            "**cases from the reference extract (csc)**",
            &score.reference,
        ));
    }
    text.push_str(&row("**all cases**", &score.everything));
    let kinds = score.by_kind.len().max(1) as f64;
    let macro_average: f64 = score
        .by_kind
        .values()
        .map(|tally| tally.percent(tally.correct))
        .sum::<f64>()
        / kinds;
    text.push_str(&format!(
        "\nMean of the per-kind accuracies: {macro_average:.1}%. Negatives resolved: {} \
         (committed cases), {} (cases from the reference extract).\n",
        score.negatives_resolved, score.reference_negatives_resolved
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

/// The committed cases, with those from the reference extract where it is present.
fn every_case() -> Vec<Case> {
    cases_with_reference().unwrap_or_else(|| {
        common::skipped();
        cases()
    })
}

/// The targets of docs/places-accuracy.md, on the committed cases: at least 97% correct over the
/// kinds the contract covers, at most 0.3% wrong, and no value that is no place (or
/// contradicts the country) resolved.
fn assert_targets(score: &Score) {
    assert_eq!(score.negatives_resolved, 0, "negatives resolved");
    let wrong = score.overall.percent(score.overall.wrong);
    assert!(wrong <= 0.3, "{wrong:.2}% wrong");
    let correct = score.overall.percent(score.overall.correct);
    assert!(correct >= 97.0, "{correct:.2}% correct");
}

/// On the cases from the reference extract: at least `least_correct`% correct, at most
/// `most_wrong`% wrong, at most `most_negatives` negatives resolved. docs/places-accuracy.md says
/// why the built-in gazetteer alone stays below the committed cases' target here.
fn assert_reference(score: &Score, least_correct: f64, most_wrong: f64, most_negatives: usize) {
    if score.reference.cases == 0 {
        return common::skipped();
    }
    let correct = score.reference.percent(score.reference.correct);
    assert!(correct >= least_correct, "{correct:.2}% correct");
    let wrong = score.reference.percent(score.reference.wrong);
    assert!(wrong <= most_wrong, "{wrong:.2}% wrong");
    assert!(
        score.reference_negatives_resolved <= most_negatives,
        "{} negatives resolved",
        score.reference_negatives_resolved
    );
}

#[test]
fn the_builtin_gazetteer_alone_meets_the_accuracy_targets() {
    let score = score(&Resolver::builtin(), &every_case());
    print("Built-in gazetteer alone", &score);
    assert_targets(&score);
    // Measured 86.9% correct, 0.88% wrong and 1 negative (a FIPS code newer than the
    // registry data): a floor against regressions, not a target met.
    assert_reference(&score, 86.0, 1.0, 1);
}

#[test]
fn with_the_overlay_the_resolver_meets_the_accuracy_targets() {
    let Some(resolver) = common::with_csc_overlay() else {
        return common::skipped();
    };
    let score = score(resolver, &every_case());
    print(
        "Built-in gazetteer with the countries-states-cities overlay",
        &score,
    );
    assert_targets(&score);
    assert_reference(&score, 97.0, 0.3, 0);
}
