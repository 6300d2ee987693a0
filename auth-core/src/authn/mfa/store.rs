//! [`TotpStore`]: where secrets, the last accepted step and attempt counts live.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::AuthError;

use super::TotpSecret;

/// How many attempts an account gets per window: by default 5 per 5 minutes.
///
/// The window is fixed: it starts at the first attempt counted and ends
/// `window` later, whatever happens in it; a success ends it early (the count
/// resets).
///
/// ```
/// use std::time::Duration;
/// use auth_core::mfa::AttemptLimit;
///
/// let limit = AttemptLimit::new(3, Duration::from_secs(60)).unwrap();
/// assert_eq!(limit.max(), 3);
/// assert!(AttemptLimit::new(0, Duration::from_secs(60)).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimit {
    max: u32,
    window: Duration,
}

impl AttemptLimit {
    /// 5 attempts per 5 minutes.
    pub const DEFAULT: AttemptLimit = AttemptLimit {
        max: 5,
        window: Duration::from_secs(300),
    };

    /// `max` attempts per `window`; `None` when either is zero, or the window is
    /// shorter than a millisecond (what Redis keeps).
    pub const fn new(max: u32, window: Duration) -> Option<Self> {
        if max == 0 || window.as_millis() == 0 {
            None
        } else {
            Some(AttemptLimit { max, window })
        }
    }

    /// Attempts allowed per window.
    pub const fn max(&self) -> u32 {
        self.max
    }

    /// How long a window lasts.
    pub const fn window(&self) -> Duration {
        self.window
    }
}

impl Default for AttemptLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A confirmed second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveFactor {
    /// The shared secret.
    pub secret: TotpSecret,
    /// The last time step accepted with it (or with its confirmation); any step
    /// at or before it is refused.
    pub last_step: Option<u64>,
}

/// What a store holds for one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TotpRecord {
    /// The confirmed factor, if any: what [`verify`](super::Totp::verify) checks.
    pub active: Option<ActiveFactor>,
    /// A secret waiting for [`confirm`](super::Totp::confirm), if an enrolment
    /// has not expired.
    pub pending: Option<TotpSecret>,
}

impl TotpRecord {
    /// Whether the account has neither a factor nor a pending enrolment.
    pub fn is_empty(&self) -> bool {
        self.active.is_none() && self.pending.is_none()
    }
}

/// The answer to [`TotpStore::admit`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Admission {
    /// The attempt was counted (unless the record is empty); check the code
    /// against the record.
    Admitted(TotpRecord),
    /// The account used up its attempts: refuse without checking the code.
    Throttled {
        /// When the window ends.
        retry_after: Duration,
    },
}

/// The answer to [`TotpStore::accept`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Acceptance {
    /// The step was past the last accepted one and is now the last.
    Accepted,
    /// The step is at or before the last accepted one: a reused code.
    Replayed,
    /// The active secret is no longer the one the code was checked with (the
    /// factor was removed or replaced meanwhile).
    Replaced,
}

/// Where TOTP state lives: per account (the `subject`), the active factor with
/// its last accepted step, a pending enrolment, and an attempt count.
///
/// Implementations: [`MemoryTotpStore`](super::MemoryTotpStore) for one
/// process, [`RedisTotpStore`](super::RedisTotpStore) (feature `redis`) for every
/// instance of a service. Two operations must be atomic, across instances where
/// the store is shared: [`admit`](Self::admit) (check and count) and
/// [`accept`](Self::accept) (compare and set the last step); otherwise two
/// instances could both accept one code, or an attacker exceed the limit by
/// racing. A store that cannot answer returns [`AuthError::Unavailable`]: never a
/// default that would let a code through.
///
/// `now` is the verifier's clock (injectable, for tests). A store that keeps
/// time itself, as Redis does for expiry, may use its own clock instead.
pub trait TotpStore: Send + Sync {
    /// Counts an attempt for `subject` and returns its record, or refuses when
    /// `limit` attempts were already counted in the current window. An account
    /// with neither factor nor pending enrolment has nothing to guess: its
    /// attempts need not be counted (and are not, by this crate's stores).
    fn admit(
        &self,
        subject: &str,
        limit: AttemptLimit,
        now: SystemTime,
    ) -> impl Future<Output = Result<Admission, AuthError>> + Send;

    /// The record of `subject`, counting nothing.
    fn load(
        &self,
        subject: &str,
        now: SystemTime,
    ) -> impl Future<Output = Result<TotpRecord, AuthError>> + Send;

    /// Makes `secret` the pending enrolment of `subject` until `now + ttl`,
    /// replacing any pending one. An active factor is left alone.
    fn put_pending(
        &self,
        subject: &str,
        secret: &TotpSecret,
        ttl: Duration,
        now: SystemTime,
    ) -> impl Future<Output = Result<(), AuthError>> + Send;

    /// Atomically: if the active secret of `subject` is `secret` and `step` is
    /// past its last accepted step, records `step` as the last and resets the
    /// attempt count.
    fn accept(
        &self,
        subject: &str,
        secret: &TotpSecret,
        step: u64,
    ) -> impl Future<Output = Result<Acceptance, AuthError>> + Send;

    /// Atomically: if the pending secret of `subject` is still `secret`, makes it
    /// the active factor with `step` as its last accepted step, drops the
    /// pending enrolment and resets the attempt count. `Ok(false)` when the
    /// pending secret expired or was replaced.
    fn activate(
        &self,
        subject: &str,
        secret: &TotpSecret,
        step: u64,
    ) -> impl Future<Output = Result<bool, AuthError>> + Send;

    /// Forgets everything about `subject`: factor, pending enrolment, attempts.
    fn remove(&self, subject: &str) -> impl Future<Output = Result<(), AuthError>> + Send;
}

/// Forwards every method to the store behind a pointer.
macro_rules! forward_totp_store {
    ($($pointer:ty),+) => {$(
        impl<T: TotpStore + ?Sized> TotpStore for $pointer {
            fn admit(
                &self,
                subject: &str,
                limit: AttemptLimit,
                now: SystemTime,
            ) -> impl Future<Output = Result<Admission, AuthError>> + Send {
                (**self).admit(subject, limit, now)
            }

            fn load(
                &self,
                subject: &str,
                now: SystemTime,
            ) -> impl Future<Output = Result<TotpRecord, AuthError>> + Send {
                (**self).load(subject, now)
            }

            fn put_pending(
                &self,
                subject: &str,
                secret: &TotpSecret,
                ttl: Duration,
                now: SystemTime,
            ) -> impl Future<Output = Result<(), AuthError>> + Send {
                (**self).put_pending(subject, secret, ttl, now)
            }

            fn accept(
                &self,
                subject: &str,
                secret: &TotpSecret,
                step: u64,
            ) -> impl Future<Output = Result<Acceptance, AuthError>> + Send {
                (**self).accept(subject, secret, step)
            }

            fn activate(
                &self,
                subject: &str,
                secret: &TotpSecret,
                step: u64,
            ) -> impl Future<Output = Result<bool, AuthError>> + Send {
                (**self).activate(subject, secret, step)
            }

            fn remove(&self, subject: &str) -> impl Future<Output = Result<(), AuthError>> + Send {
                (**self).remove(subject)
            }
        }
    )+};
}

forward_totp_store!(&T, Box<T>, Arc<T>);
