//! [`KeySet`]: the keys a verifier trusts, found by `kid` and nothing else.

use std::collections::HashMap;
use std::fmt;

use super::jwk::{self, LoadedJwk};
use super::{Algorithm, KeyError, VerifyingKey};
use crate::TokenError;

/// The verification keys, each under its key id (`kid`).
///
/// A token's key is found by a map lookup of its header `kid`; a token without `kid`
/// uses the one key added without a key id, if any (a token with an unknown `kid`
/// never falls back to it). Nothing else in a header chooses a key: `jku`, `x5u`,
/// `jwk` and `x5c` are never read, so a token cannot point the verifier at a key (or
/// a URL) of the attacker's choosing.
///
/// Keys added one by one may be of different families (an HMAC secret beside RSA
/// keys, during a migration): each is pinned to its algorithm, so a token cannot
/// switch family by switching `alg`. A JWK Set, a document meant for public keys,
/// may not mix them.
///
/// ```
/// use auth_core::jwt::{HmacAlgorithm, KeyError, KeySet, VerifyingKey};
///
/// let keys = KeySet::new()
///     .with_key("2025-06", VerifyingKey::hmac(HmacAlgorithm::HS256, [1u8; 32])?)?
///     .with_key("2025-07", VerifyingKey::hmac(HmacAlgorithm::HS256, [2u8; 32])?)?;
/// assert_eq!(keys.len(), 2);
///
/// // A JWK Set, as an identity provider publishes it.
/// let jwks = KeySet::from_jwk_set(r#"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA",
///     "use":"sig","kid":"ed-1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#)?;
/// assert_eq!(jwks.algorithm_of(Some("ed-1")), Some(auth_core::jwt::Algorithm::EdDSA));
/// # Ok::<(), KeyError>(())
/// ```
#[derive(Clone, Default)]
pub struct KeySet {
    by_kid: HashMap<String, VerifyingKey>,
    default: Option<VerifyingKey>,
    skipped: Vec<SkippedKey>,
}

/// A key of a JWK Set that was set aside, and why: an encryption key, a key for an
/// unsupported algorithm, or one for another algorithm than the pinned one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    kid: Option<String>,
    reason: KeyError,
}

impl SkippedKey {
    /// The key's `kid`, if it had one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Why it cannot verify signatures here.
    pub fn reason(&self) -> &KeyError {
        &self.reason
    }
}

impl KeySet {
    /// An empty key set.
    pub fn new() -> Self {
        KeySet::default()
    }

    /// A key set of one key without a key id: every token without `kid` uses it.
    pub fn single(key: VerifyingKey) -> Self {
        KeySet {
            default: Some(key),
            ..KeySet::default()
        }
    }

    /// Adds `key` under the key id `kid`.
    ///
    /// # Errors
    ///
    /// [`KeyError::DuplicateKid`] when `kid` is taken, [`KeyError::EmptyKid`] when it
    /// is empty.
    pub fn with_key(mut self, kid: impl Into<String>, key: VerifyingKey) -> Result<Self, KeyError> {
        self.insert(Some(kid.into()), key)?;
        Ok(self)
    }

    /// Adds `key` without a key id: the key for tokens that carry no `kid`.
    ///
    /// # Errors
    ///
    /// [`KeyError::DuplicateDefaultKey`] when a key without id is already present.
    pub fn with_default_key(mut self, key: VerifyingKey) -> Result<Self, KeyError> {
        self.insert(None, key)?;
        Ok(self)
    }

    /// Adds the key of one JWK, pinned to the JWK's `alg`, under its `kid`.
    ///
    /// # Errors
    ///
    /// Any [`KeyError`]: a single JWK must be a usable signature verification key.
    pub fn with_jwk(self, json: &str) -> Result<Self, KeyError> {
        self.with_loaded_jwk(jwk::load_jwk(json, None)?)
    }

