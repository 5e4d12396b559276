//! The HTTP client for the clientela API: one blocking method per endpoint the console uses,
//! each answering a typed result. It runs on worker threads (see `run.rs`), never inside
//! `update` or `render`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use clientela_core::Customer;
use clientela_core::wire::{GeoResolveResponse, ListPage, Problem, SingleResponse};
use reqwest::StatusCode;
use reqwest::Url;
use reqwest::blocking::{RequestBuilder, Response};
use reqwest::header::{AUTHORIZATION, IF_MATCH, IF_NONE_MATCH};
use serde::Deserialize;
use serde_json::Value;

use crate::strings;

/// How many customers one list request asks for.
pub const PAGE_SIZE: usize = 200;

/// Where the API key comes from. A key file is read again for every request, so starting
/// the API after the console (which writes the file) or rotating the key needs no restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Given(String),
    File(PathBuf),
}

/// What `GET /customers` is asked to filter by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub prefix: String,
    pub active: Option<bool>,
    pub country: String,
}

/// Why a request did not give the answer the console wanted.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientError {
    /// No `--api-key`, no `CLIENTELA_API_KEY`, and no readable key file.
    NoKey,
    /// The server could not be reached at all (refused, timed out, DNS).
    Unreachable(String),
    /// The server answered with an error status, and the problem document when it sent one.
    Status {
        status: u16,
        problem: Option<Problem>,
    },
    /// The server answered 2xx with a body the console does not understand.
    Decode(String),
    /// A create found the code already taken (the API would have merged into it).
    AlreadyExists,
}

impl ClientError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn problem(&self) -> Option<&Problem> {
        match self {
            ClientError::Status { problem, .. } => problem.as_ref(),
            _ => None,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::NoKey => formatter.write_str("no API key"),
            ClientError::Unreachable(why) | ClientError::Decode(why) => formatter.write_str(why),
            ClientError::Status { status, problem } => {
                let text = match problem {
                    Some(problem) => {
                        strings::http_status(*status, &problem.title, problem.detail.as_deref())
                    }
                    None => {
                        let reason = StatusCode::from_u16(*status)
                            .ok()
                            .and_then(|code| code.canonical_reason())
                            .unwrap_or("error");
                        strings::http_status(*status, reason, None)
                    }
                };
                formatter.write_str(&text)
            }
            ClientError::AlreadyExists => formatter.write_str("already exists"),
        }
    }
}

/// A page of `GET /changes`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FeedPage {
    pub items: Vec<FeedItem>,
    pub next: Option<String>,
}

/// One item of the change feed, as far as the console needs it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FeedItem {
    pub op: String,
    pub code: String,
    /// The customer as it is now (upserts); `None` for a delete.
    pub customer: Option<Customer>,
}

impl FeedItem {
    pub fn is_delete(&self) -> bool {
        self.op == "delete"
    }
}

/// A connection to one clientela API.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::blocking::Client,
    base: Url,
    key: KeySource,
}

