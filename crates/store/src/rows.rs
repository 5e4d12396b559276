//! Conversion between database rows and core types, in one place.

use clientela_core::geo::Location;
use clientela_core::{Customer, Gender, Timestamp};
use diesel::prelude::*;

use crate::error::StoreError;
use crate::schema::customers;

/// A `customers` row, for reading and for the upsert.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = customers, treat_none_as_default_value = false)]
pub(crate) struct CustomerRow {
    pub code: String,
    pub is_active: bool,
    pub country: Option<String>,
    pub state: Option<String>,
    pub city: Option<String>,
    pub year_born: Option<i32>,
    pub gender: Option<i16>,
    pub metadata: Option<String>,
    pub country_code: Option<String>,
    pub location: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

impl CustomerRow {
    pub(crate) fn from_customer(customer: &Customer) -> CustomerRow {
        CustomerRow {
            code: customer.code.clone(),
            is_active: customer.is_active,
            country: customer.country.clone(),
            state: customer.state.clone(),
            city: customer.city.clone(),
            year_born: customer.year_born,
            gender: customer.gender.map(Gender::number),
            metadata: customer
                .metadata
                .as_ref()
                .map(|metadata| serde_json::Value::Object(metadata.clone()).to_string()),
            country_code: customer
                .location
                .country
                .as_ref()
                .map(|country| country.code.clone()),
            location: serde_json::to_string(&customer.location).unwrap_or_default(),
            created_at: customer.created_at.micros(),
            updated_at: customer.updated_at.micros(),
            version: customer.version,
        }
    }

    pub(crate) fn into_customer(self) -> Result<Customer, StoreError> {
        let corrupt = |detail: String| StoreError::Corrupt {
            code: self.code.clone(),
            detail,
        };
        let metadata = match &self.metadata {
            None => None,
            Some(text) => match serde_json::from_str(text) {
                Ok(serde_json::Value::Object(object)) => Some(object),
                Ok(_) => return Err(corrupt("metadata is not an object".into())),
                Err(error) => return Err(corrupt(format!("metadata: {error}"))),
            },
        };
        let location: Location = serde_json::from_str(&self.location)
            .map_err(|error| corrupt(format!("location: {error}")))?;
        let gender = match self.gender {
            None => None,
            Some(number) => Some(
                Gender::from_number(number.into())
                    .ok_or_else(|| corrupt(format!("gender {number}")))?,
            ),
        };
        Ok(Customer {
            code: self.code,
            is_active: self.is_active,
            country: self.country,
            state: self.state,
            city: self.city,
            year_born: self.year_born,
            gender,
            metadata,
            location,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
            version: self.version,
        })
    }
}
