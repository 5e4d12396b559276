//! Re-resolving stored locations after the gazetteer or its overlays changed
//! (`clientela-api geo reindex`).
//!
//! Each page is rewritten under the same per-code locks as a POST, so a customer updated
//! while the reindex runs keeps the update and gets the location of its new place.
//! A location is derived data: rewriting it changes neither `version` nor `updatedAt`.

use clientela_core::Customer;
use clientela_core::geo::Location;
use diesel::prelude::*;

use crate::Store;
use crate::error::StoreError;
use crate::rows::CustomerRow;
use crate::schema::customers;

/// What one page of a reindex did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReindexPage {
    pub seen: usize,
    pub changed: usize,
    /// The last code of the page, to continue after; `None` when no customers remain.
    pub last: Option<String>,
}

impl Store {
    /// Re-resolves up to `limit` customers whose codes follow `after`.
    pub fn reindex_page(
        &self,
        after: Option<&str>,
        limit: usize,
        resolve: &dyn Fn(&Customer) -> Location,
    ) -> Result<ReindexPage, StoreError> {
        let mut query = customers::table
            .select(customers::code)
            .order(customers::code.asc())
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .into_boxed();
        if let Some(after) = after {
            query = query.filter(customers::code.gt(after.to_owned()));
        }
        let codes: Vec<String> = query.load(&mut *self.readers.get()?)?;
        let Some(last) = codes.last().cloned() else {
            return Ok(ReindexPage {
                seen: 0,
                changed: 0,
                last: None,
            });
        };
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        let changed = self.write_transaction(&codes, |sql| {
            let mut rows = Vec::new();
            for row in sql.existing(&codes)? {
                let mut customer = row.into_customer()?;
                let location = resolve(&customer);
                if location != customer.location {
                    customer.location = location;
                    rows.push(CustomerRow::from_customer(&customer));
                }
            }
            if !rows.is_empty() {
                sql.upsert(&rows)?;
            }
            Ok(rows.len())
        })?;
        Ok(ReindexPage {
            seen: codes.len(),
            changed,
            last: Some(last),
        })
    }
}
