//! What a store keeps about a key: [`ApiKeyRecord`], and with its hash,
//! [`StoredApiKey`].

use std::time::SystemTime;

use crate::Scopes;

use super::SecretHash;

/// What is known about an API key, without its secret: what listings show.
///
/// The key grants the [`scopes`](Self::scopes) it was created with, never more,
/// and authenticates its [`owner`](Self::owner), whose user is loaded afresh on
/// every request.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth_core::Scopes;
/// use auth_core::api_key::ApiKeyRecord;
///
/// let created = SystemTime::now();
/// let record = ApiKeyRecord::new("aaaaaaaaaaaaaaaa", "user-1", "ci", Scopes::none(), created)
///     .with_expires_at(created + Duration::from_secs(3600));
/// assert!(!record.is_expired_at(created));
/// assert!(record.is_expired_at(created + Duration::from_secs(3600)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    id: String,
    owner: String,
    name: String,
    scopes: Scopes,
    created_at: SystemTime,
    last_used_at: Option<SystemTime>,
    expires_at: Option<SystemTime>,
}

impl ApiKeyRecord {
    /// A record, as a store reads one back. Keys are created by
    /// [`ApiKeys::create`](super::ApiKeys::create), which validates what it is given.
    pub fn new(
        id: impl Into<String>,
        owner: impl Into<String>,
        name: impl Into<String>,
        scopes: Scopes,
        created_at: SystemTime,
    ) -> Self {
        ApiKeyRecord {
            id: id.into(),
            owner: owner.into(),
            name: name.into(),
            scopes,
            created_at,
            last_used_at: None,
            expires_at: None,
        }
    }

    /// The instant the key stops working.
    #[must_use]
    pub fn with_expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// When the key was last used (recorded at most once per
    /// [touch interval](super::ApiKeyAuthenticator::with_touch_interval)).
    #[must_use]
    pub fn with_last_used_at(mut self, at: SystemTime) -> Self {
        self.last_used_at = Some(at);
        self
    }

    /// The key's id: public, embedded in the key, what a store looks it up by.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The subject of the key's owner.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The name its owner gave it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The scopes it grants: a subset of its owner's at creation.
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// When it was created.
    pub fn created_at(&self) -> SystemTime {
        self.created_at
    }

    /// When it was last used, if ever.
    pub fn last_used_at(&self) -> Option<SystemTime> {
        self.last_used_at
    }

    /// When it stops working, if it does.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Whether it no longer works at `now`: its expiry is `now` or earlier.
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|expires_at| expires_at <= now)
    }

    /// Takes the parts an [`Identity`](crate::Identity) needs, without copying.
    pub(crate) fn into_parts(self) -> (String, String, Scopes, SystemTime, Option<SystemTime>) {
        (
            self.id,
            self.owner,
            self.scopes,
            self.created_at,
            self.expires_at,
        )
    }
}

/// A record with the hash of its key's secret: what a store keeps, and what
/// [`ApiKeyStore::find`](super::ApiKeyStore::find) returns to the authenticator.
#[derive(Debug, Clone)]
pub struct StoredApiKey {
    record: ApiKeyRecord,
    secret_hash: SecretHash,
}

impl StoredApiKey {
    /// `record`, whose key's secret hashes to `secret_hash`.
    pub fn new(record: ApiKeyRecord, secret_hash: SecretHash) -> Self {
        StoredApiKey {
            record,
            secret_hash,
        }
    }

    /// The record.
    pub fn record(&self) -> &ApiKeyRecord {
        &self.record
    }

    /// The hash of the key's secret.
    pub fn secret_hash(&self) -> &SecretHash {
        &self.secret_hash
    }

    /// The record, without the hash.
    pub fn into_record(self) -> ApiKeyRecord {
        self.record
    }

    pub(crate) fn set_last_used_at(&mut self, at: SystemTime) {
        self.record.last_used_at = Some(at);
    }
}
