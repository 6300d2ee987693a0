//! Verification without the claim checks. Audit every use.
//!
//! For JWS whose payload is not a JWT claims set (test vectors, signed documents):
//! the header and the signature are checked exactly as for a bearer token — size
//! limit, three canonical segments, no duplicate members, no unknown `crit`, the key
//! the `kid` selects, `alg` equal to its pinned algorithm, one signature
//! verification — and nothing else. No `exp`, no issuer, no audience, no revocation:
//! never use it to authenticate a request.

use super::authenticator::DEFAULT_MAX_TOKEN_BYTES;
use super::{KeySet, jws};
use crate::TokenError;

/// Verifies the compact JWS `token` against `keys` and returns its decoded payload,
/// without looking inside it.
///
/// ```
/// use auth_core::jwt::{dangerous, KeySet};
///
/// // RFC 8037 A.4: an Ed25519 signature over a payload that is plain text.
/// let keys = KeySet::new().with_jwk_pinned(
///     r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
///     auth_core::jwt::Algorithm::EdDSA,
/// )?;
/// let jws = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.\
///            hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
/// let payload = dangerous::verify_signature_only(&keys, jws.as_bytes())?;
/// assert_eq!(payload, b"Example of Ed25519 signing");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// The [`TokenError`] of the first check that fails.
pub fn verify_signature_only(keys: &KeySet, token: &[u8]) -> Result<Vec<u8>, TokenError> {
    if token.len() > DEFAULT_MAX_TOKEN_BYTES {
        return Err(TokenError::TooLarge);
    }
    jws::verify(keys, token, None)
}
