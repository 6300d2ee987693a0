//! Revocation: tokens that stop working before they expire.
//!
//! A [`RevocationStore`] answers, on every request, whether a verified token was
//! revoked: one token by its id (`jti`) or its session (`sid`), or every token of
//! a subject up to a [`Cutoff`] (logout everywhere, a role or password change). A store that cannot
//! be reached fails closed: [`AuthError::Unavailable`], a 503, never a pass.
//!
//! | store | shared by | what |
//! |---|---|---|
//! | [`MemoryRevocationStore`] | one process | revoked tokens and subject cutoffs, bounded and expiring |
//! | [`RedisRevocationStore`] (feature `redis`) | every instance of a service | the same, in Redis: one round trip per check |
//! | [`MemoryRefreshStore`] | one process | refresh-token families: rotation, reuse detection, logout ([`refresh`]) |
//! | [`RedisRefreshStore`] (feature `redis`) | every instance | the same, atomic through Lua scripts |
//!
//! Subject cutoffs only move forward, each revocation strictly past the last; this
//! crate's issuer marks every token with the cutoff it was minted under, so that
//! "log out everywhere" is exact for its tokens, whatever the clocks say, and a
//! login right after it works at once ([`SubjectCutoffs`], [the rule](cutoff)).
//! How long entries are kept is [`Retention`].
//!
//! # Redis
//!
//! With the `redis` feature, one [`RedisConnection`] (it reconnects by itself)
//! serves both Redis stores; every call is bounded by a timeout (500 ms by
//! default), and any Redis error or timeout is a 503 and an error event:
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # async fn configure() -> Result<(), auth_core::AuthError> {
//! use std::time::Duration;
//! use auth_core::revocation::{
//!     RedisConnection, RedisOptions, RedisRefreshStore, RedisRevocationStore, Retention,
//! };
//!
//! let redis = RedisConnection::connect(
//!     RedisOptions::new("redis://127.0.0.1:6379/")
//!         .prefix("orders-api:")              // namespaces every key
//!         .timeout(Duration::from_millis(500)),
//! )
//! .await?;
//! let revocations = RedisRevocationStore::new(redis.clone())
//!     .with_retention(Retention::new().with_token_grace(Duration::from_secs(60)));
//! let refresh_tokens = RedisRefreshStore::new(redis);
//! # Ok(())
//! # }
//! ```
//!
//! See [`RedisRevocationStore`] and [`RedisRefreshStore`] for the keys they write.
//! Run Redis with persistence (AOF) where revocations must survive its restart.
//!
#![cfg_attr(
    feature = "redis",
    doc = "[`RedisConnection`]: RedisConnection\n\
           [`RedisRevocationStore`]: RedisRevocationStore\n\
           [`RedisRefreshStore`]: RedisRefreshStore"
)]
#![cfg_attr(
    not(feature = "redis"),
    doc = "[`RedisConnection`]: #redis\n\
           [`RedisRevocationStore`]: #redis\n\
           [`RedisRefreshStore`]: #redis"
)]

pub mod cutoff;
mod expiring;
mod memory;
#[cfg(feature = "redis")]
pub(crate) mod redis;
pub mod refresh;
mod retention;
mod store_error;

use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use crate::AuthError;

pub use self::cutoff::{CUTOFF_CLAIM, Cutoff, SubjectCutoffs};
pub use self::memory::MemoryRevocationStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::{RedisConnection, RedisOptions, RedisRevocationStore};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::refresh::RedisRefreshStore;
pub use self::refresh::{MemoryRefreshStore, RefreshFamily, RefreshStore, Rotation};
pub use self::retention::Retention;
pub use self::store_error::StoreError;

/// The facts about a verified token that revocation is decided on.
#[derive(Debug, Clone, Copy)]
pub struct TokenRef<'a> {
    /// The token's `jti`, if it has one.
    pub token_id: Option<&'a str>,
    /// The login session the token belongs to (`sid`), if any. Revoking a
    /// session id (with [`RevocationStore::revoke_token`]) revokes every token
    /// that carries it: a logout ends every access token of the session, not only
    /// the one presented.
    pub session_id: Option<&'a str>,
    /// The token's subject (`sub`).
    pub subject: &'a str,
    /// When the token was issued (`iat`); for a refresh-token family, its login.
    pub issued_at: Option<SystemTime>,
    /// The subject cutoff the token was minted under, when its issuer marked it
    /// (this crate's issuer writes it in the claim [`CUTOFF_CLAIM`]): a marked
    /// token is judged by it, an unmarked one by `issued_at`. See [`cutoff`].
    pub cutoff: Option<Cutoff>,
}

/// Where revocations are recorded and checked.
///
/// Implementations: an in-memory store for a single instance, and a Redis store
/// (feature `redis`) shared by every instance of a service.
pub trait RevocationStore: Send + Sync {
    /// Revokes the token `token_id` until `expires_at` (after which it is expired
    /// anyway and the entry may be dropped).
    fn revoke_token(
        &self,
        token_id: &str,
        expires_at: SystemTime,
    ) -> impl Future<Output = Result<(), AuthError>> + Send;

    /// Raises the cutoff of `subject`: every token of `subject` issued at or
    /// before `issued_before` is revoked, and so is every token marked with an
    /// earlier cutoff. Each call moves the cutoff strictly forward, so two calls
    /// in the same millisecond both take effect.
    ///
    /// To cover tokens stamped by an issuing instance whose clock runs ahead,
    /// pass now plus the verifiers' leeway, as the JWT issuer's `logout_all`
    /// does. See [`cutoff`].
    fn revoke_subject(
        &self,
        subject: &str,
        issued_before: SystemTime,
    ) -> impl Future<Output = Result<(), AuthError>> + Send;

    /// `Ok(())` when `token` is not revoked; `Err(TokenError::Revoked |
    /// TokenError::SubjectRevoked)` when it is; `Err(AuthError::Unavailable)` when
    /// the store cannot answer.
    fn check(&self, token: &TokenRef<'_>) -> impl Future<Output = Result<(), AuthError>> + Send;
}

impl<T: RevocationStore> RevocationStore for Arc<T> {
    fn revoke_token(
        &self,
        token_id: &str,
        expires_at: SystemTime,
    ) -> impl Future<Output = Result<(), AuthError>> + Send {
        (**self).revoke_token(token_id, expires_at)
    }

    fn revoke_subject(
        &self,
        subject: &str,
        issued_before: SystemTime,
    ) -> impl Future<Output = Result<(), AuthError>> + Send {
        (**self).revoke_subject(subject, issued_before)
    }

    fn check(&self, token: &TokenRef<'_>) -> impl Future<Output = Result<(), AuthError>> + Send {
        (**self).check(token)
    }
}
