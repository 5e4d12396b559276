//! What every request handler shares ([`AppState`]), and the one way a handler reaches the
//! store: [`AppState::read`] and [`AppState::write`], which run the call on a blocking thread
//! and map its errors once; each holds a read or write slot while it runs and answers by its
//! deadline, and a write wakes the change feed's followers after it.
//!
//! # Deadlines
//! Every call has one: `database.read_timeout` for reads, `database.commit_timeout` for
//! writes (commit included). A database that stops answering without closing its
//! connections (a frozen server; TCP settings end only a server whose packets stop coming
//! back) would otherwise hold each request for as long as it stays frozen. Past the
//! deadline the client gets 503, the call's slot is freed, and the store is fenced
//! (`deadline.rs`, [`Store::fence`]): the connections opened before the call started are
//! closed instead of being used again, so the next calls connect anew, through the
//! multi-host list to the new primary once there is one. The abandoned call keeps its
//! thread and connection until the server answers or dies; the store's pools and the
//! blocking threads have room for as many of them as there are slots
//! ([`clientela_store::SPARE_FACTOR`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::web;
use clientela_core::geo::Resolver;
use clientela_store::{Store, StoreOptions};

use crate::auth::KeyChecker;
use crate::deadline;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::{http, limits, webhooks};

/// How long a write waits for its transaction, commit included, unless told otherwise
/// (`database.commit_timeout`).
pub const DEFAULT_COMMIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a read with a commit token waits for the standby unless told otherwise
/// (`database.read_wait`).
pub const DEFAULT_READ_WAIT: Duration = Duration::from_millis(500);

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
    /// Requests that read: at most this many at once (as many as the store has read
    /// connections).
    pub read_slots: Arc<tokio::sync::Semaphore>,
    /// How long a call waits for a slot before answering 503 (`database.connect_timeout`).
    pub slot_timeout: Duration,
    /// How long a read waits for the database before answering 503
    /// (`database.read_timeout`).
    pub read_timeout: Duration,
    /// How long a write waits for its transaction, commit included, before answering 503
    /// with its outcome unknown (`database.commit_timeout`).
    pub commit_timeout: Duration,
    /// Wakes `GET /changes` requests waiting for a change when this replica commits one.
    pub feed: Arc<crate::feed::FeedSignal>,
    /// What `/readyz` answers, from background probes of the database.
    pub readiness: crate::readiness::Readiness,
    /// The webhook settings (`[webhooks]`).
    pub webhooks: webhooks::WebhookOptions,
    /// The hot standby reads may go to (`database.read_url`), if any.
    pub standby: Option<Standby>,
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
            read_slots: Arc::new(tokio::sync::Semaphore::new(
                StoreOptions::DEFAULT_POOL_SIZE as usize,
            )),
            slot_timeout: StoreOptions::DEFAULT_CONNECT_TIMEOUT,
            read_timeout: limits::DEFAULT_READ_TIMEOUT,
            commit_timeout: DEFAULT_COMMIT_TIMEOUT,
            feed: Arc::default(),
            readiness: crate::readiness::Readiness::default(),
            webhooks: webhooks::WebhookOptions::default(),
            standby: None,
        }
    }

    /// Reads the store on a blocking thread (never on the async workers), holding a read
    /// slot, within `read_timeout` (then 503, see the module docs); store errors map to HTTP
    /// once, here.
    pub async fn read<T, E>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        self.read_on(&self.store, read).await
    }

    /// [`AppState::read`], from the hot standby when there is one and it has replayed the
    /// write whose commit `token` the client sent back (`http::commit_token`); else, or when
    /// the standby fails to answer, from the primary. `read` may run twice.
    pub async fn read_recent<T, E>(
        &self,
        token: Option<u64>,
        read: impl Fn(&Store) -> Result<T, E> + Send + Sync + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let read = Arc::new(read);
        if let Some(standby) = &self.standby
            && standby.caught_up(self, token).await
        {
            let on_standby = read.clone();
            match self
                .read_on(&standby.store, move |store| on_standby(store))
                .await
            {
                Ok(value) => {
                    self.metrics.count_standby_read(true);
                    return Ok(value);
                }
                // The primary's answer is the one that counts: a cursor past what the
                // standby has replayed, a standby that is down.
                Err(error) => tracing::debug!(%error, "the standby did not answer a read"),
            }
        }
        if self.standby.is_some() {
            self.metrics.count_standby_read(false);
        }
        self.read_on(&self.store, move |store| read(store)).await
    }

    /// [`AppState::read`] on `store` (the primary's, or the standby's).
    pub async fn read_on<T, E>(
        &self,
        store: &Store,
        read: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let _slot = self.slot(&self.read_slots, "read").await?;
        let on = store.clone();
        match deadline::within(store, self.read_timeout, || web::block(move || read(&on))).await {
            Some(outcome) => outcome?.map_err(Into::into),
            None => Err(ApiError::Unavailable(format!(
                "the database did not answer within {} ms",
                self.read_timeout.as_millis()
            ))),
        }
    }

    /// Writes to the store: holds one of the write slots for the blocking call (503 when
    /// none frees up in time), and wakes the change feed's waiting followers once it is done.
    ///
    /// The answer waits at most `commit_timeout` for the call: a commit can wait without end
    /// for a synchronous standby that stopped answering (PostgreSQL's `statement_timeout`
    /// does not end that wait, and cancelling it would commit locally while reporting a
    /// warning), or for a frozen server. Past the deadline the client gets 503 saying the
    /// outcome is unknown and a retry is safe (a POST is an idempotent merge, a DELETE of an
    /// erased customer answers 404), and the store is fenced (see the module docs); the
    /// call itself goes on until the database answers.
    pub async fn write<T, E>(
        &self,
        write: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let _slot = self.slot(&self.write_slots, "write").await?;
        let store = self.store.clone();
        let outcome = deadline::within(&self.store, self.commit_timeout, || {
            web::block(move || write(&store))
        })
        .await;
        self.feed.changed();
        match outcome {
            Some(outcome) => outcome?.map_err(Into::into),
            None => Err(ApiError::OutcomeUnknown {
                millis: u64::try_from(self.commit_timeout.as_millis()).unwrap_or(u64::MAX),
            }),
        }
    }

    /// Waits (asynchronously, up to `slot_timeout`) for one of `slots`; the request
    /// holds it until its call is done or abandoned. 503 when none frees up in time: the
    /// calls before it are stuck (a lock held elsewhere, a database that does not answer).
    async fn slot(
        &self,
        slots: &Arc<tokio::sync::Semaphore>,
        kind: &str,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        actix_web::rt::time::timeout(self.slot_timeout, slots.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| {
                ApiError::Unavailable(format!(
                    "every {kind} slot stayed busy: {kind}s are waiting"
                ))
            })
    }
}

