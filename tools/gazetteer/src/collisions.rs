//! Spellings that point at two countries (or at a country and a region): found while the
//! name table is built, settled by cross-checking the sources, and reported.
//!
//! Every name comes with where it came from (a source and, for translations, its language).
//! A spelling claimed for two targets is settled by these rules, in order:
//! 1. a hand-written alias decides (`countries.rs`, reviewed one by one);
//! 2. a name as a source writes it beats one derived from a longer name (the part before a
//!    comma: "Kongo" from "Kongo, Demokratische Republik" is no name of that country);
//! 3. a country's own name (its ISO or English name, its native name) beats a translation;
//! 4. in one language, CLDR's name is the reference: another source's translation into that
//!    language that CLDR gives to another country is that source's mistake (iso-codes'
//!    Kannada name of Mexico is CLDR's Kannada name of Honduras);
//! 5. among translations, the target that many more sources and languages give the spelling
//!    to keeps it ([`CLEAR_LEAD`] times the support of the next): one wrong translation
//!    does not outvote the truth, and a real split stays a split;
//! 6. a region among what is left wins: the spelling names no country then.
//!
//! What is left with two countries stays in the table for both, and the resolver answers
//! such a value as ambiguous. The builder prints how many spellings collided and how many
//! stayed ambiguous, and writes each decision to `target/gazetteer-collisions.tsv`.

use std::collections::{BTreeMap, BTreeSet};

use clientela_core::geo::gazetteer::NameRank;

/// The target of a claim that a spelling names a region, not a country.
pub const REGION: u32 = u32::MAX;

/// The source tag of the hand-written aliases.
pub const HAND_WRITTEN: &str = "aliases";

/// How many times the support of the next target the most supported one needs to keep a
/// spelling that only translations claim.
pub const CLEAR_LEAD: usize = 4;

/// One source's claim that a spelling names a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The folded spelling.
    pub key: String,
    pub target: u32,
    pub rank: NameRank,
    /// Where it came from: "iso-codes", "cldr:fr", "aliases" …
    pub source: String,
    /// Derived from a longer name rather than written so by the source.
    pub derived: bool,
}

/// A spelling claimed for more than one target, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    pub key: String,
    /// Each target with the number of sources that claim it.
    pub claimed: Vec<(u32, usize)>,
    pub kept: Vec<u32>,
    /// The rule that settled it (1 to 6), or 0 when it stays ambiguous.
    pub rule: u8,
}

/// The claims kept, and every collision met.
pub fn settle(mut claims: Vec<Claim>) -> (Vec<Claim>, Vec<Collision>) {
    claims.sort_by(|left, right| left.key.cmp(&right.key));
    let mut kept = Vec::with_capacity(claims.len());
    let mut collisions = Vec::new();
    let mut start = 0;
    while start < claims.len() {
        let end = start
            + claims[start..]
                .iter()
                .take_while(|claim| claim.key == claims[start].key)
                .count();
        let group = &claims[start..end];
        let targets: BTreeSet<u32> = group.iter().map(|claim| claim.target).collect();
        if targets.len() == 1 {
            kept.extend_from_slice(group);
        } else {
            let (winners, rule) = decide(group);
            collisions.push(Collision {
                key: group[0].key.clone(),
                claimed: targets
                    .iter()
                    .map(|target| (*target, support(group, *target, false)))
                    .collect(),
                kept: winners.iter().copied().collect(),
                rule,
            });
            kept.extend(
                group
                    .iter()
                    .filter(|claim| winners.contains(&claim.target))
                    .cloned(),
            );
        }
        start = end;
    }
    (kept, collisions)
}

/// How many distinct sources claim `target` for the group's spelling (as written, unless
/// `derived_too`).
fn support(group: &[Claim], target: u32, derived_too: bool) -> usize {
    group
        .iter()
        .filter(|claim| claim.target == target && (derived_too || !claim.derived))
        .map(|claim| claim.source.as_str())
        .collect::<BTreeSet<_>>()
        .len()
}

