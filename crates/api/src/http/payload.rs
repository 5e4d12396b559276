//! Reading a request's body: its size and arrival time, the memory it may take while it is
//! read, and its decoding when it was sent compressed (`Content-Encoding: gzip` or `zstd`).
//!
//! # Memory
//! Every body held in memory is paid for before its bytes arrive or are produced:
//! - A body of up to [`LARGE_BODY_BYTES`] as sent is read without a slot: its bytes came over
//!   the network, one connection's worth. The read stops at that size whatever the body's
//!   framing claimed, so a body longer than its `Content-Length` cannot slip past the rule.
//! - A larger body, or one that does not declare its length, first waits for one of the
//!   large-body slots (`server.large_body_slots`), unread, in its connection.
//! - A compressed body is small as sent but may inflate a thousandfold, so decoding is paid
//!   for separately: before its decoder exists, it takes a share of a per-process budget
//!   ([`DECODE_BUDGET_BYTES`]) covering the decoder and up to [`LARGE_BODY_BYTES`] of output,
//!   and keeps only the share its output needs until the request is done. Output that grows
//!   past that is dropped with its decoder, and the body waits for a large-body slot holding
//!   nothing but its bytes as sent, then is decoded again from the start.
//!
//! While a request waits (for the budget or a slot) it holds no decoder and no output, so
//! any number of small compressed bodies queued at once costs their wire bytes, not their
//! decoded size.
//!
//! # Decoding
//! Every size rule applies to the decoded bytes, as if the body had been sent plain:
//! `server.body_limit` (413), the large-body slots, and each item's 256 KiB. A decompression
//! bomb is pulled for at most the limit plus one byte and dropped there. Decoding is CPU work:
//! it runs on a blocking thread. zstd frames may ask for a window of up to
//! [`ZSTD_WINDOW_LOG_MAX`] (8 MiB); a frame asking for more is refused rather than allowed to
//! allocate it (zstd's own default allows 128 MiB).

use std::io::{Cursor, Read};

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;
use crate::limits::LARGE_BODY_BYTES;
use crate::state::AppState;

/// The largest zstd window a body may use, as a power of two (8 MiB): what `zstd -19`
/// and every level below it produce.
pub const ZSTD_WINDOW_LOG_MAX: u32 = 23;

/// Memory for compressed bodies decoded without a large-body slot, across the process: their
/// decoders while they run, and their output until their requests are done.
pub const DECODE_BUDGET_BYTES: usize = 64 * 1024 * 1024;

/// The budget is counted in units of this many bytes (a semaphore permit each).
const BUDGET_UNIT: usize = 1024;

/// The process's decode budget ([`DECODE_BUDGET_BYTES`]), for `AppState`.
pub fn decode_budget() -> Semaphore {
    Semaphore::new(DECODE_BUDGET_BYTES / BUDGET_UNIT)
}

/// What a request holds for its body until it is done with it.
#[derive(Debug)]
pub enum BodyPermit {
    /// A body small as sent (and, if compressed, its decoder gone).
    Small,
    /// A share of the decode budget, for the decoded bytes of a compressed body.
    Decoded(OwnedSemaphorePermit),
    /// One of the large-body slots.
    Large(OwnedSemaphorePermit),
}

/// How a request body was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Zstd,
}

impl Encoding {
    /// The request's `Content-Encoding`: none or `identity` is plain; `gzip` (or its alias
    /// `x-gzip`) and `zstd` are decoded; anything else, or a list of several, is 415.
    pub fn of(request: &HttpRequest) -> Result<Encoding, ApiError> {
        let mut values = request.headers().get_all(header::CONTENT_ENCODING);
        let Some(value) = values.next() else {
            return Ok(Encoding::Identity);
        };
        let unsupported = |sent: &str| {
            ApiError::UnsupportedEncoding(format!(
                "Content-Encoding `{sent}` is not supported; send the body plain, or as one of \
                 gzip or zstd"
            ))
        };
        let text = value.to_str().map_err(|_| unsupported("(not text)"))?;
        if values.next().is_some() || text.contains(',') {
            return Err(unsupported(text));
        }
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => Ok(Encoding::Identity),
            "gzip" | "x-gzip" => Ok(Encoding::Gzip),
            "zstd" => Ok(Encoding::Zstd),
            _ => Err(unsupported(text)),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
            Encoding::Zstd => "zstd",
        }
    }

    /// What a decoder of this kind may allocate of its own, beside its output: gzip's 32 KiB
    /// window and buffers; for zstd, the largest window a frame may ask for.
    fn decoder_bytes(self) -> usize {
        match self {
            Encoding::Identity => 0,
            Encoding::Gzip => 128 * 1024,
            Encoding::Zstd => (1 << ZSTD_WINDOW_LOG_MAX) + 128 * 1024,
        }
    }
}

