//! What the deliverer (`deliverer.rs`) and its delivering tasks (`task.rs`) share: the
//! store, the settings, the HTTP client, this replica's name in leases, and the stop signal.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clientela_store::{Store, StoreError};
use tokio::sync::watch;

use super::WebhookOptions;
use crate::deadline;
use crate::feed::FeedSignal;
use crate::metrics::Metrics;

/// How often the deliverer looks for subscriptions to take, and a task with nothing to send
/// looks for changes other replicas committed.
pub const TICK: Duration = Duration::from_millis(250);

/// What the supervisor and its tasks share.
pub(super) struct Shared {
    pub(super) store: Store,
    pub(super) options: WebhookOptions,
    pub(super) feed: Arc<FeedSignal>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) client: reqwest::Client,
    /// This replica's name in leases.
    pub(super) holder: String,
    /// The subscriptions this replica runs a task for.
    pub(super) delivering: Mutex<HashSet<String>>,
    pub(super) stopped: watch::Receiver<bool>,
}

impl Shared {
    pub(super) fn stopping(&self) -> bool {
        *self.stopped.borrow()
    }

    /// Runs a store call on a blocking thread, abandoned (and the store fenced) past its
    /// deadline, as a request's call is (`state.rs`, "Deadlines").
    pub(super) async fn store<T: Send + 'static>(
        self: &Arc<Self>,
        call: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        let deadline = self.options.store_deadline;
        match deadline::within(&self.store, deadline, || {
            tokio::task::spawn_blocking(move || call(&store))
        })
        .await
        {
            Some(outcome) => outcome
                .map_err(|error| StoreError::Unavailable(format!("webhook task: {error}")))?,
            None => Err(StoreError::Unavailable(format!(
                "the database did not answer within {} ms",
                deadline.as_millis()
            ))),
        }
    }

    /// Waits up to `wait`, less if this replica commits a change or the deliverer stops.
    pub(super) async fn pause(&self, wait: Duration) {
        let mut stopped = self.stopped.clone();
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = self.feed.next_change() => {}
            _ = stopped.changed() => {}
        }
    }
}