impl Client {
    pub fn new(base: Url, key: KeySource) -> Result<Client, reqwest::Error> {
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(15))
            .build()?;
        Ok(Client { http, base, key })
    }

    /// One page: the first, the one `after` a cursor, or the one `before` a cursor (`""`:
    /// the last page).
    pub fn list(
        &self,
        query: &ListQuery,
        after: Option<&str>,
        before: Option<&str>,
    ) -> Result<ListPage, ClientError> {
        let mut url = self.url(&["customers"]);
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("limit", &PAGE_SIZE.to_string());
            if let Some(after) = after {
                pairs.append_pair("after", after);
            }
            if let Some(before) = before {
                pairs.append_pair("before", before);
            }
            // The first page of a query (from either end) also asks how many there are.
            if after.is_none() && before.is_none_or(str::is_empty) {
                pairs.append_pair("count", "true");
            }
            if !query.prefix.is_empty() {
                pairs.append_pair("q", &query.prefix);
            }
            if let Some(active) = query.active {
                pairs.append_pair("active", if active { "true" } else { "false" });
            }
            if !query.country.is_empty() {
                pairs.append_pair("country", &query.country);
            }
        }
        json(self.send(self.http.get(url))?)
    }

    pub fn get(&self, code: &str) -> Result<Customer, ClientError> {
        json(self.send(self.http.get(self.url(&["customers", code])))?)
    }

    /// `POST /customers` with one object; `if_match` guards against overwriting a newer version.
    pub fn post(&self, body: &Value, if_match: Option<i64>) -> Result<SingleResponse, ClientError> {
        let mut request = self.http.post(self.url(&["customers"])).json(body);
        if let Some(version) = if_match {
            request = request.header(IF_MATCH, format!("\"{version}\""));
        }
        json(self.send(request)?)
    }

    /// Creates a customer, refusing when the code is taken (`If-None-Match: *`): a plain
    /// POST would merge into the existing customer, which is not what "new customer" means.
    pub fn create(&self, body: &Value) -> Result<SingleResponse, ClientError> {
        let request = self.http.post(self.url(&["customers"])).json(body);
        match self.send(request.header(IF_NONE_MATCH, "*")) {
            Ok(response) => json(response),
            Err(ClientError::Status { status: 412, .. }) => Err(ClientError::AlreadyExists),
            Err(other) => Err(other),
        }
    }

    /// The change feed after `after` (`"now"`: from this moment), waiting up to `wait`
    /// seconds for a change when there is none yet (a long poll).
    pub fn changes(&self, after: &str, wait: u64) -> Result<FeedPage, ClientError> {
        let mut url = self.url(&["changes"]);
        url.query_pairs_mut()
            .append_pair("after", after)
            .append_pair("wait", &wait.to_string())
            .append_pair("limit", "1000");
        let request = self.http.get(url).timeout(Duration::from_secs(wait + 15));
        json(self.send(request)?)
    }

    pub fn delete(&self, code: &str) -> Result<(), ClientError> {
        self.send(self.http.delete(self.url(&["customers", code])))
            .map(drop)
    }

    pub fn resolve_geo(
        &self,
        country: &str,
        state: &str,
        city: &str,
    ) -> Result<GeoResolveResponse, ClientError> {
        let mut url = self.url(&["geo", "resolve"]);
        url.query_pairs_mut()
            .append_pair("country", country)
            .append_pair("state", state)
            .append_pair("city", city);
        json(self.send(self.http.get(url))?)
    }

    /// The base URL with path segments appended, each percent-encoded as one segment, so a
    /// code holding `/`, `?` or spaces names exactly that customer.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn key(&self) -> Result<String, ClientError> {
        let key = match &self.key {
            KeySource::Given(key) => key.clone(),
            KeySource::File(path) => {
                std::fs::read_to_string(path).map_err(|_| ClientError::NoKey)?
            }
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(ClientError::NoKey);
        }
        Ok(key.to_owned())
    }

    fn send(&self, request: RequestBuilder) -> Result<Response, ClientError> {
        let response = request
            .header(AUTHORIZATION, format!("Bearer {}", self.key()?))
            .send()
            .map_err(|error| ClientError::Unreachable(describe_transport_error(&error)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let problem = response.json::<Problem>().ok();
        Err(ClientError::Status {
            status: status.as_u16(),
            problem,
        })
    }
}

fn json<T: serde::de::DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    response
        .json()
        .map_err(|error| ClientError::Decode(error.to_string()))
}

/// A short reason a person can act on, instead of reqwest's nested error chain.
fn describe_transport_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "connection refused".to_owned()
    } else {
        let mut source: Option<&dyn std::error::Error> = Some(error);
        let mut last = error.to_string();
        while let Some(current) = source {
            last = current.to_string();
            source = current.source();
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Client {
        let base = Url::parse(base).unwrap();
        Client::new(base, KeySource::Given("k".to_owned())).unwrap()
    }

    #[test]
    fn a_code_with_reserved_characters_is_one_encoded_path_segment() {
        let url = client("http://127.0.0.1:8080/").url(&["customers", "a/b c?d#e"]);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/customers/a%2Fb%20c%3Fd%23e"
        );
    }

    #[test]
    fn a_base_url_with_a_path_keeps_it() {
        let url = client("http://example.test/api").url(&["customers"]);
        assert_eq!(url.as_str(), "http://example.test/api/customers");
    }

    #[test]
    fn a_missing_or_empty_key_file_is_no_key() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("admin.key");
        let base = Url::parse("http://127.0.0.1:1").unwrap();
        let client = Client::new(base, KeySource::File(path.clone())).unwrap();
        assert_eq!(client.key(), Err(ClientError::NoKey));
        std::fs::write(&path, "  \n").unwrap();
        assert_eq!(client.key(), Err(ClientError::NoKey));
        std::fs::write(&path, "secret\n").unwrap();
        assert_eq!(client.key().as_deref(), Ok("secret"));
    }

    #[test]
    fn an_unreachable_server_is_reported_as_such() {
        // Port 9 (discard) on loopback is closed on a normal machine: connect is refused.
        let error = client("http://127.0.0.1:9").get("x").unwrap_err();
        assert!(matches!(error, ClientError::Unreachable(_)), "{error:?}");
    }
}
