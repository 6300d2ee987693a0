//! [`MemoryApiKeyStore`]: API keys kept in one process.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{PoisonError, RwLock};
use std::time::SystemTime;

use crate::AuthError;
use crate::revocation::StoreError;

use super::{ApiKeyRecord, ApiKeyStore, StoredApiKey};

/// API keys in a map in this process: for tests, and for a service that runs as
/// one instance. Everything is lost when the process ends, and other instances
/// do not see its keys: use `RedisApiKeyStore` (feature `redis`) or
/// your database for a service with several.
///
/// Listing scans every key: fine for the thousands of keys a single process
/// holds.
///
/// ```
/// use auth_core::api_key::{ApiKeys, MemoryApiKeyStore};
///
/// let keys = ApiKeys::new(MemoryApiKeyStore::new());
/// ```
#[derive(Debug, Default)]
pub struct MemoryApiKeyStore {
    keys: RwLock<HashMap<String, StoredApiKey>>,
}

impl MemoryApiKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryApiKeyStore::default()
    }
}

impl ApiKeyStore for MemoryApiKeyStore {
    async fn insert(&self, key: &StoredApiKey) -> Result<(), AuthError> {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        match keys.entry(key.record().id().to_owned()) {
            Entry::Occupied(_) => Err(AuthError::unavailable(
                "api key store",
                StoreError::DuplicateId,
            )),
            Entry::Vacant(slot) => {
                slot.insert(key.clone());
                Ok(())
            }
        }
    }

    async fn find(&self, id: &str) -> Result<Option<StoredApiKey>, AuthError> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        Ok(keys.get(id).cloned())
    }

    async fn list(&self, owner: &str) -> Result<Vec<ApiKeyRecord>, AuthError> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        let mut records: Vec<ApiKeyRecord> = keys
            .values()
            .filter(|key| key.record().owner() == owner)
            .map(|key| key.record().clone())
            .collect();
        records.sort_by(|a, b| (a.created_at(), a.id()).cmp(&(b.created_at(), b.id())));
        Ok(records)
    }

    async fn revoke(&self, owner: &str, id: &str) -> Result<bool, AuthError> {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        match keys.entry(id.to_owned()) {
            Entry::Occupied(key) if key.get().record().owner() == owner => {
                key.remove();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn touch(&self, id: &str, at: SystemTime) -> Result<(), AuthError> {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = keys.get_mut(id)
            && key.record().last_used_at().is_none_or(|used| used < at)
        {
            key.set_last_used_at(at);
        }
        Ok(())
    }
}