/// How often a read with a commit token asks the standby how far it has replayed.
const POLL: Duration = Duration::from_millis(5);

/// The standby reads may go to. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Standby {
    /// The store whose reads go to the standby.
    pub store: Store,
    /// The furthest replay position seen there: a token at or before it needs no question.
    replayed: Arc<AtomicU64>,
    /// How long a read with a token waits for the standby before reading the primary.
    wait: Duration,
}

impl Standby {
    /// The standby of `store`, if it has one.
    pub fn of(store: &Store, wait: Duration) -> Option<Standby> {
        Some(Standby {
            store: store.standby()?,
            replayed: Arc::default(),
            wait,
        })
    }

    /// Whether a read presenting `token` may be answered by the standby: at once without a
    /// token or when the standby is known to have replayed that far; else once it has, if
    /// within `wait`.
    pub async fn caught_up(&self, state: &AppState, token: Option<u64>) -> bool {
        let Some(token) = token else {
            return true;
        };
        let deadline = Instant::now() + self.wait;
        loop {
            if self.replayed.load(Ordering::Relaxed) >= token {
                return true;
            }
            let Ok(replayed) = state.read_on(&self.store, Store::replayed).await else {
                return false;
            };
            self.replayed.fetch_max(replayed, Ordering::Relaxed);
            if replayed >= token {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            actix_web::rt::time::sleep(POLL).await;
        }
    }
}
