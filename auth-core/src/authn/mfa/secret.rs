//! [`TotpSecret`]: the key an authenticator app and the server share.

use std::fmt;
use std::time::SystemTime;

use crate::AuthError;

use super::totp;

/// A TOTP shared secret: 160 bits (RFC 4226 §4 recommends it), shown to users
/// in base32 (RFC 4648, no padding), the form authenticator apps read.
///
/// Its [`Debug`](fmt::Debug) output is redacted. Equality is constant-time.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth_core::mfa::TotpSecret;
///
/// let secret = TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
/// assert_eq!(secret.as_bytes(), b"12345678901234567890");
/// assert_eq!(format!("{secret:?}"), "TotpSecret(<redacted>)");
/// // The code an authenticator app shows at a given instant.
/// let at = SystemTime::UNIX_EPOCH + Duration::from_secs(59);
/// assert_eq!(secret.code_at(at), "287082");
/// ```
#[derive(Clone)]
pub struct TotpSecret([u8; TotpSecret::LEN]);

impl TotpSecret {
    /// The length of a secret, in bytes: 20 (160 bits).
    pub const LEN: usize = 20;

    /// A new secret from the operating system's random number generator.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] (component `"random number generator"`) when the
    /// operating system cannot provide randomness.
    pub fn generate() -> Result<Self, AuthError> {
        let mut bytes = [0_u8; Self::LEN];
        getrandom::fill(&mut bytes).map_err(|error| {
            tracing::error!(target: super::LOG_TARGET, error = %error, "the random number generator failed");
            AuthError::unavailable("random number generator", error)
        })?;
        Ok(TotpSecret(bytes))
    }

    /// The secret `bytes` are, e.g. as a store that encrypts at rest decrypted them.
    pub const fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        TotpSecret(bytes)
    }

    /// Parses the base32 form ([`to_base32`](Self::to_base32)); `None` unless it
    /// decodes to exactly [`LEN`](Self::LEN) bytes.
    pub fn from_base32(encoded: &str) -> Option<Self> {
        let secret = totp_rs::Secret::try_from_base32(encoded).ok()?;
        let bytes = <[u8; Self::LEN]>::try_from(secret.as_bytes()).ok()?;
        Some(TotpSecret(bytes))
    }

    /// The raw secret.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }

    /// The base32 form users type into an authenticator app: 32 characters of
    /// `A`–`Z` and `2`–`7`.
    pub fn to_base32(&self) -> String {
        totp_rs::Secret::new_stack(self.0).to_base32()
    }

    /// The 6-digit code of the 30-second step that contains `at`: what an
    /// authenticator app shows then. For tests, and for showing a code in an
    /// enrolment check; a server never needs it to verify. An instant before
    /// 1970 counts as step 0.
    pub fn code_at(&self, at: SystemTime) -> String {
        let step = totp::time_step(at).unwrap_or(0);
        totp::code(&self.0, totp::DIGITS, step)
    }
}

/// totp-rs compares secrets in constant time.
impl PartialEq for TotpSecret {
    fn eq(&self, other: &Self) -> bool {
        totp_rs::Secret::new_stack(self.0) == totp_rs::Secret::new_stack(other.0)
    }
}

impl Eq for TotpSecret {}

/// Redacted: a secret must not reach a log through `{:?}`.
impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}
