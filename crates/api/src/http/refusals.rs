//! Requests refused before any handler runs, each with a problem document: headers larger
//! than `server.max_header_bytes` (431), paths that are not UTF-8 once decoded, protocol
//! switches and tunnels (`Upgrade`, `CONNECT`), and query parameters the route does not take
//! (400 naming the parameter, so a misspelled `dryRun` can never write).

use std::collections::HashMap;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::{OpenApi, RefOr};

use crate::error::ApiError;
use crate::state::AppState;

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

/// Refuses (400, and closes the connection) `CONNECT` and any request asking to switch
/// protocols (`Upgrade`): the API serves neither. actix frames such a request's body as
/// everything until the connection ends, whatever `Content-Length` says, so it must never
/// reach a handler that reads a body; and since where it ends is unknown, nothing after it
/// on the connection can be read as a request either.
pub async fn refuse_protocol_switches(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let tunnel = request.method() == Method::CONNECT;
    if tunnel || request.headers().contains_key(header::UPGRADE) {
        return Err(ApiError::ProtocolSwitch {
            what: if tunnel { "CONNECT" } else { "Upgrade" },
        }
        .into());
    }
    next.call(request).await
}

/// The query parameters each route takes, read from the OpenAPI document, so what is served
/// and what is documented cannot differ. Keyed by method and route pattern
/// (`/customers/{code}`); a route absent from the document takes none.
#[derive(Debug, Default)]
pub struct QueryParameters(HashMap<(Method, String), Vec<String>>);

impl QueryParameters {
    pub fn from_document(document: &OpenApi) -> QueryParameters {
        let mut routes = HashMap::new();
        for (path, item) in &document.paths.paths {
            let operations = [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::DELETE, &item.delete),
                (Method::PATCH, &item.patch),
                (Method::HEAD, &item.head),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                let names = operation
                    .parameters
                    .iter()
                    .flatten()
                    .filter_map(|parameter| match parameter {
                        RefOr::T(parameter) if parameter.parameter_in == ParameterIn::Query => {
                            Some(parameter.name.clone())
                        }
                        _ => None,
                    })
                    .collect();
                routes.insert((method, path.clone()), names);
            }
        }
        QueryParameters(routes)
    }

    /// The first parameter of `query` that `route` does not take, with the refusal.
    fn check(&self, method: &Method, route: &str, query: &str) -> Result<(), ApiError> {
        if query.is_empty() {
            return Ok(());
        }
        // HEAD is answered by the GET handler.
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        let taken: &[String] = self
            .0
            .get(&(method.clone(), route.to_owned()))
            .map_or(&[], Vec::as_slice);
        // The same decoding actix's `web::Query` applies (form_urlencoded, under serde_urlencoded).
        let unknown = form_urlencoded::parse(query.as_bytes())
            .map(|(name, _)| name)
            .find(|name| !taken.iter().any(|known| known == name));
        let Some(unknown) = unknown else {
            return Ok(());
        };
        let names: Vec<&str> = taken.iter().map(String::as_str).collect();
        let shown: String = unknown.chars().take(64).collect();
        let mut detail = format!("unknown query parameter `{shown}`");
        if let Some(meant) = clientela_core::validate::closest_name(&unknown, &names) {
            detail.push_str(&format!(" (did you mean `{meant}`?)"));
        }
        if names.is_empty() {
            detail.push_str(&format!("; {method} {route} takes no query parameters"));
        } else {
            let list: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
            detail.push_str(&format!("; {method} {route} takes {}", list.join(", ")));
        }
        Err(ApiError::BadRequest(detail))
    }
}

/// Refuses (400) a query parameter the matched route does not take. Unmatched paths go on
/// to their 404.
pub async fn refuse_unknown_query_parameters(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let (Some(route), Some(parameters)) = (
        request.match_pattern(),
        request.app_data::<web::Data<QueryParameters>>(),
    ) {
        parameters.check(request.method(), &route, request.query_string())?;
    }
    next.call(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters() -> QueryParameters {
        QueryParameters(HashMap::from([
            (
                (Method::POST, "/customers".to_owned()),
                vec![
                    "atomic".to_owned(),
                    "strict".to_owned(),
                    "dryRun".to_owned(),
                ],
            ),
            ((Method::GET, "/customers/{code}".to_owned()), vec![]),
        ]))
    }

    fn refusal(method: Method, route: &str, query: &str) -> Option<String> {
        parameters()
            .check(&method, route, query)
            .err()
            .map(|error| error.to_string())
    }

    #[test]
    fn the_parameters_a_route_takes_pass_in_any_order_and_spelling_of_values() {
        assert_eq!(
            refusal(Method::POST, "/customers", "dryRun=true&atomic=1"),
            None
        );
        assert_eq!(refusal(Method::POST, "/customers", ""), None);
    }

    #[test]
    fn a_misspelled_parameter_is_named_with_the_one_meant() {
        for misspelled in ["dryrun=true", "dry_run=true", "DryRun=true"] {
            let detail = refusal(Method::POST, "/customers", misspelled).unwrap_or_default();
            let name = misspelled.split('=').next().unwrap_or_default();
            assert!(detail.contains(&format!("`{name}`")), "{detail}");
            assert!(detail.contains("did you mean `dryRun`?"), "{detail}");
        }
    }

    #[test]
    fn a_route_without_parameters_refuses_any_and_says_so() {
        let detail = refusal(Method::HEAD, "/customers/{code}", "x=1").unwrap_or_default();
        assert!(detail.contains("takes no query parameters"), "{detail}");
    }

    #[test]
    fn a_percent_encoded_name_is_decoded_as_the_handler_would() {
        assert_eq!(refusal(Method::POST, "/customers", "dry%52un=true"), None);
    }
}