/// The targets that keep a spelling several claim, and the rule that chose them.
fn decide(group: &[Claim]) -> (BTreeSet<u32>, u8) {
    let targets_where = |keep: &dyn Fn(&Claim) -> bool| -> BTreeSet<u32> {
        group
            .iter()
            .filter(|claim| keep(claim))
            .map(|claim| claim.target)
            .collect()
    };
    let all = targets_where(&|_| true);
    let by_hand = targets_where(&|claim| claim.source == HAND_WRITTEN);
    if !by_hand.is_empty() {
        return (by_hand, 1);
    }
    let written = targets_where(&|claim| !claim.derived);
    let nothing_written = written.is_empty();
    let (candidates, mut rule) = if nothing_written || written == all {
        (all, 0)
    } else {
        (written, 2)
    };
    if candidates.len() == 1 {
        return (candidates, rule);
    }
    let own = targets_where(&|claim| {
        candidates.contains(&claim.target) && !claim.derived && claim.rank < NameRank::Alternate
    });
    let (candidates, derived_too) = if own.is_empty() {
        (candidates, nothing_written)
    } else {
        rule = 3;
        (own, false)
    };
    if candidates.len() == 1 {
        return (candidates, rule);
    }
    let not_cldr_mistakes: BTreeSet<u32> = group
        .iter()
        .filter(|claim| candidates.contains(&claim.target) && !contradicts_cldr(group, claim))
        .map(|claim| claim.target)
        .collect();
    let candidates = if not_cldr_mistakes.len() < candidates.len() && !not_cldr_mistakes.is_empty()
    {
        rule = 4;
        not_cldr_mistakes
    } else {
        candidates
    };
    if candidates.len() == 1 {
        return (candidates, rule);
    }
    let mut supported: Vec<(usize, u32)> = candidates
        .iter()
        .map(|target| (support(group, *target, derived_too), *target))
        .collect();
    supported.sort_unstable_by(|left, right| right.cmp(left));
    if let [(best, target), (next, _), ..] = supported.as_slice()
        && *best >= CLEAR_LEAD * (*next).max(1)
    {
        return ([*target].into(), 5);
    }
    if candidates.contains(&REGION) {
        return ([REGION].into(), 6);
    }
    (candidates, 0)
}

/// The language of a translation's source ("kn" for "iso-codes:kn", "pt" for "cldr:pt-PT").
pub fn language(source: &str) -> Option<&str> {
    let (_, locale) = source.split_once(':')?;
    locale.split(['_', '-']).next()
}

/// Whether `claim` is another source's translation that CLDR, in the same language, gives to
/// another target.
fn contradicts_cldr(group: &[Claim], claim: &Claim) -> bool {
    if claim.source.starts_with("cldr:") {
        return false;
    }
    let Some(own_language) = language(&claim.source) else {
        return false;
    };
    let cldr_targets: BTreeSet<u32> = group
        .iter()
        .filter(|other| {
            other.source.starts_with("cldr:") && language(&other.source) == Some(own_language)
        })
        .map(|other| other.target)
        .collect();
    !cldr_targets.is_empty() && !cldr_targets.contains(&claim.target)
}

/// The decisions as tab-separated lines (spelling, claimed targets with their support,
/// kept targets, rule), targets named by `name`.
pub fn report(collisions: &[Collision], name: impl Fn(u32) -> String) -> String {
    let mut text = String::from("spelling\tclaimed\tkept\trule\n");
    for collision in collisions {
        let claimed: Vec<String> = collision
            .claimed
            .iter()
            .map(|(target, support)| format!("{} {support}", name(*target)))
            .collect();
        let kept: Vec<String> = collision.kept.iter().map(|target| name(*target)).collect();
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            collision.key,
            claimed.join(", "),
            kept.join(", "),
            collision.rule
        ));
    }
    text
}

