//! [`RateLimited`]: what a 429 tells the client, and its rate-limit headers.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Duration;

use super::Quota;
use crate::error::whole_seconds_up;

/// A refusal by a rate limit: which policy, its quota, and when to come back.
/// The payload of [`Decision::rate_limited`](crate::Decision::rate_limited) and
/// [`AuthError::TooManyRequests`](crate::AuthError::TooManyRequests).
///
/// The response carries it in three headers: `Retry-After`, and the
/// `RateLimit-Policy` and `RateLimit` fields of
/// [draft-ietf-httpapi-ratelimit-headers-11](https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/11/)
/// (structured-field lists; the draft may still change):
///
/// ```text
/// Retry-After: 2
/// RateLimit-Policy: "free";q=60;w=60
/// RateLimit: "free";r=0;t=2
/// ```
///
/// `q` is the burst, `w` the period in seconds (rounded up), `r` what is left
/// (0: the request was refused) and `t` the seconds within which no more is
/// available, which for a refusal is the `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimited {
    policy: Cow<'static, str>,
    quota: Quota,
    retry_after: Duration,
    reset: Duration,
}

impl RateLimited {
    /// A refusal under `policy` (its name in the headers, e.g. the plan), whose
    /// `quota` is spent: a request passes again after `retry_after`, and the
    /// whole quota is back after `reset`.
    pub fn new(
        policy: impl Into<Cow<'static, str>>,
        quota: Quota,
        retry_after: Duration,
        reset: Duration,
    ) -> Self {
        RateLimited {
            policy: policy.into(),
            quota,
            retry_after,
            reset: reset.max(retry_after),
        }
    }

    /// The policy's name.
    pub fn policy(&self) -> &str {
        &self.policy
    }

    pub(crate) fn policy_cow(&self) -> Cow<'static, str> {
        self.policy.clone()
    }

    /// The quota that was spent.
    pub fn quota(&self) -> Quota {
        self.quota
    }

    /// When a request passes again.
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }

    /// When the whole quota is back.
    pub fn reset(&self) -> Duration {
        self.reset
    }

    /// The `RateLimit-Policy` field value: `"free";q=60;w=60`.
    pub fn policy_header(&self) -> String {
        let mut value = String::with_capacity(32);
        push_sf_string(&mut value, &self.policy);
        let _ = write!(
            value,
            ";q={};w={}",
            self.quota.burst(),
            whole_seconds_up(self.quota.period())
        );
        value
    }

    /// The `RateLimit` field value: `"free";r=0;t=2`.
    pub fn ratelimit_header(&self) -> String {
        let mut value = String::with_capacity(32);
        push_sf_string(&mut value, &self.policy);
        let _ = write!(value, ";r=0;t={}", whole_seconds_up(self.retry_after));
        value
    }
}

/// Appends `text` as a structured-field String (RFC 9651 §3.3.3): quoted, `"`
/// and `\` escaped, and characters outside printable ASCII left out (the
/// [`Plans`](super::Plans) names are checked to have none).
fn push_sf_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {}
        }
    }
    out.push('"');
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_the_draft_syntax() {
        let quota = Quota::new(5, Duration::from_millis(1500)).unwrap();
        let limited = RateLimited::new(
            r#"odd "name"\"#,
            quota,
            Duration::from_micros(1),
            Duration::from_secs(1),
        );
        assert_eq!(limited.policy_header(), r#""odd \"name\"\\";q=5;w=2"#);
        assert_eq!(limited.ratelimit_header(), r#""odd \"name\"\\";r=0;t=1"#);
        let limited = RateLimited::new("é\u{7}x", quota, Duration::ZERO, Duration::ZERO);
        assert_eq!(limited.ratelimit_header(), r#""x";r=0;t=1"#);
    }
}
