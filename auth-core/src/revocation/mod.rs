//! Revocation: tokens that stop working before they expire.
//!
//! A [`RevocationStore`] answers, on every request, whether a verified token was
//! revoked: one token by its id (`jti`), or every token of a subject issued before
//! an instant (logout everywhere, a role or password change). A store that cannot
//! be reached fails closed: [`AuthError::Unavailable`], a 503, never a pass.

use std::future::Future;
use std::time::SystemTime;

use crate::AuthError;

/// The facts about a verified token that revocation is decided on.
#[derive(Debug, Clone, Copy)]
pub struct TokenRef<'a> {
    /// The token's `jti`, if it has one.
    pub token_id: Option<&'a str>,
    /// The token's subject (`sub`).
    pub subject: &'a str,
    /// When the token was issued (`iat`).
    pub issued_at: Option<SystemTime>,
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

    /// Revokes every token of `subject` issued at or before `issued_before`.
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
