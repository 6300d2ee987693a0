//! Subject cutoffs: "log out everywhere", exact for this crate's tokens and safe
//! for everyone else's.
//!
//! [`revoke_subject(subject, t)`] moves the subject's [`Cutoff`] forward: to `t`
//! in Unix milliseconds, and in any case past the cutoff it replaces, so that each
//! call yields a new, strictly greater cutoff, even two in the same millisecond.
//! Cutoffs are ordered values first and instants second. A token (or a
//! refresh-token family) is then judged in one of two ways:
//!
//! 1. **Marked: by the cutoff it was minted under.** The [`TokenIssuer`] reads the
//!    subject's current cutoff ([`SubjectCutoffs::current_cutoff`]) when it mints,
//!    and writes it into the access token (the private claim [`CUTOFF_CLAIM`]; a
//!    token minted while the subject had no cutoff carries [`Cutoff::NONE`]) and
//!    into the refresh family of a login
//!    ([`RefreshFamily::cutoff`](super::RefreshFamily::cutoff)). Such a token is
//!    revoked exactly when the subject's cutoff has moved since: its mark is older
//!    than the current cutoff. No clock is involved, so a token stamped by an
//!    instance whose clock runs ahead is revoked like any other, a login right
//!    after "log out everywhere" works at once (it carries the new cutoff), and a
//!    token minted while a cutoff is being raised carries the old one: it fails
//!    safe.
//! 2. **Unmarked: by its issue time.** A token without the mark (another issuer,
//!    or a family registered by an earlier version) is revoked when it has no
//!    `iat`, or when its `iat` (whole seconds, so the start of its second) is at or
//!    before the cutoff. A token stamped in the very second of the cutoff is
//!    revoked whether it came just before or just after it: the store cannot tell
//!    them apart, so it fails safe.
//!
//! # Clock skew
//!
//! A verifier accepts an `iat` up to its leeway in the future, so an issuing
//! instance whose clock runs ahead can stamp tokens after the logout instant.
//! [`TokenIssuer::logout_all`] therefore sets the cutoff at *now plus the
//! verifiers' leeway*: every `iat` a verifier could accept right now is covered.
//! Marked tokens do not depend on this; unmarked ones do, and an unmarked token
//! minted within the leeway after the cutoff is refused too (safe, and the reason
//! this crate's issuer marks its tokens).
//!
//! A cutoff set in the future does not delay anything for marked tokens: they are
//! compared by mark, so the next login is usable at once.
//!
//! # Upgrading
//!
//! Earlier versions of this crate stored cutoffs in whole seconds. A Redis
//! cutoff of that kind still counts, for its whole second. The reverse does not
//! hold: an instance of an earlier version reads a millisecond cutoff as seconds
//! far in the future, and refuses every token and login of that subject until it
//! is upgraded. That fails closed; finish a rolling upgrade before relying on it.
//!
//! [`revoke_subject(subject, t)`]: super::RevocationStore::revoke_subject
#![cfg_attr(
    feature = "jwt",
    doc = "[`TokenIssuer`]: crate::jwt::TokenIssuer\n\
           [`TokenIssuer::logout_all`]: crate::jwt::TokenIssuer::logout_all"
)]
#![cfg_attr(
    not(feature = "jwt"),
    doc = "[`TokenIssuer`]: #clock-skew\n[`TokenIssuer::logout_all`]: #clock-skew"
)]

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::AuthError;

use super::{RevocationStore, TokenRef};

/// The private claim in which this crate's issuer writes the [`Cutoff`] a token
/// was minted under: a non-negative integer. Verifiers of this crate read it as a
/// registered claim: any other JSON type makes the token invalid.
pub const CUTOFF_CLAIM: &str = "urn:auth-core:cutoff";