    /// Adds the key of one JWK, pinned to `algorithm`; the JWK's `alg`, if present,
    /// must agree.
    ///
    /// # Errors
    ///
    /// As [`with_jwk`](Self::with_jwk), and [`KeyError::AlgorithmConflict`].
    pub fn with_jwk_pinned(self, json: &str, algorithm: Algorithm) -> Result<Self, KeyError> {
        self.with_loaded_jwk(jwk::load_jwk(json, Some(algorithm))?)
    }

    /// The keys of a JWK Set (`{"keys": [...]}`), each pinned to its `alg`.
    ///
    /// Keys that are not for verifying signatures (`use: enc`, `key_ops` without
    /// `verify`, an encryption or unsupported `alg`) are set aside and listed by
    /// [`skipped`](Self::skipped). A key that claims to verify but cannot be trusted
    /// fails the whole set.
    ///
    /// # Errors
    ///
    /// Any [`KeyError`] of a key meant for signatures; [`KeyError::MixedKeySet`] when
    /// shared secrets and public keys are mixed; [`KeyError::EmptyKeySet`] when no
    /// key is usable; [`KeyError::DuplicateKid`].
    pub fn from_jwk_set(json: &str) -> Result<Self, KeyError> {
        Self::from_loaded_set(jwk::load_jwk_set(json, None)?)
    }

    /// The keys of a JWK Set for `algorithm` only: keys without `alg` are pinned to
    /// it, keys for another algorithm are skipped. For identity providers that
    /// publish keys without `alg`.
    ///
    /// # Errors
    ///
    /// As [`from_jwk_set`](Self::from_jwk_set).
    pub fn from_jwk_set_pinned(json: &str, algorithm: Algorithm) -> Result<Self, KeyError> {
        Self::from_loaded_set(jwk::load_jwk_set(json, Some(algorithm))?)
    }

    /// How many keys the set holds.
    pub fn len(&self) -> usize {
        self.by_kid.len() + usize::from(self.default.is_some())
    }

    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The JWK Set keys that were set aside, with the reason for each.
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// The algorithm a token with this `kid` (or without one, for `None`) must use.
    pub fn algorithm_of(&self, kid: Option<&str>) -> Option<Algorithm> {
        self.select(kid).ok().map(VerifyingKey::algorithm)
    }

    /// The key for a token's `kid`: a map lookup, never a path or a URL.
    pub(crate) fn select(&self, kid: Option<&str>) -> Result<&VerifyingKey, TokenError> {
        match kid {
            Some(kid) => self.by_kid.get(kid),
            None => self.default.as_ref(),
        }
        .ok_or(TokenError::UnknownKey)
    }

    fn insert(&mut self, kid: Option<String>, key: VerifyingKey) -> Result<(), KeyError> {
        match kid {
            Some(kid) if kid.is_empty() => Err(KeyError::EmptyKid),
            Some(kid) => {
                if self.by_kid.contains_key(&kid) {
                    return Err(KeyError::DuplicateKid(kid));
                }
                self.by_kid.insert(kid, key);
                Ok(())
            }
            None if self.default.is_some() => Err(KeyError::DuplicateDefaultKey),
            None => {
                self.default = Some(key);
                Ok(())
            }
        }
    }

    fn with_loaded_jwk(mut self, loaded: LoadedJwk) -> Result<Self, KeyError> {
        self.insert(loaded.kid, loaded.key)?;
        Ok(self)
    }

    fn from_loaded_set(loaded: jwk::LoadedSet) -> Result<Self, KeyError> {
        let mut set = KeySet::new();
        for key in loaded.keys {
            set.insert(key.kid, key.key)?;
        }
        set.skipped = loaded
            .skipped
            .into_iter()
            .map(|(kid, reason)| SkippedKey { kid, reason })
            .collect();
        Ok(set)
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut keys: Vec<(&str, Algorithm)> = self
            .by_kid
            .iter()
            .map(|(kid, key)| (kid.as_str(), key.algorithm()))
            .collect();
        keys.sort_unstable_by_key(|(kid, _)| *kid);
        f.debug_struct("KeySet")
            .field("keys", &keys)
            .field(
                "default",
                &self.default.as_ref().map(VerifyingKey::algorithm),
            )
            .field("skipped", &self.skipped.len())
            .finish()
    }
}
