//! The JSON bodies of the HTTP API besides the customer itself, shared by the server, which
//! writes them, and the console, which reads them.

use serde::{Deserialize, Serialize};

use crate::customer::Customer;
use crate::geo::GeoWarning;
use crate::merge::MergeResult;

/// `POST /customers` with one object: 200.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SingleResponse {
    pub code: String,
    pub result: MergeResult,
    pub customer: Customer,
    pub warnings: Vec<GeoWarning>,
}

/// `POST /customers` with an array: 200, one entry per item, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResponse {
    pub results: Vec<BatchItem>,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
}

/// One item of a batch: `result` and `warnings` when it was applied, `error` when not: the
/// problem document the same customer would have been answered alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchItem {
    pub index: usize,
    /// The code the item named; absent when it named none.
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<MergeResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<GeoWarning>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// `GET /customers`: a page ordered by code and the cursor of the next one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListPage {
    pub items: Vec<Customer>,
    pub next: Option<String>,
    /// The cursor of the page before this one (`before=`), when this page was asked for
    /// with a cursor and more may come before it; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// How many customers the filters select, with `count=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<Total>,
}

/// A count of customers: exact (`exact: true`), or an estimate (`exact: false`: the table
/// is too large to count on every request; `count` is about right, or a lower bound when
/// filters apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Total {
    pub count: u64,
    pub exact: bool,
}

/// An RFC 9457 problem document (`application/problem+json`): every error the API sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// One problem with one field, of one item (`index`) when the body was an array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProblemField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    pub field: String,
    pub message: String,
}

/// `GET /geo/resolve` and each line of `clientela-api geo resolve`: the location fields
/// and what the caller should be told about them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeoResolveResponse {
    #[serde(flatten)]
    pub location: crate::geo::Location,
    pub warnings: Vec<GeoWarning>,
}

impl From<crate::geo::Resolution> for GeoResolveResponse {
    fn from(resolution: crate::geo::Resolution) -> Self {
        GeoResolveResponse {
            location: resolution.location,
            warnings: resolution.warnings,
        }
    }
}
