//! The one error type of the API and its one mapping to HTTP.
//!
//! Error policy: handlers return [`ApiError`]; every error leaves as an RFC 9457 problem
//! document (`application/problem+json`). Validation problems are 422 with one entry per
//! field; an unreachable database (pool timeout, refused connection) is 503 so clients
//! retry; anything unexpected is 500 with the detail logged, not sent. actix's own
//! extractor errors (bad query strings, bad paths) are routed here too, so every error
//! looks the same.
//!
//! A customer that is not applied ([`Refusal`]) becomes its problem document here too, with
//! [`ApiError::refused`]: the answer to that customer posted alone, and the `error` of the
//! same customer as an item of a batch, are one document (`crate::ingest::batch_response`).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use clientela_core::wire::{Problem, ProblemField};
use clientela_core::{BatchLength, FieldError, Refusal};
use clientela_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    MalformedJson(String),
    #[error("{0}")]
    BadRequest(String),
    /// `CONNECT` or `Upgrade` (400, and the connection is closed: see
    /// `crate::http::refusals::refuse_protocol_switches`).
    #[error("this API serves neither protocol switches nor tunnels: {what} is refused")]
    ProtocolSwitch { what: &'static str },
    #[error("{detail}")]
    Invalid {
        detail: String,
        errors: Vec<ProblemField>,
    },
    #[error("a valid API key is required: send `Authorization: Bearer <key>`")]
    Unauthorized,
    #[error("this API key has the `{held}` scope; `{needed}` is needed")]
    Forbidden {
        held: &'static str,
        needed: &'static str,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A POST of a code erased with `suppress=true`: 409, the `code` field named.
    #[error("`{code}` was erased and is suppressed; DELETE /suppressions/{{code}} allows it again")]
    Suppressed { code: String },
    #[error("{0}")]
    PreconditionFailed(String),
    /// A `Content-Encoding` the server does not decode (415).
    #[error("{0}")]
    UnsupportedEncoding(String),
    #[error("the body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the body did not arrive within {seconds} seconds")]
    RequestTimeout { seconds: u64 },
    #[error("the request headers are larger than the limit of {limit} bytes")]
    HeadersTooLarge { limit: usize },
    #[error("this API key is over its request rate; retry in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error(
        "the change feed no longer holds the changes after this cursor: copy every customer \
         again (GET /customers), then follow the feed from the cursor `{resume}`"
    )]
    Gone { resume: String },
    #[error(
        "the change feed's history forked before this cursor (the database failed over to a \
         standby that had not received every change): follow the feed from the cursor \
         `{resume}`, where both histories agree; changes after it may come again, none are \
         skipped"
    )]
    Forked { resume: String },
    #[error("the database is unavailable; try again shortly")]
    Unavailable(String),
    /// A write past `database.commit_timeout` (a database or a synchronous standby that
    /// does not answer): 503, and the client is told what it may assume.
    #[error(
        "the write did not complete within {millis} ms (the database, or a synchronous standby \
         it waits for, did not answer in time): it may or may not have been applied; sending \
         the same request again is safe"
    )]
    OutcomeUnknown { millis: u64 },
    /// The connection to the database was lost while a write committed: 503, and the
    /// client is told what it may assume.
    #[error(
        "the connection to the database was lost while the write committed: it may or may \
         not have been applied; sending the same request again is safe"
    )]
    CommitLost(String),
    /// The server is at a limit of its own (e.g. large bodies in progress): 503, retry.
    #[error("{0}")]
    Busy(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A 422 for one customer object's field errors (`index` when it was in an array).
    pub fn invalid_customer(index: Option<usize>, errors: &[FieldError]) -> ApiError {
        ApiError::Invalid {
            detail: "the customer is invalid".into(),
            errors: problem_fields(index, errors),
        }
    }

    /// A 422 for one field of a request body that is not a customer (a webhook's `url`).
    pub fn invalid_field(field: &str, message: &str) -> ApiError {
        ApiError::Invalid {
            detail: format!("`{field}` is invalid: {message}"),
            errors: vec![ProblemField {
                index: None,
                field: field.to_owned(),
                message: message.to_owned(),
            }],
        }
    }

    /// The answer to a customer that was not applied, alone or as an item of a batch.
    pub fn refused(refusal: &Refusal) -> ApiError {
        match refusal {
            Refusal::Invalid(errors) => ApiError::invalid_customer(None, errors),
            Refusal::Suppressed { code } => ApiError::Suppressed { code: code.clone() },
            Refusal::PreconditionFailed { code, current } => {
                ApiError::PreconditionFailed(match current {
                    Some(version) => format!("`{code}` exists at version {version}"),
                    None => format!("no customer has the code `{code}`"),
                })
            }
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::MalformedJson(_) => ("malformed-json", "Malformed JSON"),
            ApiError::BadRequest(_) | ApiError::ProtocolSwitch { .. } => {
                ("bad-request", "Bad request")
            }
            ApiError::Invalid { .. } => ("invalid", "Invalid request"),
            ApiError::Unauthorized => ("unauthorized", "Unauthorized"),
            ApiError::Forbidden { .. } => ("forbidden", "Forbidden"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::Conflict(_) | ApiError::Suppressed { .. } => ("conflict", "Conflict"),
            ApiError::PreconditionFailed(_) => ("precondition-failed", "Precondition failed"),
            ApiError::PayloadTooLarge { .. } => ("payload-too-large", "Payload too large"),
            ApiError::UnsupportedEncoding(_) => {
                ("unsupported-encoding", "Unsupported content encoding")
            }
            ApiError::RequestTimeout { .. } => ("request-timeout", "Request timeout"),
            ApiError::HeadersTooLarge { .. } => {
                ("headers-too-large", "Request header fields too large")
            }
            ApiError::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            ApiError::Gone { .. } => ("cursor-expired", "Cursor expired"),
            ApiError::Forked { .. } => ("cursor-forked", "Cursor from another history"),
            ApiError::Unavailable(_)
            | ApiError::OutcomeUnknown { .. }
            | ApiError::CommitLost(_)
            | ApiError::Busy(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let errors = match self {
            ApiError::Invalid { errors, .. } => errors.clone(),
            ApiError::Suppressed { .. } => vec![ProblemField {
                index: None,
                field: "code".into(),
                message: self.to_string(),
            }],
            _ => Vec::new(),
        };
        Problem {
            problem_type: problem_type(slug),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail: Some(self.to_string()),
            errors,
        }
    }
}

/// The `type` URI of a problem document.
pub fn problem_type(slug: &str) -> String {
    format!("urn:clientela:problem:{slug}")
}

/// Field errors as problem entries.
pub fn problem_fields(index: Option<usize>, errors: &[FieldError]) -> Vec<ProblemField> {
    errors
        .iter()
        .map(|error| ProblemField {
            index,
            field: error.field().to_owned(),
            message: error.to_string(),
        })
        .collect()
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson(_)
            | ApiError::BadRequest(_)
            | ApiError::ProtocolSwitch { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::Suppressed { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Gone { .. } | ApiError::Forked { .. } => StatusCode::GONE,
            ApiError::Unavailable(_)
            | ApiError::OutcomeUnknown { .. }
            | ApiError::CommitLost(_)
            | ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(detail) => tracing::error!(%detail, "internal error"),
            ApiError::Unavailable(detail) => tracing::warn!(%detail, "database unavailable"),
            ApiError::CommitLost(detail) => {
                tracing::warn!(%detail, "connection lost while a write committed");
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if matches!(self, ApiError::Unauthorized) {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        match self {
            ApiError::Unavailable(_)
            | ApiError::OutcomeUnknown { .. }
            | ApiError::CommitLost(_)
            | ApiError::Busy(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            ApiError::TooManyRequests { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            // The connection may hold the rest of a body the server will not read.
            ApiError::RequestTimeout { .. }
            | ApiError::HeadersTooLarge { .. }
            | ApiError::ProtocolSwitch { .. } => {
                response.insert_header((header::CONNECTION, HeaderValue::from_static("close")));
            }
            _ => {}
        }
        if let ApiError::Gone { resume } | ApiError::Forked { resume } = self {
            // RFC 9457 extension member: where to resume after the resync.
            let mut problem = serde_json::to_value(self.problem()).unwrap_or_default();
            problem["resume"] = serde_json::Value::String(resume.clone());
            return response.json(problem);
        }
        response.json(self.problem())
    }
}

impl From<BatchLength> for ApiError {
    fn from(error: BatchLength) -> Self {
        ApiError::Invalid {
            detail: error.to_string(),
            errors: Vec::new(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::CursorExpired { resume } => return ApiError::Gone { resume },
            StoreError::CursorForked { resume } => return ApiError::Forked { resume },
            StoreError::BadCursor(detail) => return ApiError::BadRequest(detail),
            StoreError::CommitLost(detail) => return ApiError::CommitLost(detail),
            _ => {}
        }
        if error.is_unavailable() {
            ApiError::Unavailable(error.to_string())
        } else {
            ApiError::Internal(error.to_string())
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(error.to_string())
    }
}
