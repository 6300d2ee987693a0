//! Entry points for the fuzz targets in the repository's `fuzz/` directory (feature
//! `fuzzing`). Not public API, and not stable.
//!
//! Only the request parsers that no public function reaches on their own are here,
//! each a thin call that returns the parser's own result. The bearer extractor, the
//! JWS parser and the JWK parser are fuzzed through the public API
//! ([`JwtAuthenticator`](crate::jwt::JwtAuthenticator),
//! [`KeySet::from_jwk_set`](crate::jwt::KeySet::from_jwk_set)).
//!
//! Nothing here makes an `Authenticated`, a `Permit` or an `Identity`.

use crate::TokenError;
use crate::authn::jwt::Claims;

/// The claims parser on a JWT payload, as the authenticator runs it once the
/// signature verified. Here nothing was verified: the claims are only parsed.
///
/// # Errors
///
/// As the parser: [`TokenError::Malformed`] for bad JSON or a repeated member,
/// [`TokenError::MissingClaim`] or [`TokenError::InvalidClaim`] for a registered
/// claim that is absent or of the wrong type.
pub fn parse_claims(payload: &[u8]) -> Result<Claims<'_>, TokenError> {
    Claims::parse(payload)
}
