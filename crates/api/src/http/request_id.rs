//! The request ID: a client may send `X-Request-Id` (1 to 128 visible ASCII characters) to
//! follow its request through our logs; anything else, or none, gets a fresh UUID v4. Either
//! way the response carries the ID back, errors included, and every log line written while
//! handling the request carries it (`crate::http::access_log`).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest `X-Request-Id` taken from a client.
const MAX_REQUEST_ID_LEN: usize = 128;

/// The request's ID, in its extensions from the outermost middleware on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Takes the client's `X-Request-Id` or makes one, and returns it on the response.
pub async fn assign_request_id(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|text| is_acceptable_id(text))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    request.extensions_mut().insert(RequestId(id.clone()));
    // Handlers' errors arrive here as responses already (problem documents), so they get the
    // header too. (Holding a clone of the request across the call is not an option: routing
    // needs it unshared.)
    let mut response = next.call(request).await?.map_into_boxed_body();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

/// A UUID v4 from the thread's generator, not one `getrandom` system call per request (an
/// ID needs to be unique, not secret).
fn new_request_id() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

/// Visible ASCII only, so an ID cannot forge log lines or break a header.
fn is_acceptable_id(text: &str) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic())
}
