//! The bounds a request lives within: how long it may take in all, and how much of an answer
//! is read. Without them a broken or hostile server could hold a run for hours (silence,
//! a trickling body, `Retry-After: 999999`) or fill the memory (an endless body); with them it
//! gets an error that names the bound that was hit.

use std::time::Duration;

use tokio::time::Instant;

/// Real answers are pages of at most a few hundred KB; 8 MiB leaves ample room.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// At the platform's page sizes, 1,000 pages is far more than any organization has.
pub const DEFAULT_MAX_PAGES: usize = 1000;
/// Long enough to ride out a few rate-limit waits, short enough that a stuck server is noticed.
pub const DEFAULT_REQUEST_DEADLINE: Duration = Duration::from_secs(60);
/// Error answers are read only this far: their message is in the first few hundred bytes, and
/// the status alone says what to do.
pub const ERROR_BODY_BYTES: usize = 64 * 1024;

/// The time one request has, across its attempts and the waits between them.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    at: Instant,
    budget: Duration,
}

/// How far an attempt got when the deadline ran out; a write that may have left is ambiguous.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not sent yet (waiting for the client's own rate limit).
    Queued,
    /// Sent (or being sent); no answer yet.
    Sent,
    /// The status arrived; the body was still being read.
    Reading,
}

impl Deadline {
    pub fn start(budget: Duration) -> Deadline {
        let now = Instant::now();
        // An absurd budget means "no deadline" rather than an overflow.
        let at = now
            .checked_add(budget)
            .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365));
        Deadline { at, budget }
    }

    pub fn at(&self) -> Instant {
        self.at
    }

    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Why the wait before the next attempt is not taken, or `None` when it fits. A wait that
    /// ends at or after the deadline would only lead to an attempt with no time to finish.
    pub fn refuse_wait(&self, wait: Duration, retry_after: Option<Duration>) -> Option<String> {
        let left = self.remaining();
        if wait < left {
            return None;
        }
        let asked = match retry_after {
            Some(ra) => format!("the server asked to wait {} (Retry-After)", secs(ra)),
            None => format!("the next retry would wait {}", secs(wait)),
        };
        Some(format!(
            "{asked} but the request's {} deadline ends in {}; giving up",
            secs(self.budget),
            secs(left)
        ))
    }

    /// What happened when the deadline ran out during attempt number `attempts`.
    pub fn ran_out(&self, phase: Phase, attempts: u32) -> String {
        let budget = secs(self.budget);
        let tries = match attempts {
            1 => "1 attempt".to_string(),
            n => format!("{n} attempts"),
        };
        match phase {
            Phase::Queued => {
                format!("the request's {budget} deadline ran out before it could be sent ({tries})")
            }
            Phase::Sent => format!("no answer within the {budget} deadline ({tries})"),
            Phase::Reading => format!(
                "the answer was still arriving when the {budget} deadline ran out ({tries}); \
                 stopped reading"
            ),
        }
    }
}

/// An answer body as far as it was read.
#[derive(Debug, PartialEq, Eq)]
pub enum Body {
    Whole(Vec<u8>),
    /// The first `limit` bytes; the rest was not read.
    Cut(Vec<u8>),
}

/// Reads the body chunk by chunk and stops as soon as it passes `limit`, so memory stays
/// bounded whatever the server sends or declares.
pub async fn read_capped(resp: &mut reqwest::Response, limit: usize) -> reqwest::Result<Body> {
    let declared = resp.content_length().and_then(|n| usize::try_from(n).ok());
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = resp.chunk().await? {
        let room = limit - buf.len();
        if chunk.len() > room {
            buf.extend_from_slice(&chunk[..room]);
            return Ok(Body::Cut(buf));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Body::Whole(buf))
}

/// The message for a 2xx answer past the size limit.
pub fn too_large_message(limit: usize, declared: Option<u64>, is_write: bool) -> String {
    let why = if is_write {
        "the platform accepted the request; a real answer to it is one small object"
    } else {
        "lists are paged, so a real answer is never this big"
    };
    match declared {
        Some(n) => format!(
            "the answer declares {n} bytes, more than the {} limit; not read ({why})",
            bytes(limit)
        ),
        None => format!(
            "the answer is larger than {}; stopped reading ({why})",
            bytes(limit)
        ),
    }
}

/// `8 MiB`, `256 KiB`, `1000 bytes`.
pub fn bytes(n: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// `60 s`, `12 s`, `1.5 s`, `250 ms`: whole seconds where they are whole, so the figures a
/// user set come back as they wrote them.
pub fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{} s", d.as_secs())
    } else if s >= 10.0 {
        format!("{s:.0} s")
    } else if s >= 1.0 {
        format!("{s:.1} s")
    } else {
        format!("{} ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_as_written() {
        assert_eq!(bytes(DEFAULT_MAX_BODY_BYTES), "8 MiB");
        assert_eq!(bytes(256 * 1024), "256 KiB");
        assert_eq!(bytes(1000), "1000 bytes");
        assert_eq!(secs(Duration::from_secs(60)), "60 s");
        assert_eq!(secs(Duration::from_secs(999_999)), "999999 s");
        assert_eq!(secs(Duration::from_millis(12_400)), "12 s");
        assert_eq!(secs(Duration::from_millis(1_500)), "1.5 s");
        assert_eq!(secs(Duration::from_millis(250)), "250 ms");
        assert_eq!(secs(Duration::ZERO), "0 ms");
    }

    #[tokio::test]
    async fn waits_that_fit_are_taken_and_others_say_why_not() {
        let d = Deadline::start(Duration::from_secs(60));
        assert_eq!(d.refuse_wait(Duration::from_secs(30), None), None);
        let why = d
            .refuse_wait(Duration::from_secs(30), Some(Duration::from_secs(999_999)))
            .map(|_| ());
        assert_eq!(why, None, "the capped wait fits, whatever the server asked");
        let why = d
            .refuse_wait(Duration::from_secs(61), Some(Duration::from_secs(999_999)))
            .unwrap();
        assert!(why.starts_with("the server asked to wait 999999 s (Retry-After)"));
        assert!(why.contains("the request's 60 s deadline ends in"), "{why}");
        assert!(why.ends_with("giving up"), "{why}");
        let why = d.refuse_wait(Duration::from_secs(90), None).unwrap();
        assert!(why.starts_with("the next retry would wait 90 s"), "{why}");
    }

    #[test]
    fn running_out_says_how_far_the_request_got() {
        let d = Deadline {
            at: Instant::now(),
            budget: Duration::from_secs(60),
        };
        assert_eq!(
            d.ran_out(Phase::Sent, 3),
            "no answer within the 60 s deadline (3 attempts)"
        );
        assert!(d.ran_out(Phase::Reading, 1).contains("still arriving"));
        assert!(
            d.ran_out(Phase::Queued, 1)
                .contains("before it could be sent")
        );
    }

    #[test]
    fn an_absurd_budget_does_not_overflow() {
        let d = Deadline::start(Duration::MAX);
        assert!(d.remaining() > Duration::from_secs(86_400));
    }

    #[test]
    fn too_large_names_the_limit_and_why_it_is_safe() {
        let m = too_large_message(DEFAULT_MAX_BODY_BYTES, None, false);
        assert_eq!(
            m,
            "the answer is larger than 8 MiB; stopped reading (lists are paged, so a real \
             answer is never this big)"
        );
        let m = too_large_message(1024, Some(100_000_000), true);
        assert!(
            m.contains("declares 100000000 bytes, more than the 1 KiB limit"),
            "{m}"
        );
        assert!(m.contains("accepted"), "{m}");
    }
}
