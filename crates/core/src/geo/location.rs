//! What the resolver reads and answers: the three fields as sent, the [`Location`] it
//! makes of them (stored with the customer and returned by the API), and the warnings that
//! say what it could not read or had to choose.

use serde::{Deserialize, Serialize};

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
    /// Several places matched: a town chosen by population, or a region chosen over the
    /// districts inside it; otherwise none was chosen, and never one of several countries
    /// (or of states of several countries when no country was sent). Also a country read
    /// from a doubtful spelling (the sources dispute it, one language alone gives it to one
    /// of several look-alikes, or it is a state's own name elsewhere), with what else it
    /// may mean.
    Ambiguous,
    /// Found, but not inside the country or state also given.
    Contradiction,
    /// Not found as written; read from a close spelling: a state's name within the country
    /// given, or a country's name ("did you mean").
    Approximate,
}
