//! [`ApiKeyStore`]: where key records and their hashes live.

use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use crate::AuthError;

use super::{ApiKeyRecord, StoredApiKey};

/// Keeps API key records and the hashes of their secrets; never a plaintext key.
///
/// [`MemoryApiKeyStore`](super::MemoryApiKeyStore) keeps them in one process,
/// `RedisApiKeyStore` (feature `redis`)
/// shares them between every instance of a service. Implement it over your
/// database to keep keys beside your users.
///
/// A store that cannot answer returns [`AuthError::Unavailable`]: authentication
/// then fails closed with a 503, never lets the request through.
///
/// ```
/// use std::time::SystemTime;
/// use auth_core::AuthError;
/// use auth_core::api_key::{ApiKeyRecord, ApiKeyStore, MemoryApiKeyStore, StoredApiKey};
///
/// /// A store that logs every write, around another.
/// struct Logged<S>(S);
///
/// impl<S: ApiKeyStore> ApiKeyStore for Logged<S> {
///     async fn insert(&self, key: &StoredApiKey) -> Result<(), AuthError> {
///         println!("new api key {}", key.record().id());
///         self.0.insert(key).await
///     }
///     async fn find(&self, id: &str) -> Result<Option<StoredApiKey>, AuthError> {
///         self.0.find(id).await
///     }
///     async fn list(&self, owner: &str) -> Result<Vec<ApiKeyRecord>, AuthError> {
///         self.0.list(owner).await
///     }
///     async fn revoke(&self, owner: &str, id: &str) -> Result<bool, AuthError> {
///         println!("api key {id} revoked");
///         self.0.revoke(owner, id).await
///     }
///     async fn touch(&self, id: &str, at: SystemTime) -> Result<(), AuthError> {
///         self.0.touch(id, at).await
///     }
/// }
///
/// let store = Logged(MemoryApiKeyStore::new());
/// ```
pub trait ApiKeyStore: Send + Sync {
    /// Adds a new key. Fails with [`AuthError::Unavailable`] and
    /// [`StoreError::DuplicateId`](crate::revocation::StoreError::DuplicateId)
    /// when its id is taken (ids are 80 random bits: a broken RNG, not bad luck).
    fn insert(&self, key: &StoredApiKey) -> impl Future<Output = Result<(), AuthError>> + Send;

    /// The key with id `id`, with its hash; `None` when there is none (never
    /// created, or revoked).
    fn find(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<StoredApiKey>, AuthError>> + Send;

    /// The keys of `owner`, expired ones included, oldest first; records only,
    /// no hashes.
    fn list(
        &self,
        owner: &str,
    ) -> impl Future<Output = Result<Vec<ApiKeyRecord>, AuthError>> + Send;

    /// Deletes the key `id` if `owner` owns it: the key is refused from then on.
    /// `false` when there is no such key, or another owner's: nothing changes.
    fn revoke(&self, owner: &str, id: &str)
    -> impl Future<Output = Result<bool, AuthError>> + Send;

    /// Records that the key `id` was used at `at`, if it still exists and `at`
    /// is later than its last recorded use. Never recreates a revoked key.
    fn touch(&self, id: &str, at: SystemTime)
    -> impl Future<Output = Result<(), AuthError>> + Send;
}

macro_rules! forward {
    ($($pointer:ty),*) => {$(
        impl<T: ApiKeyStore + ?Sized> ApiKeyStore for $pointer {
            fn insert(&self, key: &StoredApiKey) -> impl Future<Output = Result<(), AuthError>> + Send {
                (**self).insert(key)
            }

            fn find(
                &self,
                id: &str,
            ) -> impl Future<Output = Result<Option<StoredApiKey>, AuthError>> + Send {
                (**self).find(id)
            }

            fn list(
                &self,
                owner: &str,
            ) -> impl Future<Output = Result<Vec<ApiKeyRecord>, AuthError>> + Send {
                (**self).list(owner)
            }

            fn revoke(
                &self,
                owner: &str,
                id: &str,
            ) -> impl Future<Output = Result<bool, AuthError>> + Send {
                (**self).revoke(owner, id)
            }

            fn touch(
                &self,
                id: &str,
                at: SystemTime,
            ) -> impl Future<Output = Result<(), AuthError>> + Send {
                (**self).touch(id, at)
            }
        }
    )*};
}

forward!(&T, Box<T>, Arc<T>);
