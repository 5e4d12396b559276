//! Recognizing the shape of a sent value before looking it up: a WikiData ID, an ISO or FIPS
//! code, a number, or a placeholder that stands for "no value".

/// The number of a WikiData item ID such as `Q29` or `q29`; `Q0` and `Q` are not IDs.
pub(super) fn wikidata_number(text: &str) -> Option<u32> {
    let digits = text.strip_prefix(['Q', 'q'])?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|number| *number > 0)
}

/// An ISO 3166-1 numeric code written as digits, with or without leading zeros ("4", "004").
pub(super) fn numeric_code(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse()
        .ok()
        .filter(|number| (1..=999).contains(number))
}

/// Two or three ASCII letters, upper-cased: the shape of an alpha-2 or alpha-3 code.
pub(super) fn letter_code(text: &str, length: usize) -> Option<String> {
    (text.len() == length && text.bytes().all(|byte| byte.is_ascii_alphabetic()))
        .then(|| text.to_ascii_uppercase())
}

/// An ISO 3166-2 code ("ES-B", "us-ca", "GB-ENG"), upper-cased.
pub(super) fn subdivision_code(text: &str) -> Option<String> {
    let (country, subdivision) = text.split_once('-')?;
    let is_code = country.len() == 2
        && country.bytes().all(|byte| byte.is_ascii_alphabetic())
        && (1..=3).contains(&subdivision.len())
        && subdivision.bytes().all(|byte| byte.is_ascii_alphanumeric());
    is_code.then(|| text.to_ascii_uppercase())
}

/// The country-relative part of an ISO 3166-2 or FIPS 10-4 code ("B", "CA", "56", "6").
pub(super) fn relative_code(text: &str) -> Option<String> {
    let is_code =
        (1..=3).contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_alphanumeric());
    is_code.then(|| text.to_ascii_uppercase())
}

/// A FIPS 10-4 subdivision code is two characters; a single digit is read with its zero.
pub(super) fn fips_relative(code: &str) -> Option<String> {
    match code.len() {
        1 if code.bytes().all(|byte| byte.is_ascii_digit()) => Some(format!("0{code}")),
        2 => Some(code.to_owned()),
        _ => None,
    }
}

/// A full FIPS 10-4 subdivision code ("SP56"): the FIPS country code and two characters of
/// which at least one is a digit, so that four-letter names such as "Utah" are not read as
/// codes.
pub(super) fn full_fips(text: &str) -> Option<(String, String)> {
    if text.len() != 4 || !text.is_ascii() {
        return None;
    }
    let (country, subdivision) = text.split_at(2);
    let is_code = country.bytes().all(|byte| byte.is_ascii_alphabetic())
        && subdivision.bytes().all(|byte| byte.is_ascii_alphanumeric())
        && subdivision.bytes().any(|byte| byte.is_ascii_digit());
    is_code.then(|| {
        (
            country.to_ascii_uppercase(),
            subdivision.to_ascii_uppercase(),
        )
    })
}

/// Values people send when they have no place: they must never match one, even where a
/// folded form would (`N/A` folds to `na`, Namibia's code).
pub(super) fn is_placeholder(text: &str) -> bool {
    const PLACEHOLDERS: &[&str] = &[
        "n/a",
        "n.a.",
        "n.a",
        "na.",
        "none",
        "null",
        "nil",
        "nan",
        "undefined",
        "unknown",
        "unkown",
        "not applicable",
        "not available",
        "not specified",
        "unspecified",
        "other",
        "others",
        "test",
        "tbd",
        "tba",
        "xx",
        "xxx",
        "zz",
        "zzz",
        "anywhere",
        "nowhere",
        "somewhere",
        "various",
        "world",
        "worldwide",
        "international",
        "earth",
        "default",
        "missing",
        "empty",
        "blank",
        "yes",
        "true",
        "false",
        "0",
        "00",
        "000",
    ];
    let lowered = text.trim().to_lowercase();
    !lowered.chars().any(char::is_alphanumeric) || PLACEHOLDERS.contains(&lowered.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wikidata_ids_are_q_and_a_positive_number() {
        assert_eq!(wikidata_number("Q29"), Some(29));
        assert_eq!(wikidata_number("q11355"), Some(11_355));
        assert_eq!(wikidata_number("Q0"), None);
        assert_eq!(wikidata_number("Q"), None);
        assert_eq!(wikidata_number("Qatar"), None);
    }

    #[test]
    fn numeric_codes_take_leading_zeros_and_refuse_zero() {
        assert_eq!(numeric_code("004"), Some(4));
        assert_eq!(numeric_code("4"), Some(4));
        assert_eq!(numeric_code("724"), Some(724));
        assert_eq!(numeric_code("0"), None);
        assert_eq!(numeric_code("12345"), None);
    }

    #[test]
    fn subdivision_codes_need_a_country_and_a_short_suffix() {
        assert_eq!(subdivision_code("es-b").as_deref(), Some("ES-B"));
        assert_eq!(subdivision_code("GB-ENG").as_deref(), Some("GB-ENG"));
        assert_eq!(subdivision_code("Baden-Württemberg"), None);
        assert_eq!(subdivision_code("ES-ABCD"), None);
    }

    #[test]
    fn full_fips_codes_need_a_digit() {
        assert_eq!(full_fips("sp56"), Some(("SP".to_owned(), "56".to_owned())));
        assert_eq!(full_fips("Utah"), None);
        assert_eq!(full_fips("Peru"), None);
    }

    #[test]
    fn a_single_digit_fips_code_gets_its_zero() {
        assert_eq!(fips_relative("6").as_deref(), Some("06"));
        assert_eq!(fips_relative("56").as_deref(), Some("56"));
        assert_eq!(fips_relative("123"), None);
    }

    #[test]
    fn placeholders_are_recognized_but_codes_are_not_placeholders() {
        for placeholder in ["N/A", "-", "unknown", "  ", "ZZ", "?", "None"] {
            assert!(is_placeholder(placeholder), "{placeholder}");
        }
        for place in ["NA", "NO", "Namibia", "ES", "Zug"] {
            assert!(!is_placeholder(place), "{place}");
        }
    }
}
