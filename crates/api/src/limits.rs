//! The defaults of what one request may cost the server, beyond those actix enforces itself
//! (a head within `server.request_head_timeout`, at most 128 KiB and 96 headers, at most
//! `server.max_connections` connections per worker): the headers' total size
//! (`server.max_header_bytes`, 431, enforced in `crate::http::refusals`), and the body's size,
//! arrival time and memory (`server.body_limit` 413, `server.body_timeout` 408, the large-body
//! slots; enforced in `crate::http::payload`).

use std::time::Duration;

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

/// How long a read waits for the database unless told otherwise (`database.read_timeout`).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
