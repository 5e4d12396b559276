//! API keys: generation, hashing, scopes and the check every protected route runs.
//!
//! A key reads `clientela_<id>_<secret>`: the id (public, 16 hex digits) finds the stored
//! record; the secret (256 random bits) is checked against the stored SHA-256 of it in
//! constant time. A fast hash is right here because the secret is random, not a password.
//! Keys are never logged; only the id is.
//!
//! Verified keys are cached for [`CACHE_TTL`] so a request does not cost a database read;
//! a revoked key therefore stops working within that time on every replica. Each verified
//! key then takes a request from its [`RateLimit`] bucket (429 when empty).
//!
//! A handler states the scope it needs with an argument, `_: Authorized<Write>`
//! (`crate::http::authorized`), which runs [`KeyChecker::authorize`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::header;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clientela_core::Timestamp;
use clientela_store::{ApiKeyRecord, NewApiKey, Store, StoreError, sha256_hex};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::rate_limit::RateLimit;

/// How long a verified key is trusted without asking the database again.
pub const CACHE_TTL: Duration = Duration::from_secs(10);

/// What a key may do. `write` implies `read`; `admin` implies both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(name: &str) -> Option<Scope> {
        match name {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// A newly created key: the full secret exists only here, to be shown once.
#[derive(Debug)]
pub struct CreatedKey {
    pub id: String,
    pub token: String,
    pub scope: Scope,
}

/// Creates and stores a key.
pub fn create_key(store: &Store, name: &str, scope: Scope) -> Result<CreatedKey, StoreError> {
    let mut id_bytes = [0_u8; 8];
    let mut secret = [0_u8; 32];
    rand::rng().fill_bytes(&mut id_bytes);
    rand::rng().fill_bytes(&mut secret);
    let id: String = id_bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let secret = URL_SAFE_NO_PAD.encode(secret);
    store.insert_key(&NewApiKey {
        id: id.clone(),
        name: name.to_owned(),
        scope: scope.name().to_owned(),
        secret_hash: sha256_hex(&secret),
        created_at: Timestamp::now().micros(),
    })?;
    let token = format!("clientela_{id}_{secret}");
    Ok(CreatedKey { id, token, scope })
}

/// The credentials of `Authorization: Bearer <token>`. The scheme name is case-insensitive
/// (RFC 9110 §11.1: `bearer x` works too). Two `Authorization` headers are refused (400)
/// rather than one of them silently winning: a proxy and a client disagreeing about the
/// credentials is a mistake to show, not to guess at.
fn bearer_token(request: &HttpRequest) -> Result<&str, ApiError> {
    let mut values = request.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Err(ApiError::Unauthorized);
    };
    if values.next().is_some() {
        return Err(ApiError::BadRequest(
            "send one Authorization header, not several".into(),
        ));
    }
    let (scheme, token) = value
        .to_str()
        .ok()
        .and_then(|text| text.trim_start().split_once(' '))
        .ok_or(ApiError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthorized);
    }
    Ok(token.trim())
}

/// Splits `clientela_<id>_<secret>`.
fn parse_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("clientela_")?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 16 && !secret.is_empty()).then_some((id, secret))
}

/// Checks keys against the store, with a short-lived cache of verified records, and holds
/// each key to its request rate.
#[derive(Debug, Default)]
pub struct KeyChecker {
    cache: Mutex<HashMap<String, (ApiKeyRecord, Instant)>>,
    rate_limit: RateLimit,
}

impl KeyChecker {
    pub fn with_rate_limit(rate_limit: RateLimit) -> KeyChecker {
        KeyChecker {
            cache: Mutex::default(),
            rate_limit,
        }
    }

    /// The scope of the request's bearer key, if it holds at least `needed`; `find` reads
    /// an active key's record by its id from the store.
    pub async fn authorize(
        &self,
        request: &HttpRequest,
        needed: Scope,
        find: impl AsyncFnOnce(String) -> Result<Option<ApiKeyRecord>, ApiError>,
    ) -> Result<Scope, ApiError> {
        let token = bearer_token(request)?;
        let (id, secret) = parse_token(token).ok_or(ApiError::Unauthorized)?;
        let record = match self.cached(id) {
            Some(record) => record,
            None => {
                let record = find(id.to_owned()).await?.ok_or(ApiError::Unauthorized)?;
                self.remember(&record);
                record
            }
        };
        let presented = sha256_hex(secret);
        if !bool::from(presented.as_bytes().ct_eq(record.secret_hash.as_bytes())) {
            return Err(ApiError::Unauthorized);
        }
        self.rate_limit
            .check(&record.id)
            .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
        // Every log line of the request from here on says which key made it (its id only).
        tracing::Span::current().record("key_id", record.id.as_str());
        let held = Scope::parse(&record.scope).ok_or(ApiError::Unauthorized)?;
        if held < needed {
            return Err(ApiError::Forbidden {
                held: held.name(),
                needed: needed.name(),
            });
        }
        Ok(held)
    }

    fn cached(&self, id: &str) -> Option<ApiKeyRecord> {
        let cache = self.cache.lock().ok()?;
        let (record, at) = cache.get(id)?;
        (at.elapsed() < CACHE_TTL).then(|| record.clone())
    }

    fn remember(&self, record: &ApiKeyRecord) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            cache.insert(record.id.clone(), (record.clone(), Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_into_id_and_secret() {
        assert_eq!(
            parse_token("clientela_0123456789abcdef_c2VjcmV0"),
            Some(("0123456789abcdef", "c2VjcmV0"))
        );
        assert_eq!(parse_token("clientela_short_secret"), None);
        assert_eq!(parse_token("Bearer whatever"), None);
    }

    #[test]
    fn scopes_are_ordered_read_write_admin() {
        assert!(Scope::Read < Scope::Write && Scope::Write < Scope::Admin);
    }
}
