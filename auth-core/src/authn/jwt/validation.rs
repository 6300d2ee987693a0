//! The claim checks every token passes: time window, issuer, audience.

use std::time::{SystemTime, UNIX_EPOCH};

use super::Claims;
use crate::TokenError;

/// The checks on registered claims, as configured on the builder.
#[derive(Debug, Clone)]
pub(crate) struct Validation {
    pub(crate) issuer: Option<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) leeway_secs: u64,
}

impl Validation {
    /// Checks `claims` at `now` (seconds since the Unix epoch).
    ///
    /// - `exp` is required (the parser already refused a token without it) and the
    ///   token is expired once `now >= exp + leeway`: at `exp` itself, with no
    ///   leeway, it is no longer valid (RFC 7519 §4.1.4 "on or after").
    /// - `nbf`, when present, must be at most `now + leeway`.
    /// - `iat`, when present, must not be later than `now + leeway`: a token issued
    ///   in the future is a clock problem or a forgery, and would dodge a
    ///   revoke-everything-issued-before cutoff.
    /// - `iss` must equal the configured issuer exactly, when one is configured.
    /// - `aud` must contain a configured audience when any is configured; when none
    ///   is, a token that names an audience is refused (RFC 7519 §4.1.3: it is meant
    ///   for someone who can identify as that audience).
    pub(crate) fn check(&self, claims: &Claims<'_>, now: u64) -> Result<(), TokenError> {
        if now >= claims.expires_at_secs().saturating_add(self.leeway_secs) {
            return Err(TokenError::Expired);
        }
        let horizon = now.saturating_add(self.leeway_secs);
        if claims.not_before_secs().is_some_and(|nbf| nbf > horizon) {
            return Err(TokenError::NotYetValid);
        }
        if claims.issued_at_secs().is_some_and(|iat| iat > horizon) {
            return Err(TokenError::InvalidClaim("iat"));
        }
        if let Some(issuer) = &self.issuer
            && claims.issuer() != Some(issuer.as_str())
        {
            return Err(TokenError::InvalidIssuer);
        }
        let mut audience = claims.audience();
        if self.audiences.is_empty() {
            if audience.len() > 0 {
                return Err(TokenError::InvalidAudience);
            }
        } else if !audience.any(|aud| self.audiences.iter().any(|accepted| accepted == aud)) {
            return Err(TokenError::InvalidAudience);
        }
        Ok(())
    }
}

/// Seconds since the Unix epoch; 0 for a clock set before 1970.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
