//! Country spellings the resolver reads with a warning: it takes the country the sources
//! support best, and says what else the spelling could mean. A spelling is doubted when
//! 1. another source gives it to another country, and the cross-check of the sources
//!    (`collisions.rs`, rules 2, 4 and 5: a name as written over one cut from a longer
//!    name, CLDR over another source in its language, a clear lead among translations)
//!    kept it for a country that only translations name so;
//! 2. only translations in one language give it, and fewer than three sources, to a country
//!    in one of the groups of look-alikes below, and that language is not one the country
//!    speaks itself: nothing confirms which of the look-alikes it is, and look-alikes are
//!    where translations get swapped (a Korean writes 한국 for South Korea every day; a
//!    Kazakh translation of it is what a table swapped). The same holds for a country whose
//!    name CLDR writes one letter off another country's in that language, when CLDR does
//!    not give the spelling and it is a variant of CLDR's name (at most two letters off):
//!    iso-codes' Cherokee ᏍᏆᏂᏱ for Spain, beside CLDR's ᎠᏂᏍᏆᏂᏱ (Spain) and ᎠᏂᏍᏆᏂ
//!    (Mexico), is Mexico in a table of country names;
//! 3. only translations give it, and it is the own name of a state of another country
//!    (`Norfolk`, the English county, is Norfolk Island in Czech and Dutch).
//!
//! A country's own names (ISO, English, native, the hand-written aliases) and its codes are
//! never doubted: `Congo`, `Guinea` and `Georgia` resolve without a warning.

use std::collections::{BTreeSet, HashMap};

use clientela_core::geo::gazetteer::{CountryDoubt, DoubtBasis, Gazetteer, NameRank};

use super::collisions::{Claim, Collision, REGION, language};

/// Countries whose names differ by a word or a letter, which translations confuse (the
/// table this builder was checked against files Kazakh "South Korea" under North Korea).
/// Bonaire, Curaçao and Sint Maarten are the parts of the former Netherlands Antilles.
pub const LOOK_ALIKES: &[&[&str]] = &[
    &["CD", "CG"],
    &["KR", "KP"],
    &["MF", "SX"],
    &["BQ", "CW", "SX"],
    &["GN", "GW", "GQ", "GY", "GF"],
    &["NE", "NG"],
    &["DM", "DO"],
    &["VG", "VI"],
    &["SD", "SS"],
    &["WS", "AS"],
    &["SK", "SI"],
];

/// The languages spoken in each country of [`LOOK_ALIKES`] (official or by most people):
/// a country's name in its own language is how its people write it, not a translation
/// to doubt.
const OWN_LANGUAGES: &[(&str, &[&str])] = &[
    ("CD", &["fr", "ln", "sw", "kg", "lu"]),
    ("CG", &["fr", "ln", "kg"]),
    ("KR", &["ko"]),
    ("KP", &["ko"]),
    ("MF", &["fr"]),
    ("SX", &["nl", "en"]),
    ("BQ", &["nl", "pap"]),
    ("CW", &["nl", "pap", "en"]),
    ("GN", &["fr"]),
    ("GW", &["pt"]),
    ("GQ", &["es", "fr", "pt"]),
    ("GY", &["en"]),
    ("GF", &["fr"]),
    ("NE", &["fr", "ha"]),
    ("NG", &["en", "ha", "yo", "ig"]),
    ("DM", &["en"]),
    ("DO", &["es"]),
    ("VG", &["en"]),
    ("VI", &["en"]),
    ("SD", &["ar", "en"]),
    ("SS", &["en"]),
    ("WS", &["sm", "en"]),
    ("AS", &["en", "sm"]),
    ("SK", &["sk"]),
    ("SI", &["sl"]),
];

/// Whether `language` is one `country` (its position) speaks itself.
fn speaks(country: u32, language: Option<&str>, by_alpha2: &HashMap<String, u32>) -> bool {
    let Some(language) = language else {
        return false;
    };
    OWN_LANGUAGES
        .iter()
        .any(|(code, spoken)| by_alpha2.get(*code) == Some(&country) && spoken.contains(&language))
}

/// A translation in one language is confirmed when this many sources give it (CLDR,
/// iso-codes and countries-states-cities all translate country names): "Corée du Sud".
const CORROBORATING_SOURCES: usize = 3;

