//! The shared stores: in memory for one instance, or Redis (`REDIS_URL`) so
//! that every instance of the service sees every revocation and refresh rotation.

use std::time::{Duration, SystemTime};

use auth_core::AuthError;
use auth_core::revocation::refresh::MemoryRefreshStore;
use auth_core::revocation::refresh::{RefreshFamily, RefreshStore, Rotation};
use auth_core::revocation::{
    Cutoff, MemoryRevocationStore, RedisConnection, RedisOptions, RedisRefreshStore,
    RedisRevocationStore, RevocationStore, SubjectCutoffs, TokenRef,
};

/// Where revocations live.
#[derive(Debug)]
pub enum Revocations {
    /// This process only.
    Memory(MemoryRevocationStore),
    /// Shared through Redis.
    Redis(RedisRevocationStore),
}

/// Where refresh-token families live.
#[derive(Debug)]
pub enum RefreshTokens {
    /// This process only.
    Memory(MemoryRefreshStore),
    /// Shared through Redis.
    Redis(RedisRefreshStore),
}

/// Opens both stores: Redis when `redis_url` is set, memory otherwise.
///
/// # Errors
/// When Redis cannot be reached at start: the service refuses to start rather
/// than run without shared revocations.
pub async fn open(redis_url: Option<&str>) -> Result<(Revocations, RefreshTokens), AuthError> {
    match redis_url {
        None => Ok((
            Revocations::Memory(MemoryRevocationStore::new()),
            RefreshTokens::Memory(MemoryRefreshStore::new()),
        )),
        Some(url) => {
            let connection =
                RedisConnection::connect(RedisOptions::new(url).prefix("orders-api:")).await?;
            Ok((
                Revocations::Redis(RedisRevocationStore::new(connection.clone())),
                RefreshTokens::Redis(RedisRefreshStore::new(connection)),
            ))
        }
    }
}

impl RevocationStore for Revocations {
    async fn revoke_token(&self, token_id: &str, expires_at: SystemTime) -> Result<(), AuthError> {
        match self {
            Revocations::Memory(store) => store.revoke_token(token_id, expires_at).await,
            Revocations::Redis(store) => store.revoke_token(token_id, expires_at).await,
        }
    }

    async fn revoke_subject(&self, subject: &str, before: SystemTime) -> Result<(), AuthError> {
        match self {
            Revocations::Memory(store) => store.revoke_subject(subject, before).await,
            Revocations::Redis(store) => store.revoke_subject(subject, before).await,
        }
    }

    async fn check(&self, token: &TokenRef<'_>) -> Result<(), AuthError> {
        match self {
            Revocations::Memory(store) => store.check(token).await,
            Revocations::Redis(store) => store.check(token).await,
        }
    }
}

impl SubjectCutoffs for Revocations {
    async fn current_cutoff(&self, subject: &str) -> Result<Option<Cutoff>, AuthError> {
        match self {
            Revocations::Memory(store) => store.current_cutoff(subject).await,
            Revocations::Redis(store) => store.current_cutoff(subject).await,
        }
    }
}

impl RefreshStore for RefreshTokens {
    async fn register(&self, family: &RefreshFamily, token_id: &str) -> Result<(), AuthError> {
        match self {
            RefreshTokens::Memory(store) => store.register(family, token_id).await,
            RefreshTokens::Redis(store) => store.register(family, token_id).await,
        }
    }

    async fn rotate(
        &self,
        old_token_id: &str,
        new_token_id: &str,
        grace: Duration,
    ) -> Result<Rotation, AuthError> {
        match self {
            RefreshTokens::Memory(store) => store.rotate(old_token_id, new_token_id, grace).await,
            RefreshTokens::Redis(store) => store.rotate(old_token_id, new_token_id, grace).await,
        }
    }

    async fn revoke_family(&self, family_id: &str) -> Result<(), AuthError> {
        match self {
            RefreshTokens::Memory(store) => store.revoke_family(family_id).await,
            RefreshTokens::Redis(store) => store.revoke_family(family_id).await,
        }
    }
}
