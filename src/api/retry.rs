//! When and how long to wait before trying a request again (docs/platform.md, "Retries and rate limits").
//!
//! Idempotent methods are retried on 408, 429, 5xx and transport errors. POST and PATCH are
//! retried only on 429 (rejected before processing) and on a failed connect (nothing was
//! sent): a 5xx or a lost answer may mean the write happened, and resending would duplicate an
//! SMS.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::Method;

#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt, for server and transport failures.
    pub max_retries: u32,
    /// Retries after 429s, counted apart: a 429 was rejected before processing, so waiting it
    /// out is always safe, and a batch should ride out a rate-limit storm rather than fail.
    pub max_rate_limited: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A longer `Retry-After` is capped to this, so a bad header cannot stall a run for hours.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            max_rate_limited: 20,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// What went wrong with one attempt, as far as the retry decision cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Status(u16),
    /// The connection could not be made: the request never left.
    Connect,
    /// Timed out or broke after the request may have been sent.
    Transport,
    /// A complete answer that cannot be used (too large): asking again gets the same.
    Unusable,
    /// The request's deadline ran out; there is no time left to try again.
    OutOfTime,
}

pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

impl RetryPolicy {
    /// `attempt` counts earlier retries of the same kind (429s apart from the rest).
    pub fn should_retry(&self, method: &Method, failure: Failure, attempt: u32) -> bool {
        let limit = if failure == Failure::Status(429) {
            self.max_rate_limited
        } else {
            self.max_retries
        };
        if attempt >= limit {
            return false;
        }
        match failure {
            Failure::Status(429) | Failure::Connect => true,
            Failure::Status(s) => is_idempotent(method) && (s == 408 || (500..=599).contains(&s)),
            Failure::Transport => is_idempotent(method),
            Failure::Unusable | Failure::OutOfTime => false,
        }
    }

    /// Exponential backoff with jitter for retry number `attempt` (0-based), unless the server
    /// said how long to wait.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_retry_after);
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.min(16)))
            .min(self.max_delay);
        // Equal jitter: half fixed, half random, so concurrent clients spread out.
        let half = exp / 2;
        let jitter_ms = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
        half + Duration::from_millis(jitter_ms)
    }
}

/// Parses `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
        return None;
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_are_retried_only_when_nothing_was_processed() {
        let p = RetryPolicy::default();
        assert!(p.should_retry(&Method::POST, Failure::Status(429), 0));
        assert!(p.should_retry(&Method::POST, Failure::Connect, 0));
        assert!(!p.should_retry(&Method::POST, Failure::Status(500), 0));
        assert!(!p.should_retry(&Method::POST, Failure::Status(503), 0));
        assert!(!p.should_retry(&Method::POST, Failure::Transport, 0));
        assert!(!p.should_retry(&Method::PATCH, Failure::Status(502), 0));
    }

    #[test]
    fn gets_are_retried_on_server_errors_until_the_limit() {
        let p = RetryPolicy::default();
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(p.should_retry(&Method::GET, Failure::Status(s), 0), "{s}");
        }
        assert!(p.should_retry(&Method::GET, Failure::Transport, 4));
        assert!(!p.should_retry(&Method::GET, Failure::Transport, 5));
        assert!(!p.should_retry(&Method::GET, Failure::Status(400), 0));
        assert!(!p.should_retry(&Method::GET, Failure::Status(404), 0));
    }

    #[test]
    fn unusable_answers_and_spent_deadlines_are_final() {
        let p = RetryPolicy::default();
        for m in [Method::GET, Method::POST] {
            assert!(!p.should_retry(&m, Failure::Unusable, 0));
            assert!(!p.should_retry(&m, Failure::OutOfTime, 0));
        }
    }

    #[test]
    fn rate_limits_have_their_own_longer_budget() {
        let p = RetryPolicy::default();
        assert!(p.should_retry(&Method::POST, Failure::Status(429), 19));
        assert!(!p.should_retry(&Method::POST, Failure::Status(429), 20));
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3600))),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let p = RetryPolicy::default();
        for attempt in 0..20 {
            let d = p.delay(attempt, None);
            assert!(d <= p.max_delay, "{d:?}");
        }
        assert!(p.delay(4, None) >= Duration::from_secs(2));
    }

    #[test]
    fn parses_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 0.5 ", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