/// The rules of a collision whose winner a doubt follows (see the module comment).
const WEIGHED_RULES: [u8; 3] = [2, 4, 5];

/// Spellings that only translations give, each to one country: what rule 3 looks at once
/// the states are known.
pub struct Translations(Vec<(String, u32)>);

/// The doubts of rules 1 and 2, and the spellings rule 3 looks at. `kept` are the claims
/// the collisions left, sorted by key.
pub fn of_claims(
    kept: &[Claim],
    collisions: &[Collision],
    by_alpha2: &HashMap<String, u32>,
) -> (Vec<CountryDoubt>, Translations) {
    let mut doubts = Vec::new();
    for collision in collisions {
        let [winner] = collision.kept.as_slice() else {
            continue;
        };
        if !WEIGHED_RULES.contains(&collision.rule) || *winner == REGION {
            continue;
        }
        let own_name = kept.iter().any(|claim| {
            claim.key == collision.key
                && claim.target == *winner
                && claim.rank < NameRank::Alternate
        });
        if own_name {
            continue;
        }
        for (other, _) in &collision.claimed {
            if other != winner && *other != REGION {
                doubts.push(CountryDoubt {
                    key: collision.key.clone(),
                    country: *winner,
                    basis: DoubtBasis::Disputed { other: *other },
                });
            }
        }
    }
    let cldr = CldrNames::of(kept);
    let mut translations = Vec::new();
    for group in kept.chunk_by(|left, right| left.key == right.key) {
        let targets: BTreeSet<u32> = group.iter().map(|claim| claim.target).collect();
        let [country] = targets.into_iter().collect::<Vec<_>>()[..] else {
            continue;
        };
        if country == REGION || group.iter().any(|claim| claim.rank < NameRank::Alternate) {
            continue;
        }
        let key = &group[0].key;
        translations.push((key.clone(), country));
        let languages: BTreeSet<Option<&str>> =
            group.iter().map(|claim| language(&claim.source)).collect();
        let sources: BTreeSet<&str> = group
            .iter()
            .map(|claim| claim.source.split(':').next().unwrap_or_default())
            .collect();
        let own_language = languages
            .iter()
            .all(|language| speaks(country, *language, by_alpha2));
        if languages.len() == 1 && sources.len() < CORROBORATING_SOURCES && !own_language {
            let mut others = look_alikes(country, by_alpha2);
            let from_cldr = group
                .iter()
                .any(|claim| claim.source.starts_with(CLDR_SOURCE));
            if let (false, Some(Some(language))) = (from_cldr, languages.first()) {
                others.extend(cldr.look_alikes(language, country, key));
            }
            for other in others {
                doubts.push(CountryDoubt {
                    key: key.clone(),
                    country,
                    basis: DoubtBasis::OneLanguage { other },
                });
            }
        }
    }
    (doubts, Translations(translations))
}

/// The source tag prefix of CLDR's translations ("cldr:fr").
const CLDR_SOURCE: &str = "cldr:";

