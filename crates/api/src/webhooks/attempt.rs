//! One attempt to deliver a batch: the HTTP client (rustls, bounded timeouts, no redirects, no
//! proxy, addresses checked as they resolve), the signed request, what came of it, and what
//! follows a failure (the backoff, or a pause).

use std::sync::Arc;
use std::time::Duration;

use clientela_core::Timestamp;
use clientela_store::{AfterFailure, Webhook};
use rand::Rng;

use super::address::CheckedResolver;
use super::signing::signature;
use super::{
    CONNECT_TIMEOUT, MAX_ANSWER_BYTES, MAX_RETRY_INTERVAL, REQUEST_TIMEOUT, WebhookOptions,
};

/// The HTTP client deliveries go through: rustls, bounded timeouts, no redirects, no proxy,
/// and addresses checked as they are resolved unless private networks are allowed.
pub fn client(options: &WebhookOptions) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("clientela-webhooks/", env!("CARGO_PKG_VERSION")));
    let builder = if options.allow_private_networks {
        builder
    } else {
        builder.dns_resolver(Arc::new(CheckedResolver))
    };
    builder.build()
}

/// What came of one request.
#[derive(Debug)]
pub struct Outcome {
    pub status: Option<u16>,
    /// Seconds the receiver asked to wait (`Retry-After`).
    pub retry_after: Option<u64>,
    pub error: Option<String>,
}

impl Outcome {
    pub fn delivered(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }
}

/// Posts one signed batch; reads at most [`MAX_ANSWER_BYTES`] of the answer.
pub async fn post(
    client: &reqwest::Client,
    options: &WebhookOptions,
    subscription: &Webhook,
    message_id: &str,
    secret: &[u8],
    body: Vec<u8>,
) -> Outcome {
    let failed = |error: String| Outcome {
        status: None,
        retry_after: None,
        error: Some(error),
    };
    let url = match super::check_url(&subscription.url, options) {
        Ok(url) => url,
        Err(error) => return failed(error.to_string()),
    };
    let timestamp = Timestamp::now().micros() / 1_000_000;
    let request = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            signature(secret, message_id, timestamp, &body),
        )
        .body(body);
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) => return failed(describe(&error)),
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok());
    let mut read = 0;
    while read < MAX_ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            _ => break,
        }
    }
    Outcome {
        status: Some(status.as_u16()),
        retry_after,
        error: (!status.is_success()).then(|| format!("the receiver answered {status}")),
    }
}

/// A client error in words, with its cause (which says why a connection was refused).
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "no answer within the time allowed".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// After a failed attempt: retry after the backoff (or the receiver's `Retry-After`), or
/// pause (410 Gone, or failing for longer than `max_retry_age`).
pub fn after_failure(
    options: &WebhookOptions,
    subscription: &Webhook,
    outcome: &Outcome,
    now: i64,
) -> AfterFailure {
    if outcome.status == Some(410) {
        return AfterFailure::Pause("the receiver answered 410 Gone".into());
    }
    let failing_since = subscription.failing_since.unwrap_or(now);
    let attempts = u32::try_from(subscription.attempts).unwrap_or(0);
    let backoff = options
        .first_retry
        .saturating_mul(2_u32.saturating_pow(attempts.min(20)))
        .min(MAX_RETRY_INTERVAL);
    // Equal jitter: between half the backoff and all of it, so receivers that failed
    // together do not all come back at the same instant.
    let jittered = backoff.mul_f64(rand::rng().random_range(0.5..=1.0));
    let wait = match outcome.retry_after {
        Some(seconds) => Duration::from_secs(seconds).min(MAX_RETRY_INTERVAL),
        None => jittered,
    };
    let next = now + micros(wait);
    if next - failing_since > micros(options.max_retry_age) {
        let last = outcome.error.as_deref().unwrap_or("it failed");
        return AfterFailure::Pause(format!(
            "gave up after retrying for {} s; the last attempt: {last}",
            options.max_retry_age.as_secs()
        ));
    }
    AfterFailure::RetryAt(next)
}

pub fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscription(attempts: i32, failing_since: Option<i64>) -> Webhook {
        Webhook {
            id: "wh_1".into(),
            url: "http://example.com".into(),
            events: "upsert,delete".into(),
            fields: None,
            created_at: 0,
            cursor: "0-0".into(),
            paused_reason: None,
            paused_at: None,
            batch_id: None,
            batch_end: None,
            attempts,
            failing_since,
            next_attempt_at: None,
            last_error: None,
            last_success_at: None,
            lease_holder: None,
            lease_until: None,
            queued: None,
        }
    }

    fn failed(status: Option<u16>, retry_after: Option<u64>) -> Outcome {
        Outcome {
            status,
            retry_after,
            error: Some("failed".into()),
        }
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_the_cap() {
        let options = WebhookOptions::default();
        for attempts in [0, 1, 2, 5, 30] {
            let AfterFailure::RetryAt(at) = after_failure(
                &options,
                &subscription(attempts, Some(0)),
                &failed(Some(500), None),
                0,
            ) else {
                panic!("a retry");
            };
            let full = Duration::from_secs(1)
                .saturating_mul(2_u32.pow(u32::try_from(attempts).unwrap_or(0).min(20)))
                .min(MAX_RETRY_INTERVAL);
            assert!(
                at >= micros(full) / 2 && at <= micros(full),
                "{attempts}: {at}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_and_410_pauses_at_once() {
        let options = WebhookOptions::default();
        let retry = after_failure(
            &options,
            &subscription(0, None),
            &failed(Some(429), Some(7)),
            0,
        );
        assert_eq!(retry, AfterFailure::RetryAt(7_000_000));
        let gone = after_failure(
            &options,
            &subscription(0, None),
            &failed(Some(410), None),
            0,
        );
        assert!(matches!(gone, AfterFailure::Pause(_)));
    }

    #[test]
    fn a_batch_failing_past_the_retry_age_pauses_its_subscription() {
        let options = WebhookOptions::default();
        let day = micros(options.max_retry_age);
        let after = after_failure(
            &options,
            &subscription(12, Some(0)),
            &failed(None, None),
            day,
        );
        assert!(matches!(after, AfterFailure::Pause(reason) if reason.contains("gave up")));
    }
}
