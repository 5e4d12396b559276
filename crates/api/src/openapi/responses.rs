//! Error answers shared by many operations, named once: list them in a handler's
//! `responses(...)` next to its own.

use clientela_core::wire::Problem;
use utoipa::IntoResponses;

/// What any operation behind an API key may answer before it does anything: 401 and 429.
#[derive(IntoResponses)]
pub enum KeyRefused {
    #[response(
        status = 401,
        description = "No or bad API key",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 429,
        description = "The key is over its request rate; retry after `Retry-After` seconds",
        content_type = "application/problem+json"
    )]
    TooManyRequests(Problem),
}

/// 503: what any operation that reads or writes the database may answer.
#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "The database is unavailable or busy (a lock held past `database.lock_timeout`, a statement past `database.statement_timeout`), or the server is at its limit of large bodies; retry after `Retry-After` seconds",
    content_type = "application/problem+json"
)]
#[expect(dead_code, reason = "only documents an answer; `ApiError` makes it")]
pub struct DatabaseUnavailable(Problem);
