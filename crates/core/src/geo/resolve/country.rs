//! The `country` field: the one country a value names, or a warning saying why none was
//! taken, or what else the one taken could be.

use crate::geo::gazetteer::DoubtBasis;
use crate::geo::location::{GeoField, GeoWarning, WarningKind};
use crate::geo::lookup::Places;
use crate::geo::lookup::country::CountryReading;

impl Places {
    /// The country a `country` value names. Never a choice between countries: a value that
    /// names several stays unresolved, every one named in the warning.
    pub(super) fn choose_country(&self, text: &str, warnings: &mut Vec<GeoWarning>) -> Option<u32> {
        let warning = |kind, message| GeoWarning {
            field: GeoField::Country,
            kind,
            message,
        };
        match self.country_reading(text) {
            CountryReading::Found(country) => Some(country),
            CountryReading::Doubted { country, doubts } => {
                warnings.push(warning(
                    WarningKind::Ambiguous,
                    self.doubt_message(text, country, &doubts),
                ));
                Some(country)
            }
            CountryReading::NearMiss(country) => {
                warnings.push(warning(
                    WarningKind::Approximate,
                    format!(
                        "`{text}` is not a known country name; did you mean {}? Read as {}",
                        self.country_name(country),
                        self.country_label(country)
                    ),
                ));
                Some(country)
            }
            CountryReading::Several { countries, unread } => {
                let unread = unread
                    .map(|text| format!("; `{text}` says nothing that tells them apart"))
                    .unwrap_or_default();
                warnings.push(warning(
                    WarningKind::Ambiguous,
                    format!(
                        "`{text}` may mean {}{unread}; send the ISO code; kept as sent",
                        self.country_list(&countries)
                    ),
                ));
                None
            }
            CountryReading::Contradiction {
                countries,
                qualifier,
            } => {
                warnings.push(warning(
                    WarningKind::Ambiguous,
                    format!(
                        "`{text}`: `{qualifier}` does not fit the rest ({}); send the ISO \
                         code; kept as sent",
                        self.country_list(&countries)
                    ),
                ));
                None
            }
            CountryReading::Region => {
                warnings.push(warning(
                    WarningKind::Unresolved,
                    format!("`{text}` names a region, not a country; kept as sent"),
                ));
                None
            }
            CountryReading::Unknown => {
                warnings.push(self.unresolved(GeoField::Country, text));
                None
            }
        }
    }

    /// The warning on a country read from a spelling the gazetteer doubts: what else it
    /// could mean, and why.
    fn doubt_message(&self, text: &str, country: u32, doubts: &[DoubtBasis]) -> String {
        let mut others: Vec<String> = Vec::new();
        let mut reasons: Vec<&str> = Vec::new();
        for doubt in doubts {
            let (other, reason) = match *doubt {
                DoubtBasis::Disputed { other } => (
                    self.country_label(other),
                    "the sources give this spelling to both",
                ),
                DoubtBasis::OneLanguage { other } => (
                    self.country_label(other),
                    "only one language's translation gives this spelling, to one of several \
                     countries with look-alike names",
                ),
                DoubtBasis::StateName { state } => (
                    format!(
                        "{} in {}",
                        self.state_label(state),
                        self.state_country(state)
                            .map_or_else(String::new, |of| self.country_name(of).to_owned())
                    ),
                    "only translations give this spelling to the country, and it is the state's \
                     own name",
                ),
            };
            if !others.contains(&other) {
                others.push(other);
            }
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        let others = match others.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => others.concat(),
        };
        format!(
            "`{text}` is read as {}, but may mean {others} ({}); send the ISO code to be sure",
            self.country_label(country),
            reasons.join("; ")
        )
    }
}
