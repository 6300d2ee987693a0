//! Refresh-token families: rotation, reuse detection and logout.
//!
//! Every login starts a *family*; each refresh token of that login belongs to it.
//! Refreshing *rotates*: the presented token becomes used and a new one becomes the
//! family's current token, in one atomic step. A token that is presented again
//! after it was used means two parties hold the family's tokens (a thief and the
//! user, or a replayed request), and the store cannot tell which is which: the
//! whole family is revoked, and both must log in again (OAuth 2.0 Security BCP,
//! RFC 9700 §4.14.2; OAuth 2.1 §4.3.1).
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use auth_core::revocation::{MemoryRefreshStore, RefreshFamily, RefreshStore, Rotation};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryRefreshStore::new();
//! let now = SystemTime::now();
//! let family = RefreshFamily::new("fam-1", "alice", now, now + Duration::from_secs(30 * 86_400));
//! store.register(&family, "rt-1").await?; // login
//!
//! // Refresh: rt-1 is used up, rt-2 is current.
//! let no_grace = Duration::ZERO;
//! assert!(matches!(store.rotate("rt-1", "rt-2", no_grace).await?, Rotation::Rotated(_)));
//! // rt-1 again: reuse. The family is revoked, rt-2 dies with it.
//! assert!(matches!(store.rotate("rt-1", "rt-3", no_grace).await?, Rotation::Reused(_)));
//! assert!(matches!(store.rotate("rt-2", "rt-4", no_grace).await?, Rotation::Revoked(_)));
//! # Ok::<(), auth_core::AuthError>(())
//! # }).unwrap();
//! ```
//!
//! # A retry after an outage: the grace window
//!
//! A rotation can complete while its answer is lost: the store answered after
//! the caller's timeout (a stalled Redis), a later step failed, or the response
//! never reached the client. The client still holds only the old token, and its
//! retry would look like a reuse. So [`rotate`](RefreshStore::rotate) takes a
//! `grace`: within `grace` of a rotation, the token it used up (the family's
//! *immediate predecessor*, no older one) may be presented again. That is
//! [`Rotation::Retried`]: the successor issued for it is no longer current
//! (presenting it later is a reuse) and the new token is, so the family still
//! has exactly one live refresh token. The window runs from the rotation that
//! used the token up, and a retry does not extend it; after it, the predecessor
//! is a reuse like any used token. See `SECURITY.md` for what this gives a
//! thief of the predecessor (no more than the current token would).
//!
//! ```
//! # use std::time::{Duration, SystemTime};
//! # use auth_core::revocation::{MemoryRefreshStore, RefreshFamily, RefreshStore, Rotation};
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! # let store = MemoryRefreshStore::new();
//! # let now = SystemTime::now();
//! # let family = RefreshFamily::new("fam-1", "alice", now, now + Duration::from_secs(86_400));
//! # store.register(&family, "rt-1").await?;
//! let grace = Duration::from_secs(30);
//! assert!(matches!(store.rotate("rt-1", "rt-2", grace).await?, Rotation::Rotated(_)));
//! // rt-2 never reached the client, which retries with rt-1: rt-3 replaces rt-2.
//! assert!(matches!(store.rotate("rt-1", "rt-3", grace).await?, Rotation::Retried(_)));
//! // rt-2 is used now: presenting it is a reuse, which ends the family.
//! assert!(matches!(store.rotate("rt-2", "rt-4", grace).await?, Rotation::Reused(_)));
//! # Ok::<(), auth_core::AuthError>(())
//! # }).unwrap();
//! ```
//!
//! # What the issuer must add
//!
//! - **Ids, not secrets.** Stores key refresh tokens by an id: the `jti` of a
//!   signed refresh token, or a SHA-256 of an opaque one. Never the raw secret,
//!   which would then sit in Redis and could reach logs.
//! - **Subject cutoffs.** "Log out everywhere" is a subject cutoff in the
//!   [`RevocationStore`](super::RevocationStore). At login, read the subject's
//!   [current cutoff](super::SubjectCutoffs::current_cutoff) and start the family
//!   [with it](RefreshFamily::with_cutoff) ([`Cutoff::NONE`](super::Cutoff::NONE)
//!   when there is none). After a [`Rotation::Rotated`], check the family as a
//!   token of its login: `TokenRef { token_id: None, session_id: None, subject,
//!   issued_at: Some(family.authenticated_at), cutoff: family.cutoff }`. The
//!   login, not the rotation: otherwise every rotation would launder the session
//!   past the cutoff. Mint the access tokens of a refresh with the family's
//!   cutoff too, not the current one, so that a refresh in flight across "log
//!   out everywhere" yields nothing that works. Keep the cutoff retention
//!   ([`Retention`](super::Retention)) at least as long as families live.
//! - **Expiry.** A family lives until its [`expires_at`](RefreshFamily::expires_at)
//!   (an absolute session lifetime); then all its tokens are unknown. Issue
//!   refresh tokens that expire no later than their family.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::revocation::Cutoff;
use crate::{AuthError, Scopes};

