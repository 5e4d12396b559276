//! Limits on what one request may cost the server, beyond those actix enforces itself.
//!
//! actix cuts off a client that does not finish its request head within
//! `server.request_head_timeout` (slowloris), caps a head at 128 KiB and 96 headers, and holds
//! at most `server.max_connections` connections per worker. Here: the headers' total size
//! (`server.max_header_bytes`, 431), and the body's size and arrival time (`server.body_limit`
//! 413, `server.body_timeout` 408), since actix has no deadline for a body sent slowly.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use tokio::sync::OwnedSemaphorePermit;

use crate::AppState;
use crate::content_encoding::{Encoding, decode_body};
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

/// Refuses (400) a path whose percent-encoded bytes are not UTF-8 (`/customers/%FF`), before
/// routing: actix would decode them lossily, and `%FF` would become the customer whose code
/// is U+FFFD.
pub async fn refuse_undecodable_path(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if percent_encoding::percent_decode_str(request.path())
        .decode_utf8()
        .is_err()
    {
        return Err(ApiError::BadRequest(
            "the path is not valid UTF-8 once percent-decoded".into(),
        )
        .into());
    }
    next.call(request).await
}

/// Bodies declaring more than this many bytes (or not declaring their length) are large:
/// each waits for one of [`AppState::large_bodies`]' slots before it is read.
pub const LARGE_BODY_BYTES: u64 = 1024 * 1024;

/// The largest `POST /customers` body unless told otherwise (`server.body_limit`): 100
/// maximal customers (60000 characters of metadata and four texts of 255 characters, up to 4
/// bytes each), each within [`crate::body::MAX_ITEM_BYTES`]: 25 MiB.
pub const DEFAULT_BODY_LIMIT: usize = clientela_core::MAX_BATCH * crate::body::MAX_ITEM_BYTES;

/// How long a client has to send the whole body unless told otherwise (`server.body_timeout`).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// The most bytes of header names and values unless told otherwise (`server.max_header_bytes`).
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;

/// How many large bodies are read and parsed at once, by default (`server.large_body_slots`). A large body costs up to
/// `server.body_limit` bytes while it is read, and about as much again while it is parsed,
/// so this bounds the memory greedy clients can take: the other large bodies wait, unread,
/// in their connections (TCP stops them), not in our memory.
pub const LARGE_BODY_SLOTS: usize = 2;

/// Reads the whole body, refusing one over `server.body_limit` bytes (413) or one that has not
/// arrived within `server.body_timeout` (408) once it could be read. A large body first
/// waits for a slot (up to `server.body_timeout`; 503 with `Retry-After` past it), which the
/// caller holds until it is done with the body. A compressed body (`Content-Encoding`) is
/// returned decoded, the same limits applied to its decoded bytes (see
/// [`crate::content_encoding`]).
pub async fn read_body(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<(Bytes, Option<OwnedSemaphorePermit>), ApiError> {
    let encoding = Encoding::of(request)?;
    let (limit, timeout) = (state.body_limit, state.body_timeout);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if let Some(length) = declared
        && length > limit as u64
    {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let mut slot = if declared.is_none_or(|length| length > LARGE_BODY_BYTES) {
        Some(large_body_slot(state).await?)
    } else {
        None
    };
    let wire = actix_web::rt::time::timeout(timeout, payload.to_bytes_limited(limit))
        .await
        .map_err(|_| ApiError::RequestTimeout {
            seconds: timeout.as_secs(),
        })?
        .map_err(|_| ApiError::PayloadTooLarge { limit })?
        .map_err(|error| ApiError::BadRequest(format!("could not read the body: {error}")))?;
    let body = decode_body(encoding, wire, &mut slot, state).await?;
    Ok((body, slot))
}

/// One of the large-body slots, waited for up to `server.body_timeout` (503 past it).
pub async fn large_body_slot(state: &AppState) -> Result<OwnedSemaphorePermit, ApiError> {
    let waiting = state.large_bodies.clone().acquire_owned();
    actix_web::rt::time::timeout(state.body_timeout, waiting)
        .await
        .map_err(|_| {
            ApiError::Busy("the server is busy with other large requests; try again".into())
        })?
        .map_err(|_| ApiError::Busy("the server is shutting down".into()))
}