/// Counts of collisions by the rule that settled them (0: left ambiguous).
pub fn tally(collisions: &[Collision]) -> BTreeMap<u8, usize> {
    let mut counts = BTreeMap::new();
    for collision in collisions {
        *counts.entry(collision.rule).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(key: &str, target: u32, rank: NameRank, source: &str, derived: bool) -> Claim {
        Claim {
            key: key.into(),
            target,
            rank,
            source: source.into(),
            derived,
        }
    }

    fn kept_targets(claims: Vec<Claim>) -> Vec<u32> {
        let (kept, _) = settle(claims);
        let targets: BTreeSet<u32> = kept.iter().map(|claim| claim.target).collect();
        targets.into_iter().collect()
    }

    #[test]
    fn one_wrong_translation_does_not_outvote_the_truth() {
        let mut claims: Vec<Claim> = (0..8)
            .map(|language| {
                claim(
                    "kongo",
                    1,
                    NameRank::Alternate,
                    &format!("cldr:{language}"),
                    false,
                )
            })
            .collect();
        claims.push(claim("kongo", 2, NameRank::Alternate, "cldr:xx", false));
        assert_eq!(kept_targets(claims), vec![1]);
    }

    #[test]
    fn a_real_split_between_translations_stays_ambiguous() {
        let claims = vec![
            claim("toga", 1, NameRank::Alternate, "cldr:a", false),
            claim("toga", 1, NameRank::Alternate, "cldr:b", false),
            claim("toga", 2, NameRank::Alternate, "cldr:c", false),
        ];
        assert_eq!(kept_targets(claims), vec![1, 2]);
    }

    #[test]
    fn a_name_as_written_beats_one_cut_from_a_longer_name() {
        let claims = vec![
            claim("congo", 1, NameRank::Primary, "iso-codes", false),
            claim("congo", 2, NameRank::Primary, "iso-codes", true),
            claim("congo", 2, NameRank::Alternate, "cldr:a", true),
        ];
        assert_eq!(kept_targets(claims), vec![1]);
    }

    #[test]
    fn a_countrys_own_name_beats_a_translation() {
        let claims = vec![
            claim("dominica", 1, NameRank::Primary, "iso-codes", false),
            claim("dominica", 2, NameRank::Alternate, "cldr:a", false),
        ];
        assert_eq!(kept_targets(claims), vec![1]);
    }

    #[test]
    fn cldr_is_the_reference_for_its_language() {
        let claims = vec![
            claim(
                "hondurasinkannada",
                1,
                NameRank::Alternate,
                "cldr:kn",
                false,
            ),
            claim(
                "hondurasinkannada",
                1,
                NameRank::Alternate,
                "iso-codes:kn",
                false,
            ),
            claim(
                "hondurasinkannada",
                2,
                NameRank::Alternate,
                "iso-codes:kn",
                false,
            ),
        ];
        assert_eq!(kept_targets(claims), vec![1]);
    }

    #[test]
    fn a_hand_written_alias_decides() {
        let mut claims: Vec<Claim> = (0..9)
            .map(|language| {
                claim(
                    "america",
                    REGION,
                    NameRank::Alternate,
                    &format!("cldr:{language}"),
                    false,
                )
            })
            .collect();
        claims.push(claim("america", 1, NameRank::Native, HAND_WRITTEN, false));
        assert_eq!(kept_targets(claims), vec![1]);
    }

    #[test]
    fn a_spelling_shared_evenly_with_a_region_names_no_country() {
        let claims = vec![
            claim("mikronesia", 1, NameRank::Alternate, "cldr:a", false),
            claim("mikronesia", 1, NameRank::Alternate, "cldr:b", false),
            claim("mikronesia", REGION, NameRank::Alternate, "cldr:c", false),
        ];
        assert_eq!(kept_targets(claims), vec![REGION]);
    }

    #[test]
    fn every_collision_is_reported_with_its_rule() {
        let claims = vec![
            claim("toga", 1, NameRank::Alternate, "cldr:a", false),
            claim("toga", 2, NameRank::Alternate, "cldr:c", false),
            claim("tonga", 2, NameRank::Primary, "iso-codes", false),
        ];
        let (_, collisions) = settle(claims);
        assert_eq!(collisions.len(), 1);
        assert_eq!(collisions[0].rule, 0);
        let text = report(&collisions, |target| format!("#{target}"));
        assert_eq!(text.lines().nth(1), Some("toga\t#1 1, #2 1\t#1, #2\t0"));
    }
}
