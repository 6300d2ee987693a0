//! [`ApiKeys`]: creating, listing and revoking keys, from a user's own endpoints.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Scopes;

use super::key::{self, PlaintextKey};
use super::{ApiKeyError, ApiKeyRecord, ApiKeyStore, StoredApiKey};

/// The longest key name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// The management side of API keys: what your "my API keys" endpoints call.
///
/// Every call is for one owner, the signed-in user's subject, which your handler
/// takes from its `Authenticated` principal, never from the request body: a
/// user cannot list or revoke another user's keys, whatever ids they send.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use auth_core::Scopes;
/// use auth_core::api_key::{ApiKeyError, ApiKeys, MemoryApiKeyStore};
///
/// let keys = ApiKeys::new(MemoryApiKeyStore::new());
/// // What the owner may do; a key gets a subset of it.
/// let granted = Scopes::from_space_separated("orders:read orders:write");
///
/// let (key, record) = keys
///     .create("user-1", &granted, "nightly export", ["orders:read"], Some(Duration::from_secs(90 * 86_400)))
///     .await?;
/// // Show `key.expose()` to the user once; only its hash was stored.
/// assert_eq!(record.scopes().as_str(), "orders:read");
///
/// // Asking for more than the owner has is refused, never trimmed.
/// let wider = keys.create("user-1", &granted, "admin", ["orders:admin"], None).await;
/// assert!(matches!(wider, Err(ApiKeyError::ScopeNotHeld { .. })));
///
/// assert_eq!(keys.list("user-1").await?.len(), 1);
/// // Another user cannot revoke it...
/// assert!(matches!(keys.revoke("user-2", record.id()).await, Err(ApiKeyError::NotFound)));
/// // ...its owner can.
/// keys.revoke("user-1", record.id()).await?;
/// assert!(keys.list("user-1").await?.is_empty());
/// # Ok::<(), ApiKeyError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct ApiKeys<S> {
    store: S,
}

impl<S: ApiKeyStore> ApiKeys<S> {
    /// Keys kept in `store`. Share the store with the
    /// [`ApiKeyAuthenticator`](super::ApiKeyAuthenticator) through an `Arc` or a
    /// reference (stores are implemented for both).
    pub fn new(store: S) -> Self {
        ApiKeys { store }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Creates a key for `owner`, named `name`, granting `requested_scopes`,
    /// which must all be among `owner_scopes` (least privilege: a key can do at
    /// most what its owner could when it was made, and its owner's current
    /// rights are re-read on each use). No scopes at all is allowed: such a key
    /// only authenticates. With `expires_in`, the key stops working that long
    /// from now.
    ///
    /// Returns the key in plain text, to show its owner once, and its record.
    /// The store receives only the key's hash.
    ///
    /// # Errors
    /// [`ApiKeyError::EmptyName`], [`NameTooLong`](ApiKeyError::NameTooLong),
    /// [`ControlCharacterInName`](ApiKeyError::ControlCharacterInName),
    /// [`InvalidScope`](ApiKeyError::InvalidScope),
    /// [`ScopeNotHeld`](ApiKeyError::ScopeNotHeld),
    /// [`InvalidLifetime`](ApiKeyError::InvalidLifetime) for what was asked;
    /// [`Random`](ApiKeyError::Random) and [`Store`](ApiKeyError::Store) when
    /// the machine or the store failed.
    pub async fn create<I>(
        &self,
        owner: &str,
        owner_scopes: &Scopes,
        name: &str,
        requested_scopes: I,
        expires_in: Option<Duration>,
    ) -> Result<(PlaintextKey, ApiKeyRecord), ApiKeyError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        check_name(name)?;
        let scopes = granted_scopes(owner_scopes, requested_scopes)?;
        let created_at = whole_millis(SystemTime::now());
        let expires_at = match expires_in {
            None => None,
            Some(lifetime) if lifetime.is_zero() => return Err(ApiKeyError::InvalidLifetime),
            Some(lifetime) => Some(whole_millis(
                created_at
                    .checked_add(lifetime)
                    .ok_or(ApiKeyError::InvalidLifetime)?,
            )),
        };
        let (plaintext, hash) = key::generate().map_err(|error| {
            tracing::error!(error = %error, "the random number generator failed; no api key was created");
            ApiKeyError::Random
        })?;
        let mut record = ApiKeyRecord::new(plaintext.id(), owner, name, scopes, created_at);
        if let Some(expires_at) = expires_at {
            record = record.with_expires_at(expires_at);
        }
        let stored = StoredApiKey::new(record, hash);
        self.store.insert(&stored).await?;
        Ok((plaintext, stored.into_record()))
    }

