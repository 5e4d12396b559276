//! Limits on what one request may cost the server, beyond those actix enforces itself.
//!
//! actix cuts off a client that does not finish its request head within
//! `server.request_head_timeout` (slowloris), caps a head at 128 KiB and 96 headers, and holds
//! at most `server.max_connections` connections per worker. Here: the headers' total size
//! (`server.max_header_bytes`, 431), and the body's size and arrival time (`server.body_limit`
//! 413, `server.body_timeout` 408), since actix has no deadline for a body sent slowly.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};

use crate::AppState;
use crate::error::ApiError;

/// Refuses a request whose header names and values add up to more than
/// `AppState::max_header_bytes`, before any handler (or key lookup) runs.
pub async fn limit_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(state) = request.app_data::<web::Data<AppState>>() {
        let limit = state.max_header_bytes;
        let total: usize = request
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        if total > limit {
            return Err(ApiError::HeadersTooLarge { limit }.into());
        }
    }
    next.call(request).await
}

/// Reads the whole body, refusing one over `limit` bytes (413) or one that has not arrived
/// within `timeout` (408).
pub async fn read_body(
    payload: web::Payload,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    actix_web::rt::time::timeout(timeout, payload.to_bytes_limited(limit))
        .await
        .map_err(|_| ApiError::RequestTimeout {
            seconds: timeout.as_secs(),
        })?
        .map_err(|_| ApiError::PayloadTooLarge { limit })?
        .map_err(|error| ApiError::BadRequest(format!("could not read the body: {error}")))
}
