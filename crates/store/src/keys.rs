//! Stored API keys: only a hash of each secret is kept (see the api crate's `auth`).

use diesel::prelude::*;

use crate::Store;
use crate::error::StoreError;
use crate::schema::api_keys;

/// A key as stored: its public id, what it may do, and the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRecord {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub secret_hash: String,
    pub created_at: i64,
}

impl Store {
    pub fn insert_key(&self, key: &NewApiKey) -> Result<(), StoreError> {
        diesel::insert_into(api_keys::table)
            .values(key)
            .execute(&mut *self.writer.get()?)?;
        Ok(())
    }

    /// Every key, revoked ones included, oldest first.
    pub fn list_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        Ok(api_keys::table
            .select(ApiKeyRecord::as_select())
            .order((api_keys::created_at.asc(), api_keys::id.asc()))
            .load(&mut *self.readers.get()?)?)
    }

    /// The key with this id, unless revoked.
    pub fn find_active_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        Ok(api_keys::table
            .find(id)
            .filter(api_keys::revoked_at.is_null())
            .select(ApiKeyRecord::as_select())
            .first(&mut *self.readers.get()?)
            .optional()?)
    }

    /// Whether any key that is not revoked exists.
    pub fn has_active_keys(&self) -> Result<bool, StoreError> {
        let count: i64 = api_keys::table
            .filter(api_keys::revoked_at.is_null())
            .count()
            .get_result(&mut *self.readers.get()?)?;
        Ok(count > 0)
    }

    /// Revokes a key; returns whether an active key had this id.
    pub fn revoke_key(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let revoked = diesel::update(api_keys::table.find(id))
            .filter(api_keys::revoked_at.is_null())
            .set(api_keys::revoked_at.eq(now))
            .execute(&mut *self.writer.get()?)?;
        Ok(revoked > 0)
    }
}
