//! The per-request, per-authenticator cache every adapter shares (axum's
//! extractor, the tower layer, tonic): an outcome is kept under the identity of
//! the [`SharedAuthenticator`] that produced it, never under its principal type
//! alone, so a router or layer with *another* authenticator verifies the
//! credential again with its own (a principal is never reused across
//! authenticators).

use http::request::Parts;

use crate::{AuthError, Authenticated, SharedAuthenticator};

/// What this request was authenticated as, per [`SharedAuthenticator`] (by its
/// identity, never by type alone): later extractors asking the same authenticator
/// get the same answer instead of verifying the credential again.
#[derive(Clone)]
pub(crate) struct Cache<U> {
    entries: Vec<(u64, Entry<U>)>,
}

#[derive(Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per request and authenticator, kept in the request: boxing would add an allocation to save bytes nobody keeps"
)]
enum Entry<U> {
    Authenticated(Authenticated<U>),
    /// No credential was sent.
    Missing,
}

/// Authenticates `parts` with `authenticator`, once per request and authenticator.
pub(crate) async fn authenticate_once<U>(
    parts: &mut Parts,
    authenticator: &SharedAuthenticator<U>,
) -> Result<Authenticated<U>, AuthError>
where
    U: Clone + Send + Sync + 'static,
{
    let id = authenticator.id();
    let cached = parts
        .extensions
        .get::<Cache<U>>()
        .and_then(|cache| cache.entries.iter().find(|(known, _)| *known == id));
    match cached {
        Some((_, Entry::Authenticated(principal))) => return Ok(principal.clone()),
        Some((_, Entry::Missing)) => return Err(AuthError::MissingCredentials),
        None => {}
    }
    let result = crate::authenticate(authenticator, parts).await;
    let entry = match &result {
        Ok(principal) => Some(Entry::Authenticated(principal.clone())),
        Err(AuthError::MissingCredentials) => Some(Entry::Missing),
        // Not kept: the request is answered with it.
        Err(_) => None,
    };
    if let Some(entry) = entry {
        match parts.extensions.get_mut::<Cache<U>>() {
            Some(cache) => cache.entries.push((id, entry)),
            None => {
                parts.extensions.insert(Cache {
                    entries: vec![(id, entry)],
                });
            }
        }
    }
    result
}
