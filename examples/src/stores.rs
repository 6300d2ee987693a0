//! The shared stores: in memory for one instance, or Redis (`REDIS_URL`) so
//! that every instance of the service sees every revocation and refresh rotation.

use std::time::{Duration, SystemTime};

use auth_core::AuthError;
use auth_core::api_key::{
    ApiKeyRecord, ApiKeyStore, MemoryApiKeyStore, RedisApiKeyStore, StoredApiKey,
};
use auth_core::limit::{MemoryRateLimits, Quota, RateLimitStore, RedisRateLimits, Verdict};
use auth_core::mfa::{
    Acceptance, Admission, AttemptLimit, MemoryTotpStore, RedisTotpStore, TotpRecord, TotpSecret,
    TotpStore,
};
use auth_core::revocation::refresh::MemoryRefreshStore;
use auth_core::revocation::refresh::{RefreshFamily, RefreshStore, Rotation};
use auth_core::revocation::{
    Cutoff, MemoryRevocationStore, RedisConnection, RedisOptions, RedisRefreshStore,
    RedisRevocationStore, RevocationStore, SubjectCutoffs, TokenRef,
};
use auth_core::session::{
    MemorySessionStore, Opened, RedisSessionStore, SessionKey, SessionRecord, SessionStore,
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

/// Where sessions, API keys and second factors live: in this process, or in the
/// Redis every instance shares.
#[derive(Debug)]
pub enum Shared<M, R> {
    /// This process only.
    Memory(M),
    /// Shared through Redis.
    Redis(R),
}

/// Server-side sessions.
pub type SessionStores = Shared<MemorySessionStore, RedisSessionStore>;
/// API keys (their hashes).
pub type ApiKeyStores = Shared<MemoryApiKeyStore, RedisApiKeyStore>;
/// TOTP factors, replay marks and attempt counts.
pub type TotpStores = Shared<MemoryTotpStore, RedisTotpStore>;

/// The plan gate's counts (`GET /orders`, per user).
pub type PlanLimitStores = Shared<MemoryRateLimits, RedisRateLimits>;

/// The three stores of the ways in besides tokens.
#[derive(Debug)]
pub struct WaysIn {
    /// Sessions.
    pub sessions: SessionStores,
    /// API keys.
    pub api_keys: ApiKeyStores,
    /// TOTP factors.
    pub totp: TotpStores,
}

/// Opens the session, API key and TOTP stores: Redis when `redis_url` is set.
///
/// # Errors
/// When Redis cannot be reached at start.
pub async fn open_ways_in(redis_url: Option<&str>) -> Result<WaysIn, AuthError> {
    match redis_url {
        None => Ok(WaysIn {
            sessions: Shared::Memory(MemorySessionStore::new()),
            api_keys: Shared::Memory(MemoryApiKeyStore::new()),
            totp: Shared::Memory(MemoryTotpStore::new()),
        }),
        Some(url) => {
            let connection =
                RedisConnection::connect(RedisOptions::new(url).prefix("orders-api:")).await?;
            Ok(WaysIn {
                sessions: Shared::Redis(RedisSessionStore::new(connection.clone())),
                api_keys: Shared::Redis(RedisApiKeyStore::new(connection.clone())),
                totp: Shared::Redis(RedisTotpStore::new(connection)),
            })
        }
    }
}

/// Opens the plan gate's store: in Redis when `redis_url` is set, so that every
/// instance counts a user's requests together; else in this process (each
/// instance then admits up to its own quota).
///
/// # Errors
/// When Redis cannot be reached at start.
pub async fn open_plan_limits(redis_url: Option<&str>) -> Result<PlanLimitStores, AuthError> {
    match redis_url {
        None => Ok(Shared::Memory(MemoryRateLimits::default())),
        Some(url) => {
            let connection =
                RedisConnection::connect(RedisOptions::new(url).prefix("orders-api:")).await?;
            Ok(Shared::Redis(RedisRateLimits::new(connection)))
        }
    }
}

/// `match self` over both stores, calling `$method` with the same arguments.
macro_rules! either {
    ($self:ident.$method:ident($($arg:expr),*)) => {
        match $self {
            Shared::Memory(store) => store.$method($($arg),*).await,
            Shared::Redis(store) => store.$method($($arg),*).await,
        }
    };
}

impl SessionStore for SessionStores {
    async fn create(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        expires_at: SystemTime,
    ) -> Result<(), AuthError> {
        either!(self.create(key, record, expires_at))
    }
    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>, AuthError> {
        either!(self.load(key))
    }
    async fn touch(
        &self,
        key: &SessionKey,
        seen_at: SystemTime,
        expires_at: SystemTime,
    ) -> Result<bool, AuthError> {
        either!(self.touch(key, seen_at, expires_at))
    }
    async fn rotate(
        &self,
        old: &SessionKey,
        new: &SessionKey,
        record: &SessionRecord,
        expires_at: SystemTime,
    ) -> Result<bool, AuthError> {
        either!(self.rotate(old, new, record, expires_at))
    }
    async fn destroy(&self, key: &SessionKey) -> Result<bool, AuthError> {
        either!(self.destroy(key))
    }
    async fn destroy_all_for(&self, subject: &str) -> Result<u64, AuthError> {
        either!(self.destroy_all_for(subject))
    }
    async fn get(&self, key: &SessionKey, field: &str) -> Result<Option<String>, AuthError> {
        either!(self.get(key, field))
    }
    async fn set(&self, key: &SessionKey, field: &str, value: &str) -> Result<bool, AuthError> {
        either!(self.set(key, field, value))
    }
    async fn remove(&self, key: &SessionKey, field: &str) -> Result<bool, AuthError> {
        either!(self.remove(key, field))
    }
    async fn increment(
        &self,
        key: &SessionKey,
        field: &str,
        by: i64,
    ) -> Result<Option<i64>, AuthError> {
        either!(self.increment(key, field, by))
    }
    /// Forwarded, so that Redis opens a session in one round trip.
    async fn open(
        &self,
        key: &SessionKey,
        now: SystemTime,
        idle: Duration,
    ) -> Result<Opened, AuthError> {
        either!(self.open(key, now, idle))
    }
}

impl RateLimitStore for PlanLimitStores {
    async fn check(&self, key: &str, quota: Quota) -> Result<Verdict, AuthError> {
        either!(self.check(key, quota))
    }
}

impl ApiKeyStore for ApiKeyStores {
    async fn insert(&self, key: &StoredApiKey) -> Result<(), AuthError> {
        either!(self.insert(key))
    }
    async fn find(&self, id: &str) -> Result<Option<StoredApiKey>, AuthError> {
        either!(self.find(id))
    }
    async fn list(&self, owner: &str) -> Result<Vec<ApiKeyRecord>, AuthError> {
        either!(self.list(owner))
    }
    async fn revoke(&self, owner: &str, id: &str) -> Result<bool, AuthError> {
        either!(self.revoke(owner, id))
    }
    async fn touch(&self, id: &str, at: SystemTime) -> Result<(), AuthError> {
        either!(self.touch(id, at))
    }
}

impl TotpStore for TotpStores {
    async fn admit(
        &self,
        subject: &str,
        limit: AttemptLimit,
        now: SystemTime,
    ) -> Result<Admission, AuthError> {
        either!(self.admit(subject, limit, now))
    }
    async fn load(&self, subject: &str, now: SystemTime) -> Result<TotpRecord, AuthError> {
        either!(self.load(subject, now))
    }
    async fn put_pending(
        &self,
        subject: &str,
        secret: &TotpSecret,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<(), AuthError> {
        either!(self.put_pending(subject, secret, ttl, now))
    }
    async fn accept(
        &self,
        subject: &str,
        secret: &TotpSecret,
        step: u64,
    ) -> Result<Acceptance, AuthError> {
        either!(self.accept(subject, secret, step))
    }
    async fn activate(
        &self,
        subject: &str,
        secret: &TotpSecret,
        step: u64,
    ) -> Result<bool, AuthError> {
        either!(self.activate(subject, secret, step))
    }
    async fn remove(&self, subject: &str) -> Result<(), AuthError> {
        either!(self.remove(subject))
    }
}
