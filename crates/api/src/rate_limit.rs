//! Per-key request rate limiting: a token bucket per API key id (governor's GCRA).
//!
//! The bucket holds `burst` requests and refills at `per_second`. A request beyond it is
//! refused with 429 and `Retry-After` (whole seconds until one more request is allowed).
//! Only verified keys get a bucket, so forged ids cannot grow the table; the limit is per
//! process, so N replicas allow N times the rate in total.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Requests each API key may make.
#[derive(Debug)]
pub struct RateLimit {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::unlimited()
    }
}

impl RateLimit {
    pub fn unlimited() -> RateLimit {
        RateLimit { limiter: None }
    }

    /// `per_second` requests per second per key, `burst` at once; `per_second` 0 is no limit.
    pub fn per_second(per_second: u32, burst: u32) -> RateLimit {
        match NonZeroU32::new(per_second) {
            None => RateLimit::unlimited(),
            Some(rate) => RateLimit::with_quota(
                Quota::per_second(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(rate)),
            ),
        }
    }

    /// One more request every `period`, `burst` at once (tests use a slow refill).
    pub fn every(period: Duration, burst: u32) -> RateLimit {
        match (Quota::with_period(period), NonZeroU32::new(burst)) {
            (Some(quota), Some(burst)) => RateLimit::with_quota(quota.allow_burst(burst)),
            _ => RateLimit::unlimited(),
        }
    }

    fn with_quota(quota: Quota) -> RateLimit {
        RateLimit {
            limiter: Some(DefaultKeyedRateLimiter::keyed(quota)),
        }
    }

    /// Takes one request from the key's bucket; `Err` holds the whole seconds to wait.
    pub fn check(&self, key_id: &str) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(&key_id.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            // Round up: a client that waits exactly this long must get through.
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_burst_then_waits_while_other_keys_go_on() {
        let limit = RateLimit::every(Duration::from_secs(60), 3);
        for _ in 0..3 {
            assert_eq!(limit.check("a"), Ok(()));
        }
        let wait = limit.check("a").err();
        assert!(
            wait.is_some_and(|seconds| (1..=60).contains(&seconds)),
            "{wait:?}"
        );
        assert_eq!(limit.check("b"), Ok(()), "buckets are per key");
    }

    #[test]
    fn zero_per_second_means_no_limit() {
        let limit = RateLimit::per_second(0, 0);
        for _ in 0..10_000 {
            assert_eq!(limit.check("a"), Ok(()));
        }
    }
}
