//! [`KeySource`]: where a [`JwtAuthenticator`](super::JwtAuthenticator) gets the
//! keys it verifies with: a fixed [`KeySet`], or a remote one that changes.

use std::fmt;
use std::sync::Arc;

use super::KeySet;
#[cfg(feature = "jwks")]
use super::jwks::RemoteKeySet;
use super::jws::{self, TypeRule};
use crate::{AuthError, TokenError};

/// The keys a [`JwtAuthenticator`](super::JwtAuthenticator) trusts: a fixed
/// [`KeySet`], or (feature `jwks`) a `RemoteKeySet` fetched from a JWKS URL and
/// refreshed in the background.
///
/// [`JwtAuthenticator::builder`](super::JwtAuthenticator::builder) takes either,
/// through `Into<KeySource>`; there is nothing to call here.
///
/// ```
/// use auth_core::jwt::{HmacAlgorithm, KeySet, KeySource, VerifyingKey};
///
/// let keys = KeySet::single(VerifyingKey::hmac(HmacAlgorithm::HS256, [7u8; 32])?);
/// let source = KeySource::from(keys);
/// assert_eq!(source.keys().map(|keys| keys.len()), Some(1));
/// # Ok::<(), auth_core::jwt::KeyError>(())
/// ```
#[derive(Clone)]
pub struct KeySource(Source);

#[derive(Clone)]
enum Source {
    Fixed(Keys),
    #[cfg(feature = "jwks")]
    Remote(RemoteKeySet),
}

/// One version of a key set. The generation changes whenever a remote key set's
/// keys change, so a cache keyed by it never serves a token verified by a key that
/// has since been removed.
#[derive(Clone)]
pub(crate) struct Keys {
    pub(crate) set: Arc<KeySet>,
    pub(crate) generation: u64,
}

impl KeySource {
    /// The keys in use now; `None` while a remote key set has never been fetched.
    pub fn keys(&self) -> Option<Arc<KeySet>> {
        match &self.0 {
            Source::Fixed(keys) => Some(Arc::clone(&keys.set)),
            #[cfg(feature = "jwks")]
            Source::Remote(remote) => remote.keys(),
        }
    }

    /// The issuer these keys are known to belong to: the configured issuer of a
    /// remote key set found through OIDC discovery, whose document named it.
    pub(crate) fn issuer(&self) -> Option<&str> {
        match &self.0 {
            Source::Fixed(_) => None,
            #[cfg(feature = "jwks")]
            Source::Remote(remote) => remote.issuer(),
        }
    }

    /// A fixed key set with no key: every token would be refused.
    pub(crate) fn is_empty_fixed(&self) -> bool {
        match &self.0 {
            Source::Fixed(keys) => keys.set.is_empty(),
            #[cfg(feature = "jwks")]
            Source::Remote(_) => false,
        }
    }

    /// The keys to verify a request with. A remote key set that was never fetched
    /// tries once (within its rate limit) and otherwise fails closed: 503.
    // Async for the remote key set, which may wait for a fetch.
    #[cfg_attr(not(feature = "jwks"), allow(clippy::unused_async))]
    pub(crate) async fn current(&self) -> Result<Keys, AuthError> {
        match &self.0 {
            Source::Fixed(keys) => Ok(keys.clone()),
            #[cfg(feature = "jwks")]
            Source::Remote(remote) => remote.current_or_fetch().await,
        }
    }

    /// Verifies the JWS `token` with `keys`. When its key is unknown and the keys
    /// are remote, asks for newer keys (a fetch at most once per the key set's
    /// minimum interval, shared by every request that waits for it) and tries once
    /// more. Returns the payload and the generation of the keys that verified it.
    // Async for the remote key set, which may wait for a fetch.
    #[cfg_attr(not(feature = "jwks"), allow(clippy::unused_async))]
    pub(crate) async fn verify(
        &self,
        keys: Keys,
        token: &[u8],
        typ: Option<&TypeRule>,
    ) -> Result<(Vec<u8>, u64), TokenError> {
        match jws::verify(&keys.set, token, typ) {
            Ok(payload) => Ok((payload, keys.generation)),
            #[cfg(feature = "jwks")]
            Err(TokenError::UnknownKey) => match &self.0 {
                Source::Remote(remote) => match remote.newer_than(keys.generation).await {
                    Some(newer) => jws::verify(&newer.set, token, typ)
                        .map(|payload| (payload, newer.generation)),
                    None => Err(TokenError::UnknownKey),
                },
                Source::Fixed(_) => Err(TokenError::UnknownKey),
            },
            Err(error) => Err(error),
        }
    }
}

impl From<KeySet> for KeySource {
    fn from(keys: KeySet) -> Self {
        KeySource(Source::Fixed(Keys {
            set: Arc::new(keys),
            generation: 0,
        }))
    }
}

#[cfg(feature = "jwks")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwks")))]
impl From<RemoteKeySet> for KeySource {
    fn from(keys: RemoteKeySet) -> Self {
        KeySource(Source::Remote(keys))
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Fixed(keys) => fmt::Debug::fmt(&keys.set, f),
            #[cfg(feature = "jwks")]
            Source::Remote(remote) => fmt::Debug::fmt(remote, f),
        }
    }
}