pub use self::memory::MemoryRefreshStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisRefreshStore;

/// One login session's refresh tokens, as the store knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshFamily {
    /// The family's id: random, unique, not secret (it may be logged, and an
    /// access token may carry it so that logout can revoke the family).
    pub id: String,
    /// The subject (`sub`) the family was issued to.
    pub subject: String,
    /// When the user authenticated (the login that started the family). Subject
    /// cutoffs are checked against this instant. Stores keep millisecond precision.
    pub authenticated_at: SystemTime,
    /// When the family, and every token in it, expires. Millisecond precision.
    pub expires_at: SystemTime,
    /// The subject's cutoff when the login happened ([`Cutoff::NONE`] when it had
    /// none): the family is revoked by any later one, whatever the clocks say.
    /// `None` for a family started without it (by an earlier version), which is
    /// judged by [`authenticated_at`](Self::authenticated_at) instead. See
    /// [`cutoff`](crate::revocation::cutoff).
    pub cutoff: Option<Cutoff>,
    /// The scope granted at the login, kept with the family so that any instance
    /// can refresh it without a database of its own: a refresh never widens it
    /// (RFC 6749 §6). `None` for a family started without it (by an earlier
    /// version).
    pub scope: Option<Scopes>,
}

impl RefreshFamily {
    /// A family `id` of `subject`, started by a login at `authenticated_at` and
    /// ending at `expires_at`.
    pub fn new(
        id: impl Into<String>,
        subject: impl Into<String>,
        authenticated_at: SystemTime,
        expires_at: SystemTime,
    ) -> Self {
        RefreshFamily {
            id: id.into(),
            subject: subject.into(),
            authenticated_at,
            expires_at,
            cutoff: None,
            scope: None,
        }
    }

    /// The same family, marked with the subject's cutoff at the login.
    #[must_use]
    pub fn with_cutoff(mut self, cutoff: Cutoff) -> Self {
        self.cutoff = Some(cutoff);
        self
    }

    /// The same family, with the scope granted at the login.
    #[must_use]
    pub fn with_scope(mut self, scope: Scopes) -> Self {
        self.scope = Some(scope);
        self
    }
}

/// What happened to a refresh token presented for rotation.
///
/// Only [`Rotated`](Rotation::Rotated) and [`Retried`](Rotation::Retried) may be
/// answered with new tokens; every other outcome is a 400 `invalid_grant` at a
/// token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub enum Rotation {
    /// The token was its family's current one: it is now used, and the new token
    /// is current.
    Rotated(RefreshFamily),
    /// The token was the family's immediate predecessor, presented again within
    /// the grace window of the rotation that used it up (a client retrying after
    /// an answer it never got): the new token is now current, and the successor
    /// issued before is used (presenting it is a reuse).
    Retried(RefreshFamily),
    /// The token had been used already: a reuse. The whole family is now revoked
    /// and the store emitted a warning event naming the family and subject.
    Reused(RefreshFamily),
    /// The token's family was revoked before: a logout, or an earlier reuse.
    Revoked(RefreshFamily),
    /// No such token: never registered, or its family expired.
    Unknown,
}

