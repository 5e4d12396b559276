//! What every request handler shares ([`AppState`]), and the one way a handler reaches the
//! store: [`AppState::read`] and [`AppState::write`], which run the call on a blocking thread
//! and map its errors once; a write also holds one of the write slots while it runs and wakes
//! the change feed's followers after it.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use clientela_core::geo::Resolver;
use clientela_store::{Store, StoreOptions};

use crate::auth::KeyChecker;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::{http, limits, webhooks};

/// How long a write waits for its transaction, commit included, unless told otherwise
/// (`database.commit_timeout`).
pub const DEFAULT_COMMIT_TIMEOUT: Duration = Duration::from_secs(10);

/// What every request handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub resolver: Arc<Resolver>,
    pub keys: Arc<KeyChecker>,
    /// Refuse unresolvable places (`geo.strict`); `?strict=true` asks for it per request.
    pub strict_geo: bool,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// How long a client has to send the whole body.
    pub body_timeout: Duration,
    /// Largest total of header names and values, in bytes.
    pub max_header_bytes: usize,
    /// This server's Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Slots for large request bodies: how many may be read and parsed at once
    /// ([`limits::LARGE_BODY_SLOTS`]).
    pub large_bodies: Arc<tokio::sync::Semaphore>,
    /// Memory for decoding compressed bodies without a large-body slot
    /// ([`http::payload::DECODE_BUDGET_BYTES`]).
    pub decode_budget: Arc<tokio::sync::Semaphore>,
    /// Requests that write: at most this many hold a blocking thread at once (as many as
    /// the store has write connections), so writers queued behind a lock wait here, on the
    /// async workers, and never take the blocking threads reads need.
    pub write_slots: Arc<tokio::sync::Semaphore>,
    /// How long a write waits for a slot before answering 503 (`database.connect_timeout`).
    pub write_slot_timeout: Duration,
    /// How long a write waits for its transaction, commit included, before answering 503
    /// with its outcome unknown (`database.commit_timeout`).
    pub commit_timeout: Duration,
    /// Wakes `GET /changes` requests waiting for a change when this replica commits one.
    pub feed: Arc<crate::feed::FeedSignal>,
    /// What `/readyz` answers, from background probes of the database.
    pub readiness: crate::readiness::Readiness,
    /// The webhook settings (`[webhooks]`).
    pub webhooks: webhooks::WebhookOptions,
}

impl AppState {
    /// The state with every knob at its default (the settings' defaults are these).
    pub fn new(store: Store, resolver: Arc<Resolver>) -> AppState {
        AppState {
            store,
            resolver,
            keys: Arc::new(KeyChecker::default()),
            strict_geo: false,
            body_limit: limits::DEFAULT_BODY_LIMIT,
            body_timeout: limits::DEFAULT_BODY_TIMEOUT,
            max_header_bytes: limits::DEFAULT_MAX_HEADER_BYTES,
            metrics: Arc::new(Metrics::new()),
            large_bodies: Arc::new(tokio::sync::Semaphore::new(limits::LARGE_BODY_SLOTS)),
            decode_budget: Arc::new(http::payload::decode_budget()),
            write_slots: Arc::new(tokio::sync::Semaphore::new(
                StoreOptions::DEFAULT_WRITE_POOL_SIZE as usize,
            )),
            write_slot_timeout: StoreOptions::DEFAULT_CONNECT_TIMEOUT,
            commit_timeout: DEFAULT_COMMIT_TIMEOUT,
            feed: Arc::default(),
            readiness: crate::readiness::Readiness::default(),
            webhooks: webhooks::WebhookOptions::default(),
        }
    }

    /// Reads the store on a blocking thread (never on the async workers); store errors map
    /// to HTTP once, here.
    pub async fn read<T, E>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let store = self.store.clone();
        web::block(move || read(&store)).await?.map_err(Into::into)
    }

    /// Writes to the store: holds one of the write slots for the blocking call (503 when
    /// none frees up in time), and wakes the change feed's waiting followers once it is done.
    ///
    /// The answer waits at most `commit_timeout` for the call: a commit can wait without end
    /// for a synchronous standby that stopped answering (PostgreSQL's `statement_timeout`
    /// does not end that wait, and cancelling it would commit locally while reporting a
    /// warning). Past the deadline the client gets 503 saying the outcome is unknown and a
    /// retry is safe (a POST is an idempotent merge, a DELETE of an erased customer answers
    /// 404); the call itself goes on and keeps its slot and connection until the database
    /// answers, so stuck writes never pile up past the write slots.
    pub async fn write<T, E>(
        &self,
        write: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let slot = self.write_slot().await?;
        let store = self.store.clone();
        let call = web::block(move || {
            let _slot = slot;
            write(&store)
        });
        let outcome = actix_web::rt::time::timeout(self.commit_timeout, call).await;
        self.feed.changed();
        match outcome {
            Ok(outcome) => outcome?.map_err(Into::into),
            Err(_) => Err(ApiError::OutcomeUnknown {
                millis: u64::try_from(self.commit_timeout.as_millis()).unwrap_or(u64::MAX),
            }),
        }
    }

    /// Waits (asynchronously, up to `write_slot_timeout`) for one of the write slots; the
    /// request holds it until its write is done. 503 when none frees up in time: the writes
    /// before it are stuck (a lock held elsewhere, a database that does not answer).
    async fn write_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        actix_web::rt::time::timeout(
            self.write_slot_timeout,
            self.write_slots.clone().acquire_owned(),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| {
            ApiError::Unavailable("every write slot stayed busy: writes are waiting".into())
        })
    }
}