/// A subject's revocation cutoff, or the one a token was minted under.
///
/// Unix milliseconds, raised where needed so that each revocation of a subject
/// yields a strictly greater value than the last. [`Cutoff::NONE`] (zero) marks a
/// token minted while its subject had no cutoff: any cutoff revokes it.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth_core::revocation::{Cutoff, MemoryRevocationStore, RevocationStore, SubjectCutoffs, TokenRef};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryRevocationStore::new();
/// let at_login = store.current_cutoff("alice").await?.unwrap_or(Cutoff::NONE);
/// let token = TokenRef { token_id: None, session_id: None, subject: "alice",
///                        issued_at: Some(SystemTime::now()), cutoff: Some(at_login) };
/// assert!(store.check(&token).await.is_ok());
///
/// // Log out everywhere, covering a verifier leeway of 30 s.
/// store.revoke_subject("alice", SystemTime::now() + Duration::from_secs(30)).await?;
/// assert!(store.check(&token).await.is_err());
///
/// // A login right after carries the new cutoff, and works at once.
/// let now = store.current_cutoff("alice").await?.unwrap_or(Cutoff::NONE);
/// let fresh = TokenRef { cutoff: Some(now), ..token };
/// assert!(store.check(&fresh).await.is_ok());
/// # Ok::<(), auth_core::AuthError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cutoff(u64);

impl Cutoff {
    /// The mark of a token minted while its subject had no cutoff.
    pub const NONE: Cutoff = Cutoff(0);

    /// The cutoff `millis` (Unix milliseconds, as stored).
    pub const fn from_millis(millis: u64) -> Self {
        Cutoff(millis)
    }

    /// The cutoff in Unix milliseconds, as stored and as written in tokens.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The cutoff that revoking every token issued at or before `issued_before`
    /// sets over `current`: `issued_before` in milliseconds, or one past `current`
    /// when that is later. `None` when `issued_before` is not after 1970: no
    /// token can have been issued then, so there is nothing to revoke.
    pub(crate) fn raised(current: Option<Cutoff>, issued_before: SystemTime) -> Option<Cutoff> {
        let asked = unix_millis(issued_before).filter(|&ms| ms > 0)?;
        let past_current = current.map_or(0, |c| c.0.saturating_add(1));
        Some(Cutoff(asked.max(past_current)))
    }

    /// Whether this cutoff revokes `token` (see the [module documentation](self)).
    pub(crate) fn revokes(self, token: &TokenRef<'_>) -> bool {
        match token.cutoff {
            Some(minted_under) => minted_under < self,
            None => token
                .issued_at
                .is_none_or(|iat| unix_millis(iat).is_none_or(|iat| iat <= self.0)),
        }
    }

    /// A cutoff read back from a store. Earlier versions of this crate stored
    /// whole Unix seconds, and covered the whole second: such a value (below 10^11, which as
    /// milliseconds would be 1973) reads as the last millisecond of its second.
    #[cfg(feature = "redis")]
    pub(crate) fn from_stored(value: u64) -> Cutoff {
        if value < LEGACY_SECONDS_BELOW {
            Cutoff(value.saturating_mul(1_000).saturating_add(999))
        } else {
            Cutoff(value)
        }
    }

    /// Until when a store keeps this cutoff: `keep` past it.
    pub(crate) fn kept_until(self, keep: Duration) -> SystemTime {
        let at = UNIX_EPOCH
            .checked_add(Duration::from_millis(self.0))
            .unwrap_or(UNIX_EPOCH);
        at.checked_add(keep).unwrap_or(at)
    }
}

/// Stored cutoffs below this are whole seconds (see [`Cutoff::from_stored`]).
#[cfg(feature = "redis")]
pub(crate) const LEGACY_SECONDS_BELOW: u64 = 100_000_000_000;

