//! How long revocation entries are kept.

use std::time::{Duration, SystemTime};

use super::Cutoff;

/// How long a store keeps what it was told, so that it forgets nothing that still
/// matters and keeps nothing that no longer does.
///
/// - A revoked token is kept until its `exp` plus [`token_grace`](Self::token_grace):
///   a verifier accepts a token for its clock leeway past `exp`, so a revocation
///   that vanished exactly at `exp` would let the token back in for that long.
///   Keep the grace at least as long as the verifier's leeway. Default: 5 minutes.
/// - A subject cutoff is kept for [`subject_cutoff`](Self::subject_cutoff) after the
///   cutoff: keep it at least as long as the longest-lived token checked against
///   it, refresh-token families included, or an old token comes back to life when
///   the cutoff is dropped. Default: 30 days.
///
/// ```
/// use std::time::Duration;
/// use auth_core::revocation::Retention;
///
/// let retention = Retention::new()
///     .with_token_grace(Duration::from_secs(60))
///     .with_subject_cutoff(Duration::from_secs(14 * 24 * 3600));
/// assert_eq!(retention.token_grace(), Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    token_grace: Duration,
    subject_cutoff: Duration,
}

impl Retention {
    /// The default [`token_grace`](Self::token_grace): 5 minutes.
    pub const DEFAULT_TOKEN_GRACE: Duration = Duration::from_secs(5 * 60);
    /// The default [`subject_cutoff`](Self::subject_cutoff): 30 days.
    pub const DEFAULT_SUBJECT_CUTOFF: Duration = Duration::from_secs(30 * 24 * 3600);

    /// The defaults: 5 minutes of token grace, subject cutoffs kept 30 days.
    pub const fn new() -> Self {
        Retention {
            token_grace: Self::DEFAULT_TOKEN_GRACE,
            subject_cutoff: Self::DEFAULT_SUBJECT_CUTOFF,
        }
    }

    /// Keeps revoked tokens `grace` past their `exp`.
    #[must_use]
    pub const fn with_token_grace(mut self, grace: Duration) -> Self {
        self.token_grace = grace;
        self
    }

    /// Keeps subject cutoffs for `keep` after the cutoff.
    #[must_use]
    pub const fn with_subject_cutoff(mut self, keep: Duration) -> Self {
        self.subject_cutoff = keep;
        self
    }

    /// How long past its `exp` a revoked token is remembered.
    pub const fn token_grace(&self) -> Duration {
        self.token_grace
    }

    /// How long after the cutoff a subject cutoff is remembered.
    pub const fn subject_cutoff(&self) -> Duration {
        self.subject_cutoff
    }

    /// Until when a revocation of a token expiring at `exp` is kept. Saturates
    /// at a far future rather than forgetting.
    pub(crate) fn token_until(&self, exp: SystemTime) -> SystemTime {
        exp.checked_add(self.token_grace).unwrap_or(exp)
    }

    /// Until when `cutoff` is kept.
    pub(crate) fn cutoff_until(&self, cutoff: Cutoff) -> SystemTime {
        cutoff.kept_until(self.subject_cutoff)
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self::new()
    }
}
