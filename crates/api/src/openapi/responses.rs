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

/// 403 of an operation that needs a `read` key.
#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "The key's scope is below `read`",
    content_type = "application/problem+json"
)]
#[expect(dead_code, reason = "only documents an answer; `ApiError` makes it")]
pub struct NeedsRead(Problem);

/// 403 of an operation that needs a `write` key.
#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "The key's scope is below `write`",
    content_type = "application/problem+json"
)]
#[expect(dead_code, reason = "only documents an answer; `ApiError` makes it")]
pub struct NeedsWrite(Problem);

/// 403 of an operation that needs an `admin` key.
#[derive(IntoResponses)]
#[response(
    status = 403,
    description = "The key's scope is below `admin`",
    content_type = "application/problem+json"
)]
#[expect(dead_code, reason = "only documents an answer; `ApiError` makes it")]
pub struct NeedsAdmin(Problem);

/// 400 of an operation whose path names a resource and takes no body.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "A path or query string that does not parse (a path that is not UTF-8 once percent-decoded included), or two `Authorization` headers",
    content_type = "application/problem+json"
)]
#[expect(dead_code, reason = "only documents an answer; `ApiError` makes it")]
pub struct PathRefused(Problem);
