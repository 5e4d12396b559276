//! The built-in place data: ISO 3166-1 countries and ISO 3166-2 subdivisions with their
//! English names, from the `rust_iso3166` crate. It knows no cities and no WikiData IDs.

use std::collections::HashMap;

use rust_iso3166::CountryCode;
use rust_iso3166::iso3166_2::Subdivision;

use super::{CountryRef, GeoField, GeoInput, GeoWarning, Resolution, StateRef, WarningKind, fold};

#[derive(Debug)]
pub(super) struct IsoData {
    /// Folded English name, alpha-2, alpha-3 and numeric code → country.
    countries: HashMap<String, CountryCode>,
}

impl IsoData {
    pub(super) fn load() -> IsoData {
        let mut countries = HashMap::new();
        for country in rust_iso3166::ALL {
            for key in [country.name, country.alpha2, country.alpha3] {
                countries.insert(fold(key), *country);
            }
            countries.insert(country.numeric.to_string(), *country);
        }
        IsoData { countries }
    }

    fn country(&self, text: &str) -> Option<CountryCode> {
        let folded = fold(text);
        let unpadded = folded.trim_start_matches('0');
        self.countries
            .get(&folded)
            .or_else(|| self.countries.get(unpadded))
            .copied()
    }

    pub(super) fn resolve(&self, input: &GeoInput<'_>) -> Resolution {
        let mut resolution = Resolution::default();
        let mut country = None;
        if let Some(text) = input.country {
            country = self.country(text);
            if country.is_none() {
                resolution
                    .warnings
                    .push(unresolved(GeoField::Country, text));
            }
        }
        if let Some(text) = input.state {
            match subdivision(text, country) {
                Ok(state) => {
                    if country.is_none() && input.country.is_none() {
                        country = rust_iso3166::from_alpha2(state.country_code);
                    }
                    resolution.location.state = Some(state_ref(&state));
                }
                Err(warning) => resolution.warnings.push(warning),
            }
        }
        if let Some(text) = input.city {
            resolution.warnings.push(GeoWarning {
                field: GeoField::City,
                kind: WarningKind::Unresolved,
                message: format!("no city data is loaded to resolve `{text}`; kept as sent"),
            });
        }
        resolution.location.country = country.map(|country| country_ref(&country));
        resolution
    }
}

/// A subdivision by ISO 3166-2 code, or by name or code suffix within `country`.
fn subdivision(text: &str, country: Option<CountryCode>) -> Result<Subdivision, GeoWarning> {
    let trimmed = text.trim().to_uppercase();
    if let Some(state) = rust_iso3166::iso3166_2::from_code(&trimmed) {
        return match country {
            Some(country) if country.alpha2 != state.country_code => Err(GeoWarning {
                field: GeoField::State,
                kind: WarningKind::Contradiction,
                message: format!(
                    "`{text}` is in {}, not in {}",
                    state.country_name, country.name
                ),
            }),
            _ => Ok(state),
        };
    }
    let folded = fold(text);
    let states = country
        .as_ref()
        .and_then(CountryCode::subdivisions)
        .unwrap_or_default();
    states
        .iter()
        .find(|state| fold(state.name) == folded || fold(state.region_code) == folded)
        .copied()
        .ok_or_else(|| unresolved(GeoField::State, text))
}

fn unresolved(field: GeoField, text: &str) -> GeoWarning {
    GeoWarning {
        field,
        kind: WarningKind::Unresolved,
        message: format!("`{text}` is not a known {}; kept as sent", field.name()),
    }
}

fn country_ref(country: &CountryCode) -> CountryRef {
    CountryRef {
        code: country.alpha2.to_owned(),
        alpha3: country.alpha3.to_owned(),
        name: country.name.to_owned(),
        wikidata_id: None,
    }
}

fn state_ref(state: &Subdivision) -> StateRef {
    StateRef {
        code: state.code.to_owned(),
        name: state.name.to_owned(),
        wikidata_id: None,
    }
}