    /// The keys of `owner`, expired ones included, oldest first. Records only:
    /// no key, no hash.
    ///
    /// # Errors
    /// [`ApiKeyError::Store`] when the store failed.
    pub async fn list(&self, owner: &str) -> Result<Vec<ApiKeyRecord>, ApiKeyError> {
        Ok(self.store.list(owner).await?)
    }

    /// Revokes `owner`'s key `id`: it is refused from the next request on, by
    /// every instance that shares the store.
    ///
    /// # Errors
    /// [`ApiKeyError::NotFound`] when `owner` has no key `id` (none, or another
    /// owner's: the answer is the same); [`ApiKeyError::Store`] when the store
    /// failed.
    pub async fn revoke(&self, owner: &str, id: &str) -> Result<(), ApiKeyError> {
        if self.store.revoke(owner, id).await? {
            Ok(())
        } else {
            Err(ApiKeyError::NotFound)
        }
    }
}

fn check_name(name: &str) -> Result<(), ApiKeyError> {
    if name.trim().is_empty() {
        return Err(ApiKeyError::EmptyName);
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(ApiKeyError::NameTooLong { chars });
    }
    if name.chars().any(char::is_control) {
        return Err(ApiKeyError::ControlCharacterInName);
    }
    Ok(())
}

/// The requested scopes, each valid and held by the owner, without repeats.
fn granted_scopes<I>(owner_scopes: &Scopes, requested: I) -> Result<Scopes, ApiKeyError>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut granted = String::new();
    for scope in requested {
        let scope = scope.as_ref();
        // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
        let valid = !scope.is_empty()
            && scope
                .bytes()
                .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
        if !valid {
            return Err(ApiKeyError::InvalidScope {
                scope: scope.to_owned(),
            });
        }
        if !owner_scopes.contains(scope) {
            return Err(ApiKeyError::ScopeNotHeld {
                scope: scope.to_owned(),
            });
        }
        if !granted.split(' ').any(|held| held == scope) {
            if !granted.is_empty() {
                granted.push(' ');
            }
            granted.push_str(scope);
        }
    }
    Ok(Scopes::from_space_separated(&granted))
}