/// Reads the whole body, refusing one over `server.body_limit` bytes (413) or one that has not
/// arrived within `server.body_timeout` (408) once it could be read. Memory is paid for first
/// (see the module docs): waiting for a slot or the decode budget past `server.body_timeout`
/// is 503 with `Retry-After`. The caller holds the returned permit until it is done with the
/// body. A compressed body is returned decoded.
pub async fn read_body(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<(Bytes, BodyPermit), ApiError> {
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
    let small = small_cap(limit);
    let large = declared.is_none_or(|length| length > LARGE_BODY_BYTES);
    let permit = if large {
        BodyPermit::Large(large_body_slot(state).await?)
    } else {
        BodyPermit::Small
    };
    let cap = if large { limit } else { small };
    let wire = actix_web::rt::time::timeout(timeout, payload.to_bytes_limited(cap))
        .await
        .map_err(|_| ApiError::RequestTimeout {
            seconds: timeout.as_secs(),
        })?
        .map_err(|_| {
            if large {
                ApiError::PayloadTooLarge { limit }
            } else {
                ApiError::BadRequest("the body is longer than its Content-Length".into())
            }
        })?
        .map_err(|error| ApiError::BadRequest(format!("could not read the body: {error}")))?;
    if encoding == Encoding::Identity {
        return Ok((wire, permit));
    }
    decode(encoding, wire, permit, state).await
}

/// The most decoded bytes a body may have without a large-body slot.
fn small_cap(limit: usize) -> usize {
    usize::try_from(LARGE_BODY_BYTES)
        .unwrap_or(usize::MAX)
        .min(limit)
}

/// `wire` decoded, within `server.body_limit`, paid for as the module docs say.
async fn decode(
    encoding: Encoding,
    wire: Bytes,
    permit: BodyPermit,
    state: &AppState,
) -> Result<(Bytes, BodyPermit), ApiError> {
    let limit = state.body_limit;
    if let BodyPermit::Large(_) = permit {
        let decoded = decode_blocking(encoding, wire, limit).await?;
        return decoded
            .map(|body| (body, permit))
            .ok_or(ApiError::PayloadTooLarge { limit });
    }
    let small = small_cap(limit);
    // Output grows by doubling: up to twice its final size while it is decoded.
    let mut share = decode_share(state, encoding.decoder_bytes() + 2 * small).await?;
    match decode_blocking(encoding, wire.clone(), small).await? {
        Some(body) => {
            // The decoder is gone: keep only what the output takes.
            let kept = units(body.len()).max(1);
            drop(share.split(share.num_permits().saturating_sub(kept)));
            Ok((body, BodyPermit::Decoded(share)))
        }
        None if small < limit => {
            drop(share);
            let slot = large_body_slot(state).await?;
            decode_blocking(encoding, wire, limit)
                .await?
                .map(|body| (body, BodyPermit::Large(slot)))
                .ok_or(ApiError::PayloadTooLarge { limit })
        }
        None => Err(ApiError::PayloadTooLarge { limit }),
    }
}

/// Budget units covering `bytes`.
fn units(bytes: usize) -> usize {
    bytes.div_ceil(BUDGET_UNIT)
}

/// `bytes` of the decode budget, waited for up to `server.body_timeout` (503 past it).
async fn decode_share(state: &AppState, bytes: usize) -> Result<OwnedSemaphorePermit, ApiError> {
    let wanted = u32::try_from(units(bytes)).unwrap_or(u32::MAX);
    let waiting = state.decode_budget.clone().acquire_many_owned(wanted);
    actix_web::rt::time::timeout(state.body_timeout, waiting)
        .await
        .map_err(|_| {
            ApiError::Busy(
                "the server is busy decoding other compressed requests; try again".into(),
            )
        })?
        .map_err(|_| ApiError::Busy("the server is shutting down".into()))
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

/// Decodes `wire` on a blocking thread: `Some(body)` if it ends within `cap` bytes, `None` if
/// more came out (the decoder and its output are dropped there).
async fn decode_blocking(
    encoding: Encoding,
    wire: Bytes,
    cap: usize,
) -> Result<Option<Bytes>, ApiError> {
    web::block(move || {
        let source = Cursor::new(wire);
        let reader: Box<dyn Read> = match encoding {
            Encoding::Identity => Box::new(source),
            Encoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(source)),
            Encoding::Zstd => {
                let mut decoder = zstd::stream::read::Decoder::new(source)
                    .map_err(|error| ApiError::Internal(format!("zstd decoder: {error}")))?;
                decoder
                    .window_log_max(ZSTD_WINDOW_LOG_MAX)
                    .map_err(|error| ApiError::Internal(format!("zstd decoder: {error}")))?;
                Box::new(decoder)
            }
        };
        let mut decoded = Vec::new();
        reader
            .take(cap as u64 + 1)
            .read_to_end(&mut decoded)
            .map_err(|error| {
                ApiError::BadRequest(format!(
                    "the body could not be decoded as {}: {error}",
                    encoding.name()
                ))
            })?;
        decoded.shrink_to_fit();
        Ok((decoded.len() <= cap).then(|| Bytes::from(decoded)))
    })
    .await?
}