impl fmt::Display for Cutoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A [`RevocationStore`] that tells an issuer the subject's current cutoff, so
/// that it can mark the tokens it mints (see the [module documentation](self)).
///
/// Reading the cutoff and minting are not one atomic step, and need not be: a
/// cutoff raised in between revokes the token, whose mark is then older.
pub trait SubjectCutoffs: RevocationStore {
    /// The subject's current cutoff, or `None` when it has none.
    fn current_cutoff(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Option<Cutoff>, AuthError>> + Send;
}

impl<T: SubjectCutoffs> SubjectCutoffs for Arc<T> {
    fn current_cutoff(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Option<Cutoff>, AuthError>> + Send {
        (**self).current_cutoff(subject)
    }
}

/// `t` in Unix milliseconds, rounded down; `None` before 1970 or past `u64`.
pub(crate) fn unix_millis(t: SystemTime) -> Option<u64> {
    let after = t.duration_since(UNIX_EPOCH).ok()?;
    u64::try_from(after.as_millis()).ok()
}

/// The instant `millis` Unix milliseconds.
#[cfg(feature = "redis")]
pub(crate) fn from_unix_millis(millis: u64) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
    }

    fn token(issued_at: Option<SystemTime>, cutoff: Option<Cutoff>) -> TokenRef<'static> {
        TokenRef {
            token_id: None,
            session_id: None,
            subject: "s",
            issued_at,
            cutoff,
        }
    }

    #[test]
    fn every_revocation_yields_a_greater_cutoff() {
        let first = Cutoff::raised(None, at(1_000, 400));
        assert_eq!(first, Some(Cutoff(1_000_400)));
        // The same instant again, or an earlier one: still one past the last.
        let second = Cutoff::raised(first, at(1_000, 400));
        assert_eq!(second, Some(Cutoff(1_000_401)));
        assert_eq!(Cutoff::raised(second, at(5, 0)), Some(Cutoff(1_000_402)));
        assert_eq!(
            Cutoff::raised(second, at(2_000, 0)),
            Some(Cutoff(2_000_000))
        );
        // Nothing was issued before 1970.
        assert_eq!(Cutoff::raised(None, UNIX_EPOCH), None);
        assert_eq!(
            Cutoff::raised(None, UNIX_EPOCH - Duration::from_secs(1)),
            None
        );
    }

    #[test]
    fn a_marked_token_is_revoked_by_any_later_cutoff_whatever_its_iat() {
        let under = Cutoff(1_000_400);
        let far_future = Some(at(9_000, 0));
        assert!(!under.revokes(&token(far_future, Some(under))));
        assert!(Cutoff(1_000_401).revokes(&token(far_future, Some(under))));
        assert!(Cutoff(1).revokes(&token(far_future, Some(Cutoff::NONE))));
        // A mark newer than the cutoff (read from another replica) passes.
        assert!(!under.revokes(&token(None, Some(Cutoff(1_000_401)))));
    }

    #[test]
    fn an_unmarked_token_is_revoked_up_to_the_cutoff_instant() {
        let cutoff = Cutoff(1_000_400);
        // `iat` 1000 may be anywhere in [1000, 1001): revoked.
        assert!(cutoff.revokes(&token(Some(at(1_000, 0)), None)));
        assert!(cutoff.revokes(&token(Some(at(999, 0)), None)));
        assert!(!cutoff.revokes(&token(Some(at(1_001, 0)), None)));
        // No `iat`: it cannot prove it is newer. Before 1970: older than any.
        assert!(cutoff.revokes(&token(None, None)));
        assert!(cutoff.revokes(&token(Some(UNIX_EPOCH - Duration::from_secs(1)), None)));
    }

    #[cfg(feature = "redis")]
    #[test]
    fn cutoffs_in_seconds_from_earlier_versions_cover_their_whole_second() {
        assert_eq!(
            Cutoff::from_stored(1_700_000_000),
            Cutoff(1_700_000_000_999)
        );
        assert_eq!(
            Cutoff::from_stored(1_700_000_000_123),
            Cutoff(1_700_000_000_123)
        );
    }
}
