//! Request bodies sent compressed: `Content-Encoding: gzip` or `zstd` on `POST /customers`.
//!
//! Bulk loaders gzip their batches (100 seed-like customers: 21.6 KB plain, 3.0 KB gzipped).
//! Every size rule applies to the decoded bytes, as if the body had been sent plain:
//! `server.body_limit` (413), the large-body slots, and each item's 256 KiB. A decompression
//! bomb costs no more than a plain body of the limit's size: the decoder is pulled for at
//! most the limit plus one byte and dropped there, so a 64 KiB body that would inflate to
//! 64 MiB is refused after producing 25 MiB, not after inflating the rest. Up to
//! [`LARGE_BODY_BYTES`] is decoded without a large-body slot; a body that grows past it
//! takes one before it may grow further, exactly as a plain body declaring that size would.
//!
//! Decoding is CPU work: it runs on a blocking thread, never on the async workers. zstd
//! frames may ask for a window of up to [`ZSTD_WINDOW_LOG_MAX`] (8 MiB); a frame asking for
//! more is refused rather than allowed to allocate it (zstd's own default allows 128 MiB).

use std::io::{Cursor, Read};

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use tokio::sync::OwnedSemaphorePermit;

use crate::AppState;
use crate::error::ApiError;
use crate::limits::{LARGE_BODY_BYTES, large_body_slot};

/// The largest zstd window a body may use, as a power of two (8 MiB): what `zstd -19`
/// and every level below it produce.
pub const ZSTD_WINDOW_LOG_MAX: u32 = 23;

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
}

/// A decoder part way through a body, and what it produced so far.
struct Decoding {
    encoding: Encoding,
    reader: Box<dyn Read + Send>,
    decoded: Vec<u8>,
}

impl Decoding {
    fn new(encoding: Encoding, body: Bytes) -> Result<Decoding, ApiError> {
        let source = Cursor::new(body);
        let reader: Box<dyn Read + Send> = match encoding {
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
        Ok(Decoding {
            encoding,
            reader,
            decoded: Vec::new(),
        })
    }

    /// Decodes until the body ends (true) or more than `cap` bytes came out (false).
    fn run_to(mut self, cap: usize) -> Result<(Decoding, bool), ApiError> {
        let wanted = (cap + 1).saturating_sub(self.decoded.len()) as u64;
        let encoding = self.encoding;
        (&mut self.reader)
            .take(wanted)
            .read_to_end(&mut self.decoded)
            .map_err(|error| {
                ApiError::BadRequest(format!(
                    "the body could not be decoded as {}: {error}",
                    encoding.name()
                ))
            })?;
        let ended = self.decoded.len() <= cap;
        Ok((self, ended))
    }
}

/// The body as the client meant it: `wire` decoded per its `Content-Encoding` (unchanged
/// when plain), with `server.body_limit` applied to the decoded bytes. `slot` is the
/// large-body slot the wire body took, if any; decoding past [`LARGE_BODY_BYTES`] takes one.
pub async fn decode_body(
    encoding: Encoding,
    wire: Bytes,
    slot: &mut Option<OwnedSemaphorePermit>,
    state: &AppState,
) -> Result<Bytes, ApiError> {
    if encoding == Encoding::Identity {
        return Ok(wire);
    }
    let limit = state.body_limit;
    let small = usize::try_from(LARGE_BODY_BYTES)
        .unwrap_or(usize::MAX)
        .min(limit);
    let decoding = Decoding::new(encoding, wire)?;
    let cap = if slot.is_some() { limit } else { small };
    let (mut decoding, mut ended) = web::block(move || decoding.run_to(cap)).await??;
    if !ended && cap < limit {
        *slot = Some(large_body_slot(state).await?);
        (decoding, ended) = web::block(move || decoding.run_to(limit)).await??;
    }
    if !ended {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(Bytes::from(decoding.decoded))
}
