//! The same-second rule: subject cutoffs live in the whole seconds of `iat`.
//!
//! `iat` is a JSON Web Token `NumericDate` in whole seconds, so a token stamped
//! `iat = T` may have been issued anywhere in `[T, T + 1)`. "Revoke every token
//! issued at or before `t`" therefore cannot tell a token issued a moment *before*
//! `t` from one issued a moment *after* it, when both fall in the second of `t`.
//! The rule has two halves, and every store and issuer in this crate keeps both:
//!
//! 1. **A cutoff covers its whole second.** [`revoke_subject(subject, t)`] stores
//!    `C = floor(t)` in Unix seconds. A token of `subject` is revoked when its
//!    `iat <= C`, or when it has no `iat` at all. A token issued in the same second
//!    as the revocation is revoked whether it was minted just before or just after
//!    it: the store cannot tell them apart, so it fails safe.
//! 2. **Issuing resumes in the next second.** Before minting a token for a subject,
//!    an issuer asks [`SubjectCutoffs::earliest_issued_at`] and stamps `iat` (and
//!    `nbf`) no earlier than the answer, `C + 1`. When that instant is still ahead
//!    (a login in the very second of "log out everywhere"), the issuer waits for it:
//!    at most one second for a cutoff of "now". So a user who logs in again right
//!    after logging out everywhere gets a token that works.
//!
//! A refresh-token family is judged by when its login happened
//! ([`RefreshFamily::authenticated_at`](super::RefreshFamily::authenticated_at)),
//! not by the rotation that produced the latest token: otherwise rotating would
//! launder a session across "log out everywhere".
//!
//! [`revoke_subject(subject, t)`]: super::RevocationStore::revoke_subject

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::AuthError;

use super::RevocationStore;

/// A [`RevocationStore`] that can tell an issuer when it may issue again.
///
/// This is the issuing half of the same-second rule (see the
/// [module documentation](self)): a token whose `iat` is at least the answer
/// passes [`RevocationStore::check`] as far as subject cutoffs go.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth_core::revocation::{MemoryRevocationStore, RevocationStore, SubjectCutoffs, TokenRef};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryRevocationStore::new();
/// let now = SystemTime::now();
/// store.revoke_subject("alice", now).await?; // log out everywhere
///
/// // An issuer stamps `iat` no earlier than this, waiting until then if needed.
/// let earliest = store.earliest_issued_at("alice").await?.expect("a cutoff exists");
/// assert!(earliest > now && earliest <= now + Duration::from_secs(1));
///
/// let fresh = TokenRef { token_id: None, session_id: None, subject: "alice", issued_at: Some(earliest) };
/// assert!(store.check(&fresh).await.is_ok());
/// # Ok::<(), auth_core::AuthError>(())
/// # }).unwrap();
/// ```
pub trait SubjectCutoffs: RevocationStore {
    /// The earliest `iat` a new token of `subject` may carry and still pass
    /// [`RevocationStore::check`]: one second after the second of the subject's
    /// cutoff, or `None` when the subject has no cutoff.
    ///
    /// An issuer stamps `iat = max(now, earliest)` and, when `earliest` is later
    /// than now, waits until then before it hands the token out.
    fn earliest_issued_at(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Option<SystemTime>, AuthError>> + Send;
}

impl<T: SubjectCutoffs> SubjectCutoffs for Arc<T> {
    fn earliest_issued_at(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Option<SystemTime>, AuthError>> + Send {
        (**self).earliest_issued_at(subject)
    }
}

/// `t` in whole Unix seconds, rounded down (also before 1970).
pub(crate) fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let secs = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            let rounded_down = if before.subsec_nanos() > 0 {
                secs.saturating_add(1)
            } else {
                secs
            };
            rounded_down.saturating_neg()
        }
    }
}

/// `t` in Unix milliseconds, rounded down; saturates far outside 1970 ± 292 My.
#[cfg(feature = "redis")]
pub(crate) fn unix_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis())
            .unwrap_or(i64::MAX)
            .saturating_neg(),
    }
}

/// The instant `millis` Unix milliseconds, if representable.
#[cfg(feature = "redis")]
pub(crate) fn from_unix_millis(millis: i64) -> Option<SystemTime> {
    let magnitude = Duration::from_millis(millis.unsigned_abs());
    if millis >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    }
}

/// The instant `secs` Unix seconds, if representable.
pub(crate) fn from_unix_secs(secs: i64) -> Option<SystemTime> {
    let magnitude = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    }
}

/// The cutoff, in whole seconds, that `revoke_subject(_, issued_before)` records.
pub(crate) fn cutoff_of(issued_before: SystemTime) -> i64 {
    unix_secs(issued_before)
}

/// Whether a subject cutoff of `cutoff` seconds revokes a token issued at
/// `issued_at`. A token without `iat` cannot prove it is newer: revoked.
pub(crate) fn revokes(cutoff: i64, issued_at: Option<SystemTime>) -> bool {
    issued_at.is_none_or(|iat| unix_secs(iat) <= cutoff)
}

/// The earliest `iat` that a cutoff of `cutoff` seconds lets through.
pub(crate) fn earliest_after(cutoff: i64) -> Option<SystemTime> {
    from_unix_secs(cutoff.checked_add(1)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
    }

    #[test]
    fn a_cutoff_covers_every_token_stamped_with_its_second() {
        let cutoff = cutoff_of(at(1_000, 400));
        // Issued 0.3 s before the revocation, and 0.5 s after it: the same `iat`.
        assert!(revokes(cutoff, Some(at(1_000, 100))));
        assert!(revokes(cutoff, Some(at(1_000, 900))));
        assert!(revokes(cutoff, Some(at(999, 0))));
        assert!(!revokes(cutoff, Some(at(1_001, 0))));
    }

    #[test]
    fn a_token_without_iat_is_revoked_by_any_cutoff() {
        assert!(revokes(cutoff_of(at(0, 0)), None));
    }

    #[test]
    fn issuing_resumes_in_the_next_second() {
        let cutoff = cutoff_of(at(1_000, 999));
        let earliest = earliest_after(cutoff);
        assert_eq!(earliest, Some(at(1_001, 0)));
        assert!(!revokes(cutoff, earliest));
        assert!(revokes(
            cutoff,
            earliest.and_then(|t| t.checked_sub(Duration::from_millis(1)))
        ));
    }

    #[test]
    fn seconds_round_down_before_1970_too() {
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_millis(1)), -1);
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(2)), -2);
        assert_eq!(
            from_unix_secs(-2),
            Some(UNIX_EPOCH - Duration::from_secs(2))
        );
        assert_eq!(earliest_after(i64::MAX), None);
    }
}