impl Rotation {
    /// The family, when the rotation succeeded (a retry within the grace window
    /// included).
    pub fn rotated(self) -> Option<RefreshFamily> {
        match self {
            Rotation::Rotated(family) | Rotation::Retried(family) => Some(family),
            Rotation::Reused(_) | Rotation::Revoked(_) | Rotation::Unknown => None,
        }
    }
}

/// Where refresh-token families are kept.
///
/// Implementations: [`MemoryRefreshStore`] for a single instance, and
/// [`RedisRefreshStore`](super#redis) (feature `redis`) shared by every
/// instance of a service. Every operation is atomic: two instances rotating the
/// same token at once produce one [`Rotation::Rotated`] and one
/// [`Rotation::Reused`] (or, within a grace window, one [`Rotation::Retried`]
/// whose new token replaces the other's), never two live tokens. A store that
/// cannot answer returns [`AuthError::Unavailable`] (503).
pub trait RefreshStore: Send + Sync {
    /// Starts `family` with `token_id` as its current token (a login).
    ///
    /// Fails with [`AuthError::Unavailable`] and
    /// [`StoreError::DuplicateId`](super::StoreError::DuplicateId) when the family
    /// or the token id exists already.
    fn register(
        &self,
        family: &RefreshFamily,
        token_id: &str,
    ) -> impl Future<Output = Result<(), AuthError>> + Send;

    /// Presents `old_token_id` and, if it is its family's current token, makes it
    /// used and `new_token_id` current, atomically, remembering `old_token_id` as
    /// the family's predecessor until `grace` from now.
    ///
    /// The predecessor presented again before that is a retry
    /// ([`Rotation::Retried`]): `new_token_id` becomes current and the current
    /// one used, and the window is not extended. Any other used token, and the
    /// predecessor after its window, revokes the family ([`Rotation::Reused`]).
    /// A `grace` of zero turns retries off. See the [module
    /// documentation](self#a-retry-after-an-outage-the-grace-window).
    ///
    /// Fails with [`StoreError::DuplicateId`](super::StoreError::DuplicateId) when
    /// `new_token_id` exists already; the family is then unchanged.
    fn rotate(
        &self,
        old_token_id: &str,
        new_token_id: &str,
        grace: Duration,
    ) -> impl Future<Output = Result<Rotation, AuthError>> + Send;

    /// Revokes the family `family_id` (a logout): every token in it is refused
    /// from now on. Revoking an unknown or expired family does nothing.
    fn revoke_family(&self, family_id: &str) -> impl Future<Output = Result<(), AuthError>> + Send;
}

impl<T: RefreshStore> RefreshStore for Arc<T> {
    fn register(
        &self,
        family: &RefreshFamily,
        token_id: &str,
    ) -> impl Future<Output = Result<(), AuthError>> + Send {
        (**self).register(family, token_id)
    }

    fn rotate(
        &self,
        old_token_id: &str,
        new_token_id: &str,
        grace: Duration,
    ) -> impl Future<Output = Result<Rotation, AuthError>> + Send {
        (**self).rotate(old_token_id, new_token_id, grace)
    }

    fn revoke_family(&self, family_id: &str) -> impl Future<Output = Result<(), AuthError>> + Send {
        (**self).revoke_family(family_id)
    }
}

/// The event every store emits on reuse: the one signal of a stolen token.
fn report_reuse(family: &RefreshFamily) {
    tracing::warn!(
        family = %family.id,
        subject = %family.subject,
        "refresh token reused: the whole family is revoked"
    );
}