/// CLDR's names of the countries in each language, folded: the reference a language's other
/// translations are read against (as in `collisions.rs`, rule 4).
struct CldrNames<'a>(HashMap<&'a str, Vec<(u32, &'a str)>>);

impl<'a> CldrNames<'a> {
    fn of(kept: &'a [Claim]) -> Self {
        let mut names: HashMap<&str, Vec<(u32, &str)>> = HashMap::new();
        for claim in kept {
            if !claim.source.starts_with(CLDR_SOURCE) || claim.target == REGION || claim.derived {
                continue;
            }
            if let Some(language) = language(&claim.source) {
                names
                    .entry(language)
                    .or_default()
                    .push((claim.target, claim.key.as_str()));
            }
        }
        for found in names.values_mut() {
            found.sort_unstable();
            found.dedup();
        }
        CldrNames(names)
    }

    /// The countries CLDR names in `language` one letter away from a name it gives
    /// `country` there, when `spelling` is a variant of that name (at most
    /// [`VARIANT_LETTERS`] letters off): a variant of one of two look-alikes may be a
    /// variant of the other. Cherokee ᏍᏆᏂᏱ (iso-codes: Spain) is two letters off CLDR's
    /// ᎠᏂᏍᏆᏂᏱ (Spain), one letter off its ᎠᏂᏍᏆᏂ (Mexico). Names shorter than
    /// [`LOOK_ALIKE_LETTERS`] are left out: 中国 and 美国 are not look-alikes.
    fn look_alikes(&self, language: &str, country: u32, spelling: &str) -> BTreeSet<u32> {
        let Some(names) = self.0.get(language) else {
            return BTreeSet::new();
        };
        let long_enough = |key: &str| key.chars().count() >= LOOK_ALIKE_LETTERS;
        let own: Vec<&str> = names
            .iter()
            .filter(|(target, key)| {
                *target == country
                    && long_enough(key)
                    && strsim::levenshtein(key, spelling) <= VARIANT_LETTERS
            })
            .map(|(_, key)| *key)
            .collect();
        names
            .iter()
            .filter(|(target, key)| {
                *target != country
                    && long_enough(key)
                    && own.iter().any(|name| strsim::levenshtein(name, key) <= 1)
            })
            .map(|(target, _)| *target)
            .collect()
    }
}

/// The shortest CLDR name (in letters) that [`CldrNames::look_alikes`] compares.
const LOOK_ALIKE_LETTERS: usize = 4;

/// How many letters a spelling may be off a CLDR name to count as a variant of it.
const VARIANT_LETTERS: usize = 2;

/// The countries in a group of look-alikes with `country`.
fn look_alikes(country: u32, by_alpha2: &HashMap<String, u32>) -> BTreeSet<u32> {
    let position = |code: &&str| by_alpha2.get(*code).copied();
    LOOK_ALIKES
        .iter()
        .filter(|group| group.iter().filter_map(position).any(|at| at == country))
        .flat_map(|group| group.iter().filter_map(position))
        .filter(|other| *other != country)
        .collect()
}

/// The doubts of rule 3: translations that are a state's own name in another country (not
/// in the country the translated one belongs to: Puerto Rico is a US state too).
pub fn of_state_names(translations: &Translations, gazetteer: &Gazetteer) -> Vec<CountryDoubt> {
    let mut doubts = Vec::new();
    for (key, country) in &translations.0 {
        if key.chars().count() < 4 {
            continue;
        }
        let sovereign = gazetteer
            .countries
            .get(*country as usize)
            .and_then(|record| record.sovereign);
        for (state, rank) in gazetteer.state_names.get(key) {
            let Some(record) = gazetteer.states.get(state as usize) else {
                continue;
            };
            let elsewhere = record.country != *country && Some(record.country) != sovereign;
            if rank < NameRank::Alternate && elsewhere {
                doubts.push(CountryDoubt {
                    key: key.clone(),
                    country: *country,
                    basis: DoubtBasis::StateName { state },
                });
            }
        }
    }
    doubts
}

/// All doubts in the order the resolver searches them, each once.
pub fn sorted(mut doubts: Vec<CountryDoubt>) -> Vec<CountryDoubt> {
    doubts.sort_by(|left, right| {
        (left.key.as_str(), left.country, left.basis).cmp(&(
            right.key.as_str(),
            right.country,
            right.basis,
        ))
    });
    doubts.dedup();
    doubts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(key: &str, target: u32, rank: NameRank, source: &str) -> Claim {
        Claim {
            key: key.into(),
            target,
            rank,
            source: source.into(),
            derived: false,
        }
    }

    fn codes() -> HashMap<String, u32> {
        [("KR", 1), ("KP", 2), ("FR", 3)]
            .into_iter()
            .map(|(code, at)| (code.to_owned(), at))
            .collect()
    }

    #[test]
    fn one_languages_translation_of_a_look_alike_is_doubted() {
        let kept = vec![
            claim("ontustikkoreia", 1, NameRank::Alternate, "cldr:kk"),
            claim("ontustikkoreia", 1, NameRank::Alternate, "iso-codes:kk"),
            claim("sudkorea", 1, NameRank::Alternate, "cldr:de"),
            claim("sudkorea", 1, NameRank::Alternate, "cldr:lb"),
            claim("coreedusud", 1, NameRank::Alternate, "cldr:fr"),
            claim("coreedusud", 1, NameRank::Alternate, "iso-codes:fr"),
            claim(
                "coreedusud",
                1,
                NameRank::Alternate,
                "countries-states-cities:fr",
            ),
            claim("southkorea", 1, NameRank::Native, "aliases"),
            claim("southkorea", 1, NameRank::Alternate, "cldr:fy"),
            claim("frankreich", 3, NameRank::Alternate, "cldr:de"),
            // South Korea in Korean, its own language: how its people write it.
            claim("hangug", 1, NameRank::Alternate, "cldr:ko"),
        ];
        let (doubts, _) = of_claims(&kept, &[], &codes());
        assert_eq!(
            doubts,
            vec![CountryDoubt {
                key: "ontustikkoreia".into(),
                country: 1,
                basis: DoubtBasis::OneLanguage { other: 2 },
            }]
        );
    }

    #[test]
    fn another_sources_translation_of_a_country_cldr_names_like_another_is_doubted() {
        // CLDR's Cherokee names of Spain (3) and Mexico (4) are one letter apart; iso-codes
        // writes Spain otherwise in Cherokee, and nothing else confirms it.
        let mut codes = codes();
        codes.insert("ES".into(), 3);
        codes.insert("MX".into(), 4);
        codes.remove("FR");
        let kept = vec![
            claim("ᏍᏆᏂᏱ", 3, NameRank::Alternate, "iso-codes:chr"),
            claim("ᎠᏂᏍᏆᏂᏱ", 3, NameRank::Alternate, "cldr:chr"),
            claim("ᎠᏂᏍᏆᏂ", 4, NameRank::Alternate, "cldr:chr"),
            // Written otherwise in a language where the two are not alike: no doubt.
            claim("espagne", 3, NameRank::Alternate, "iso-codes:fr"),
            claim("espagne", 3, NameRank::Alternate, "cldr:fr"),
            claim("spanje", 3, NameRank::Alternate, "iso-codes:nl"),
            claim("spanje", 3, NameRank::Alternate, "cldr:nl"),
            claim("mexique", 4, NameRank::Alternate, "cldr:fr"),
        ];
        let mut kept = kept;
        kept.sort_by(|left, right| left.key.cmp(&right.key));
        let (doubts, _) = of_claims(&kept, &[], &codes);
        assert_eq!(
            doubts,
            vec![CountryDoubt {
                key: "ᏍᏆᏂᏱ".into(),
                country: 3,
                basis: DoubtBasis::OneLanguage { other: 4 },
            }]
        );
    }

    #[test]
    fn edit_distance_counts_letters_not_bytes() {
        assert_eq!(strsim::levenshtein("ᎠᏂᏍᏆᏂᏱ", "ᎠᏂᏍᏆᏂ"), 1);
        assert_eq!(strsim::levenshtein("ᏍᏆᏂᏱ", "ᎠᏂᏍᏆᏂᏱ"), 2);
        assert_eq!(strsim::levenshtein("ᏍᏆᏂᏱ", "ᎠᏂᏍᏆᏂ"), 3);
        assert_eq!(strsim::levenshtein("gambia", "zambia"), 1);
        assert_eq!(strsim::levenshtein("niger", "nigeria"), 2);
        assert_eq!(strsim::levenshtein("", "iran"), 4);
    }

    #[test]
    fn a_spelling_the_cross_check_settled_is_doubted_unless_it_is_an_own_name() {
        let kept = vec![
            claim("giana", 1, NameRank::Alternate, "cldr:ps"),
            claim("congo", 2, NameRank::Primary, "iso-codes"),
        ];
        let collisions = vec![
            Collision {
                key: "giana".into(),
                claimed: vec![(1, 1), (3, 1)],
                kept: vec![1],
                rule: 4,
            },
            Collision {
                key: "congo".into(),
                claimed: vec![(1, 1), (2, 1)],
                kept: vec![2],
                rule: 2,
            },
        ];
        let (doubts, _) = of_claims(&kept, &collisions, &HashMap::new());
        assert_eq!(
            doubts,
            vec![CountryDoubt {
                key: "giana".into(),
                country: 1,
                basis: DoubtBasis::Disputed { other: 3 },
            }]
        );
    }
}
