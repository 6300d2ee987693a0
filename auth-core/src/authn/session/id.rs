//! [`SessionId`]: the secret a cookie carries, and [`SessionKey`]: the hash of it
//! the store is keyed by.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::AuthError;

/// How many random bytes an id holds: 256 bits, twice the 128 that OWASP asks.
pub(crate) const ID_BYTES: usize = 32;
/// The length of an id in the cookie: 32 bytes in unpadded base64url.
pub(crate) const ID_LEN: usize = 43;

/// A session id: 256 bits from the operating system's random number generator,
/// written in unpadded base64url (43 characters). It is the credential: whoever
/// holds it is signed in.
///
/// It is never printed (its `Debug` is redacted), never stored (the store sees its
/// [`SessionKey`]) and never logged (audit events name the session by its
/// [`handle`](Self::handle)).
///
/// ```
/// use auth_core::session::SessionId;
///
/// let id = SessionId::parse(b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
/// assert_eq!(id.expose_secret().len(), 43);
/// assert_eq!(format!("{id:?}"), "SessionId(<redacted>)");
/// assert!(SessionId::parse(b"too-short").is_none());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId {
    text: String,
    key: SessionKey,
}

impl SessionId {
    /// A fresh id from the operating system's random number generator.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] (`"random number generator"`) if the operating
    /// system cannot give random bytes: no id is better than a guessable one.
    pub fn generate() -> Result<Self, AuthError> {
        let bytes = random::<ID_BYTES>()?;
        Ok(Self::from_bytes(&bytes))
    }

    fn from_bytes(bytes: &[u8; ID_BYTES]) -> Self {
        SessionId {
            text: URL_SAFE_NO_PAD.encode(bytes),
            key: SessionKey(Sha256::digest(bytes).into()),
        }
    }

    /// The id written in `value` (a cookie's value), or `None` unless it is exactly
    /// 43 characters of unpadded base64url encoding 32 bytes canonically (the two
    /// spare bits of the last character zero). Parsing never touches a store, so a
    /// malformed cookie costs nothing but this check.
    pub fn parse(value: &[u8]) -> Option<Self> {
        if value.len() != ID_LEN {
            return None;
        }
        let mut bytes = [0_u8; ID_BYTES];
        // The engine refuses padding, other alphabets and non-zero trailing bits,
        // so one id has exactly one spelling.
        match URL_SAFE_NO_PAD.decode_slice(value, &mut bytes) {
            Ok(ID_BYTES) => Some(Self::from_bytes(&bytes)),
            _ => None,
        }
    }

    /// The id itself, as the cookie carries it. A secret: put it in the
    /// `Set-Cookie` header and nowhere else.
    pub fn expose_secret(&self) -> &str {
        &self.text
    }

    /// The key the store files this session under: the SHA-256 of the id.
    pub fn key(&self) -> &SessionKey {
        &self.key
    }

    /// A name for this session that is not a secret, for logs and audit events
    /// (the `token_id` of the [`AuthInfo`](crate::AuthInfo)): the first 16 hex
    /// digits of its [`SessionKey`].
    pub fn handle(&self) -> String {
        self.key.handle()
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

/// What a [`SessionStore`](super::SessionStore) files a session under: the
/// SHA-256 of its [`SessionId`].
///
/// A copy of the store (a backup, a `redis-cli --scan`, a memory dump of the
/// store's process) holds keys, not ids, and a key cannot be turned back into the
/// id a cookie must carry: reading the store does not yield live cookies.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionKey([u8; 32]);

impl SessionKey {
    /// The 32 bytes of the hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The hash in lowercase hex (64 digits), e.g. for a store's key names.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// The first 16 hex digits: a short, non-secret name for logs.
    pub fn handle(&self) -> String {
        hex(self.0.get(..8).unwrap_or_default())
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionKey({})", self.handle())
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        for nibble in [byte >> 4, byte & 0xf] {
            text.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    text
}

/// `N` bytes from the operating system's random number generator.
pub(crate) fn random<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut bytes = [0_u8; N];
    getrandom::fill(&mut bytes).map_err(|error| {
        tracing::error!(error = %error, "the random number generator failed");
        AuthError::unavailable("random number generator", error.to_string())
    })?;
    Ok(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_256_random_bits_in_43_base64url_characters() {
        let ids: Vec<SessionId> = (0..64).map(|_| SessionId::generate().unwrap()).collect();
        for id in &ids {
            let text = id.expose_secret();
            assert_eq!(text.len(), ID_LEN);
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{text}"
            );
            assert_eq!(URL_SAFE_NO_PAD.decode(text).unwrap().len(), 32);
            // What it writes, it reads back to the same key.
            assert_eq!(SessionId::parse(text.as_bytes()).unwrap().key(), id.key());
        }
        // No two alike, and every bit position takes both values across 64 ids:
        // a stuck byte or a constant would show.
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                assert_ne!(a.expose_secret(), b.expose_secret());
            }
        }
        let decoded: Vec<Vec<u8>> = ids
            .iter()
            .map(|id| URL_SAFE_NO_PAD.decode(id.expose_secret()).unwrap())
            .collect();
        for bit in 0..256 {
            let ones = decoded
                .iter()
                .filter(|bytes| bytes[bit / 8] >> (bit % 8) & 1 == 1)
                .count();
            assert!(ones > 0 && ones < 64, "bit {bit} is stuck");
        }
    }

    #[test]
    fn the_key_is_the_sha256_of_the_id_bytes_and_the_handle_its_prefix() {
        let id = SessionId::parse(&[b'A'; ID_LEN]).unwrap();
        // SHA-256 of 32 zero bytes.
        assert_eq!(
            id.key().to_hex(),
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
        assert_eq!(id.handle(), "66687aadf862bd77");
        assert!(!format!("{:?}{:?}", id, id.key()).contains(id.expose_secret()));
    }

    #[test]
    fn only_the_canonical_spelling_parses() {
        let good = SessionId::generate().unwrap();
        let text = good.expose_secret().as_bytes();
        let mut with_padding = text.to_vec();
        with_padding.push(b'=');
        let mut standard_alphabet = text.to_vec();
        standard_alphabet[0] = b'+';
        // 'B' sets one of the two spare bits of the last character.
        let mut trailing_bits = vec![b'A'; ID_LEN];
        trailing_bits[ID_LEN - 1] = b'B';
        let mut non_utf8 = text.to_vec();
        non_utf8[3] = 0xff;
        for bad in [
            &b""[..],
            &text[..ID_LEN - 1],
            &with_padding,
            &standard_alphabet,
            &trailing_bits,
            &non_utf8,
            &[b' '; ID_LEN],
        ] {
            assert!(SessionId::parse(bad).is_none(), "{bad:?}");
        }
    }
}