/// `at`, down to the millisecond: what every store keeps, so a record reads back
/// equal to what was written.
fn whole_millis(at: SystemTime) -> SystemTime {
    match at.duration_since(UNIX_EPOCH) {
        Ok(since) => UNIX_EPOCH + Duration::new(since.as_secs(), since.subsec_millis() * 1_000_000),
        Err(_) => at,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::api_key::MemoryApiKeyStore;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_key_gets_a_subset_of_its_owners_scopes_never_more() {
        block_on(async {
            let keys = ApiKeys::new(MemoryApiKeyStore::new());
            let owner = Scopes::from_space_separated("orders:read orders:write");
            let (_, record) = keys
                .create("u1", &owner, "k", ["orders:read", "orders:read"], None)
                .await
                .unwrap();
            assert_eq!(record.scopes().as_str(), "orders:read");
            let refused = keys
                .create("u1", &owner, "k", ["orders:read", "orders:delete"], None)
                .await;
            assert!(
                matches!(&refused, Err(ApiKeyError::ScopeNotHeld { scope }) if scope == "orders:delete"),
                "{refused:?}"
            );
            // A prefix of a held scope is not the scope.
            let refused = keys.create("u1", &owner, "k", ["orders"], None).await;
            assert!(matches!(refused, Err(ApiKeyError::ScopeNotHeld { .. })));
            // Nothing was stored for the refused requests.
            assert_eq!(keys.list("u1").await.unwrap().len(), 1);
            // No scopes at all: a key that only authenticates.
            let (_, bare) = keys
                .create("u1", &Scopes::none(), "bare", Vec::<String>::new(), None)
                .await
                .unwrap();
            assert!(bare.scopes().is_empty());
        });
    }

    #[test]
    fn names_scopes_and_lifetimes_are_checked() {
        block_on(async {
            let keys = ApiKeys::new(MemoryApiKeyStore::new());
            let owner = Scopes::from_space_separated("a b");
            let none: [&str; 0] = [];
            for (name, expected) in [
                ("", "EmptyName"),
                ("  ", "EmptyName"),
                ("line\nbreak", "ControlCharacterInName"),
                ("tab\there", "ControlCharacterInName"),
                ("\u{1b}[31m", "ControlCharacterInName"),
            ] {
                let err = keys
                    .create("u", &owner, name, none, None)
                    .await
                    .unwrap_err();
                assert!(
                    format!("{err:?}").starts_with(expected),
                    "{name:?}: {err:?}"
                );
            }
            let long = "é".repeat(101);
            assert!(matches!(
                keys.create("u", &owner, &long, none, None).await,
                Err(ApiKeyError::NameTooLong { chars: 101 })
            ));
            keys.create("u", &owner, &"é".repeat(100), none, None)
                .await
                .unwrap();
            for scope in ["", "a b", "a\n", "é", "a\"", "a\\"] {
                assert!(
                    matches!(
                        keys.create("u", &owner, "k", [scope], None).await,
                        Err(ApiKeyError::InvalidScope { .. })
                    ),
                    "{scope:?}"
                );
            }
            assert!(matches!(
                keys.create("u", &owner, "k", none, Some(Duration::ZERO))
                    .await,
                Err(ApiKeyError::InvalidLifetime)
            ));
            assert!(matches!(
                keys.create("u", &owner, "k", none, Some(Duration::MAX))
                    .await,
                Err(ApiKeyError::InvalidLifetime)
            ));
            let (_, record) = keys
                .create("u", &owner, "k", none, Some(Duration::from_secs(60)))
                .await
                .unwrap();
            assert_eq!(
                record.expires_at(),
                Some(record.created_at() + Duration::from_secs(60))
            );
        });
    }

    #[test]
    fn errors_map_to_the_statuses_that_teach() {
        use crate::AuthError;
        let cases = [
            (ApiKeyError::EmptyName, 400),
            (
                ApiKeyError::InvalidScope {
                    scope: "a b".into(),
                },
                400,
            ),
            (ApiKeyError::ScopeNotHeld { scope: "x".into() }, 403),
            (ApiKeyError::InvalidLifetime, 400),
            (ApiKeyError::NotFound, 404),
            (ApiKeyError::Random, 503),
        ];
        for (error, status) in cases {
            assert_eq!(AuthError::from(error).status().as_u16(), status);
        }
    }

    #[test]
    fn revoking_is_scoped_to_the_owner() {
        block_on(async {
            let keys = ApiKeys::new(MemoryApiKeyStore::new());
            let none: [&str; 0] = [];
            let (_, record) = keys
                .create("alice", &Scopes::none(), "k", none, None)
                .await
                .unwrap();
            assert!(matches!(
                keys.revoke("mallory", record.id()).await,
                Err(ApiKeyError::NotFound)
            ));
            assert!(matches!(
                keys.revoke("alice", "aaaaaaaaaaaaaaaa").await,
                Err(ApiKeyError::NotFound)
            ));
            assert_eq!(keys.list("alice").await.unwrap(), vec![record.clone()]);
            keys.revoke("alice", record.id()).await.unwrap();
            assert!(keys.list("alice").await.unwrap().is_empty());
            assert!(matches!(
                keys.revoke("alice", record.id()).await,
                Err(ApiKeyError::NotFound)
            ));
        });
    }
}
