//! Deadlines on store calls: a call the database does not answer in time is abandoned and
//! the store fenced, so that the calls after it do not wait on connections to a server that
//! stopped answering (`state.rs`, "Deadlines", says why). Requests (`AppState::read`,
//! `AppState::write`) and the webhook deliverer (`webhooks/shared.rs`) go through
//! [`within`].

use std::future::Future;
use std::time::{Duration, Instant};

use clientela_store::Store;

/// Runs the call `start` starts (a store call on a blocking thread: `web::block`,
/// `spawn_blocking`) for up to `deadline`. Past it: `None`, and `store` is fenced from the
/// moment the call started ([`Store::fence`]: the connections opened before then are closed
/// instead of being used again). The abandoned call goes on until the database answers or
/// dies.
pub async fn within<F: Future>(
    store: &Store,
    deadline: Duration,
    start: impl FnOnce() -> F,
) -> Option<F::Output> {
    let started = Instant::now();
    let call = start();
    match tokio::time::timeout(deadline, call).await {
        Ok(output) => Some(output),
        Err(_) => {
            store.fence(started);
            None
        }
    }
}
