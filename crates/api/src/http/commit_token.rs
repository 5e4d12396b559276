//! Read-your-writes with a hot standby (`database.read_url`): a write's answer carries the
//! commit token in [`COMMIT_HEADER`], and a read that sends it back is answered from the
//! standby only once the standby has replayed that far (`clientela_store`'s `standby.rs`),
//! else, after `database.read_wait`, from the primary. A read without the token may be
//! answered from the standby as it is: behind the primary by the replication lag.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};
use clientela_store::Store;

use crate::error::ApiError;
use crate::state::AppState;

/// The header a write's answer carries its commit token in, and a read sends it back in.
pub const COMMIT_HEADER: &str = "x-clientela-commit";

/// The commit token a request sends back, if any; 400 for a value that is not one.
pub fn presented(request: &HttpRequest) -> Result<Option<u64>, ApiError> {
    let Some(value) = request.headers().get(COMMIT_HEADER) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{COMMIT_HEADER} must be a token a write's answer gave (a number)"
            ))
        })
}

/// Adds the commit token to the answer of every write that succeeded, when reads may go to
/// a standby: the primary's WAL position read after the write, so at or past its commit.
pub async fn add_commit_token(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let writes = !request.method().is_safe();
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let mut response = next.call(request).await?;
    let Some(state) = state.filter(|state| writes && state.standby.is_some()) else {
        return Ok(response);
    };
    if !response.status().is_success() {
        return Ok(response);
    }
    if let Ok(Some(token)) = state.read(Store::commit_token).await
        && let Ok(value) = HeaderValue::from_str(&token.to_string())
    {
        response
            .headers_mut()
            .insert(HeaderName::from_static(COMMIT_HEADER), value);
    }
    Ok(response)
}
