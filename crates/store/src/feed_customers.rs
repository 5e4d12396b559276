//! The customers a page of the change feed carries: each upsert's customer as stored when
//! the page is read, its metadata kept as the JSON text it was stored as (see
//! [`FeedCustomer`]).

use clientela_core::Customer;
use diesel::prelude::*;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::connection::DbConnection;
use crate::error::StoreError;
use crate::rows::{CustomerRow, corrupt};
use crate::schema::customers;

/// A customer as the feed gives it out: read like any other, but for its metadata, which
/// is kept as the JSON text it was stored as and written out as is (see
/// [`clientela_core::customer::CustomerJson`]). The text is what `serde_json` wrote for the
/// object (its key order and numbers kept exactly), so the feed writes the same bytes a
/// customer read whole would; not parsing it into values and writing them out again is what
/// keeps a feed item's cost down (a webhook deliverer writes every change out).
#[derive(Debug, Clone)]
pub struct FeedCustomer {
    /// The customer, its `metadata` left `None`.
    customer: Customer,
    metadata: Option<Box<RawValue>>,
}

impl FeedCustomer {
    fn from_row(row: CustomerRow) -> Result<FeedCustomer, StoreError> {
        let (customer, metadata) = row.into_parts()?;
        let metadata = match metadata {
            None => None,
            // Checked, not parsed into values: valid JSON (RawValue reads it through) and an
            // object, as a customer read whole checks.
            Some(text) => match RawValue::from_string(text) {
                Ok(raw) if raw.get().starts_with('{') => Some(raw),
                Ok(_) => return Err(corrupt(&customer.code, "metadata is not an object")),
                Err(error) => return Err(corrupt(&customer.code, &format!("metadata: {error}"))),
            },
        };
        Ok(FeedCustomer { customer, metadata })
    }

    /// The customer's code.
    pub(crate) fn code(&self) -> &str {
        &self.customer.code
    }
}

/// Equal when the customers are and their metadata texts are.
impl PartialEq for FeedCustomer {
    fn eq(&self, other: &FeedCustomer) -> bool {
        self.customer == other.customer
            && self.metadata.as_deref().map(RawValue::get)
                == other.metadata.as_deref().map(RawValue::get)
    }
}

impl Serialize for FeedCustomer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.customer
            .json_with(self.metadata.as_deref())
            .serialize(serializer)
    }
}

/// The stored customers with these codes (those that exist), as the feed gives them out.
pub(crate) fn stored(
    connection: &mut DbConnection,
    codes: &[&str],
) -> Result<Vec<FeedCustomer>, StoreError> {
    let rows: Vec<CustomerRow> = customers::table
        .filter(customers::code.eq_any(codes))
        .select(CustomerRow::as_select())
        .load(connection)?;
    rows.into_iter().map(FeedCustomer::from_row).collect()
}

#[cfg(test)]
mod tests {
    use clientela_core::{Customer, Timestamp};
    use serde_json::json;

    use super::FeedCustomer;
    use crate::error::StoreError;
    use crate::rows::CustomerRow;

    fn customer(metadata: serde_json::Value) -> Customer {
        let mut customer = Customer::new("c-1", Timestamp(1_700_000_000_000_000));
        customer.metadata = metadata.as_object().cloned();
        customer.year_born = Some(1990);
        customer
    }

    /// The feed writes a stored customer with the same bytes as the customer read whole.
    #[test]
    fn a_feed_customer_is_written_as_the_customer_is() {
        for metadata in [
            json!({"b": 1, "a": {"y": [1.5, "é\n"], "x": null}}),
            json!({}),
            serde_json::Value::Null,
        ] {
            let whole = customer(metadata);
            let row = CustomerRow::from_customer(&whole);
            let fed = FeedCustomer::from_row(row).expect("a stored customer");
            assert_eq!(
                serde_json::to_string(&fed).ok(),
                serde_json::to_string(&whole).ok()
            );
            assert_eq!(
                fed.customer,
                Customer {
                    metadata: None,
                    ..whole
                }
            );
        }
    }

    /// Stored metadata that is not a JSON object is reported as corrupt, as a read of the
    /// whole customer reports it, not written out.
    #[test]
    fn stored_metadata_that_is_not_an_object_is_corrupt() {
        for stored in ["[1]", "{\"a\":", "7", ""] {
            let mut row = CustomerRow::from_customer(&customer(json!({})));
            row.metadata = Some(stored.to_owned());
            assert!(
                matches!(
                    FeedCustomer::from_row(row.clone()),
                    Err(StoreError::Corrupt { .. })
                ),
                "{stored:?}"
            );
            assert!(
                matches!(row.into_customer(), Err(StoreError::Corrupt { .. })),
                "{stored:?}"
            );
        }
    }
}
