//! The numeric-state-code rule, whole: a country-relative code in `state` that is both the
//! suffix of one state's ISO 3166-2 code and another state's FIPS 10-4 code (`"country":
//! "JP", "state": "29"`: ISO JP-29 is Nara, FIPS JA29 is Niigata). The policy an operator
//! sets ([`NumericStateCodes`], `geo.numeric_state_codes`), the decision it makes
//! ([`NumericStateCodes::read`], called where state codes are looked up in `lookup.rs`), and
//! the warnings that say what was done ([`left_unread`], [`read_as_iso`], given by
//! `resolve.rs`).
//!
//! Where only one reading exists it is taken whatever the policy says (US `"06"` is FIPS for
//! California; there is no US-06), and a code whose two readings nest (a province and the
//! region around it) is no conflict: both are found and the region is chosen.

use serde::{Deserialize, Serialize};

use super::location::{GeoField, GeoWarning, WarningKind};

/// How a bare number in `state` is read where it names one state as an ISO 3166-2 suffix and
/// another as a FIPS 10-4 code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumericStateCodes {
    /// Neither: the state stays unresolved with an `ambiguous` warning naming both.
    #[default]
    Ambiguous,
    /// The ISO 3166-2 reading.
    Iso,
    /// The FIPS 10-4 reading, the form the API page documents for bare numbers.
    Fips,
}

/// Which reading a code with two readings gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reading {
    /// The ISO 3166-2 state; `warn` when the other reading should be mentioned.
    Iso { warn: bool },
    /// The FIPS 10-4 state.
    Fips,
    /// Neither: the value stays unresolved, both named.
    Neither,
}

impl NumericStateCodes {
    /// The decision. A code with letters ("B", "CA") is read as ISO, by far the more common
    /// standard (FIPS 10-4 was withdrawn in 2008), with a warning naming the FIPS reading; a
    /// bare number follows the policy, silently where the operator chose a reading.
    pub(super) fn read(self, code: &str) -> Reading {
        let bare_number = code.bytes().all(|byte| byte.is_ascii_digit());
        match (bare_number, self) {
            (false, _) => Reading::Iso { warn: true },
            (true, NumericStateCodes::Iso) => Reading::Iso { warn: false },
            (true, NumericStateCodes::Fips) => Reading::Fips,
            (true, NumericStateCodes::Ambiguous) => Reading::Neither,
        }
    }
}

/// The warning for a bare number left unread: both readings, and how to say which is meant.
pub(super) fn left_unread(text: &str, iso: &str, fips: &str) -> GeoWarning {
    GeoWarning {
        field: GeoField::State,
        kind: WarningKind::Ambiguous,
        message: format!(
            "`{text}` is ISO 3166-2 {iso} but FIPS 10-4 {fips}; send the full ISO code or the \
             state's name (or set geo.numeric_state_codes); kept as sent"
        ),
    }
}

/// The warning for a code with letters read as ISO where FIPS would name another state.
pub(super) fn read_as_iso(text: &str, iso: &str, fips: &str) -> GeoWarning {
    GeoWarning {
        field: GeoField::State,
        kind: WarningKind::Ambiguous,
        message: format!(
            "`{text}` read as ISO 3166-2 {iso}; as a FIPS 10-4 code it would be {fips}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_number_follows_the_policy() {
        assert_eq!(NumericStateCodes::Ambiguous.read("29"), Reading::Neither);
        assert_eq!(
            NumericStateCodes::Iso.read("29"),
            Reading::Iso { warn: false }
        );
        assert_eq!(NumericStateCodes::Fips.read("29"), Reading::Fips);
    }

    #[test]
    fn a_code_with_letters_is_read_as_iso_whatever_the_policy() {
        for policy in [
            NumericStateCodes::Ambiguous,
            NumericStateCodes::Iso,
            NumericStateCodes::Fips,
        ] {
            assert_eq!(policy.read("B1"), Reading::Iso { warn: true });
        }
    }
}
