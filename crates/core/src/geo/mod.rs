//! Location resolution: what `country`, `state` and `city` as sent mean.
//!
//! [`Resolver::resolve`] is the one entry point the rest of the workspace uses; the
//! [`Location`] it fills is stored with the customer and returned by the API. The data behind
//! it lives in submodules, so a richer gazetteer can replace them without touching callers.

mod fold;
mod iso;

use serde::{Deserialize, Serialize};

pub use fold::fold;

/// The three place fields as a customer sent them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GeoInput<'a> {
    pub country: Option<&'a str>,
    pub state: Option<&'a str>,
    pub city: Option<&'a str>,
}

/// What the resolver made of a [`GeoInput`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub country: Option<CountryRef>,
    pub state: Option<StateRef>,
    pub city: Option<CityRef>,
    pub status: LocationStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CountryRef {
    /// ISO 3166-1 alpha-2.
    pub code: String,
    pub alpha3: String,
    pub name: String,
    pub wikidata_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StateRef {
    /// ISO 3166-2.
    pub code: String,
    pub name: String,
    pub wikidata_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CityRef {
    pub name: String,
    pub wikidata_id: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// `resolved`: every part sent was understood; `partial`: some were; `unresolved`: none
/// were; `empty`: nothing was sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LocationStatus {
    Resolved,
    Partial,
    Unresolved,
    #[default]
    Empty,
}

/// A location and what the caller should be told about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolution {
    pub location: Location,
    pub warnings: Vec<GeoWarning>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeoWarning {
    pub field: GeoField,
    pub kind: WarningKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum GeoField {
    Country,
    State,
    City,
}

impl GeoField {
    pub fn name(self) -> &'static str {
        match self {
            GeoField::Country => "country",
            GeoField::State => "state",
            GeoField::City => "city",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WarningKind {
    /// Not found in the data; kept as sent.
    Unresolved,
    /// Several places matched and one was chosen.
    Ambiguous,
    /// Found, but not inside the country or state also given.
    Contradiction,
}

/// Turns place names and codes into a [`Location`]. Cheap to share: build it once at start.
#[derive(Debug)]
pub struct Resolver {
    data: iso::IsoData,
}

impl Resolver {
    /// The resolver over the data built into the binary.
    pub fn builtin() -> Resolver {
        Resolver {
            data: iso::IsoData::load(),
        }
    }

    pub fn resolve(&self, input: &GeoInput<'_>) -> Resolution {
        fn given(value: Option<&str>) -> Option<&str> {
            value.filter(|text| !text.trim().is_empty())
        }
        let input = GeoInput {
            country: given(input.country),
            state: given(input.state),
            city: given(input.city),
        };
        let mut resolution = self.data.resolve(&input);
        resolution.location.status = status_of(&input, &resolution.location);
        resolution
    }
}

fn status_of(input: &GeoInput<'_>, location: &Location) -> LocationStatus {
    let parts = [
        (input.country.is_some(), location.country.is_some()),
        (input.state.is_some(), location.state.is_some()),
        (input.city.is_some(), location.city.is_some()),
    ];
    let sent = parts.iter().filter(|(sent, _)| *sent).count();
    let understood = parts.iter().filter(|(sent, found)| *sent && *found).count();
    match (sent, understood) {
        (0, _) => LocationStatus::Empty,
        (_, 0) => LocationStatus::Unresolved,
        (sent, understood) if sent == understood => LocationStatus::Resolved,
        _ => LocationStatus::Partial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(country: Option<&str>, state: Option<&str>, city: Option<&str>) -> Resolution {
        Resolver::builtin().resolve(&GeoInput {
            country,
            state,
            city,
        })
    }

    #[test]
    fn country_code_and_state_name_resolve_the_seed_example() {
        let resolution = resolve(Some("ES"), Some("Barcelona"), None);
        let location = resolution.location;
        assert_eq!(
            location.country.map(|country| country.alpha3).as_deref(),
            Some("ESP")
        );
        assert_eq!(
            location.state.map(|state| state.code).as_deref(),
            Some("ES-B")
        );
        assert_eq!(location.status, LocationStatus::Resolved);
        assert!(resolution.warnings.is_empty());
    }

    #[test]
    fn every_iso_country_form_resolves_to_spain() {
        for form in ["ES", "es", "ESP", "724", "Spain", " spain "] {
            let location = resolve(Some(form), None, None).location;
            assert_eq!(
                location.country.map(|c| c.code).as_deref(),
                Some("ES"),
                "{form}"
            );
        }
    }

    #[test]
    fn an_iso_subdivision_code_implies_its_country() {
        let location = resolve(None, Some("ES-B"), None).location;
        assert_eq!(location.country.map(|c| c.code).as_deref(), Some("ES"));
        assert_eq!(location.state.map(|s| s.name).as_deref(), Some("Barcelona"));
    }

    #[test]
    fn a_state_of_another_country_is_a_contradiction() {
        let resolution = resolve(Some("FR"), Some("ES-B"), None);
        assert!(resolution.location.state.is_none());
        assert_eq!(resolution.location.status, LocationStatus::Partial);
        assert_eq!(resolution.warnings[0].kind, WarningKind::Contradiction);
    }

    #[test]
    fn garbage_stays_unresolved_with_a_warning() {
        let resolution = resolve(Some("Atlantis"), None, None);
        assert_eq!(resolution.location.status, LocationStatus::Unresolved);
        assert_eq!(resolution.warnings[0].field, GeoField::Country);
    }

    #[test]
    fn nothing_sent_is_empty() {
        assert_eq!(
            resolve(None, Some("  "), None).location.status,
            LocationStatus::Empty
        );
    }
}
