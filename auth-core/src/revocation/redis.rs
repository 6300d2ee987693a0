//! [`RedisRevocationStore`]: revocations shared by every instance of a service, and
//! the [`RedisConnection`] it shares with
//! [`RedisRefreshStore`](super::RedisRefreshStore).

use std::fmt;
use std::future::Future;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime};

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, RedisResult, Script};

use crate::{AuthError, TokenError};

use super::cutoff::{self, Cutoff, SubjectCutoffs};
use super::{Retention, RevocationStore, StoreError, TokenRef};

const COMPONENT: &str = "revocation store";

/// Where and how to reach Redis, for [`RedisConnection::connect`].
///
/// ```
/// use std::time::Duration;
/// use auth_core::revocation::RedisOptions;
///
/// let options = RedisOptions::new("redis://127.0.0.1:6379/")
///     .prefix("orders-api:")
///     .timeout(Duration::from_millis(250));
/// assert_eq!(options.timeout_value(), Duration::from_millis(250));
/// ```
#[derive(Clone)]
pub struct RedisOptions {
    url: String,
    prefix: String,
    timeout: Duration,
}

impl RedisOptions {
    /// The default key prefix, `auth:`.
    pub const DEFAULT_PREFIX: &'static str = "auth:";
    /// The default bound on each call, connection included: 500 ms.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

    /// Redis at `url` (`redis://[user:password@]host:port/db`, or `rediss://` with
    /// a TLS feature of the `redis` crate), with the default prefix and timeout.
    pub fn new(url: impl Into<String>) -> Self {
        RedisOptions {
            url: url.into(),
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// Prepends `prefix` to every key, so that several services (or tests) can
    /// share one Redis without seeing each other's revocations.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Bounds every call, including the wait for a reconnection, to `timeout`.
    /// A call that takes longer fails closed (503) so a hung Redis cannot hang
    /// requests. Also the connect and response timeout of each connection attempt.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The configured key prefix.
    pub fn prefix_value(&self) -> &str {
        &self.prefix
    }

    /// The configured timeout.
    pub fn timeout_value(&self) -> Duration {
        self.timeout
    }
}

/// The URL may carry a password: it is never printed.
impl fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisOptions")
            .field("url", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A connection to Redis that reconnects by itself, shared by the Redis stores.
///
/// Cheap to clone: clones share one multiplexed connection. When Redis goes away,
/// calls fail closed within the timeout ([`AuthError::Unavailable`], a 503, with an
/// error event); the connection is re-established in the background and calls
/// succeed again once Redis is back. Needs a Tokio runtime with timers enabled
/// (`#[tokio::main]` has one).
#[derive(Clone)]
pub struct RedisConnection {
    manager: ConnectionManager,
    prefix: Arc<str>,
    timeout: Duration,
}

impl RedisConnection {
    /// Connects, and checks the server answers (`PING`) within the timeout, so a
    /// wrong URL or an absent server shows at startup.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] (component `"redis"`) when the URL is invalid,
    /// no Tokio runtime is running, or the server does not answer in time.
    pub async fn connect(options: RedisOptions) -> Result<Self, AuthError> {
        const CONNECT: &str = "redis";
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(unavailable(CONNECT, StoreError::NoRuntime));
        }
        let client =
            Client::open(options.url.as_str()).map_err(|e| unavailable(CONNECT, e.into()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.timeout))
            .set_response_timeout(Some(options.timeout))
            // Reconnection is driven by demand: after these attempts fail, the next
            // call starts a new round. Short delays let a returning Redis be used
            // within about a second.
            .set_number_of_retries(4)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1));
        let manager = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| unavailable(CONNECT, e.into()))?;
        let connection = RedisConnection {
            manager,
            prefix: Arc::from(options.prefix),
            timeout: options.timeout,
        };
        let mut con = connection.manager.clone();
        let _: String = connection
            .bounded(CONNECT, ::redis::cmd("PING").query_async(&mut con))
            .await?;
        Ok(connection)
    }

    /// The key for `id` of `kind`: `{prefix}{kind}:{id}`. No kind in use is a
    /// prefix of another, so no id of one kind can name a key of another.
    pub(crate) fn key(&self, kind: &str, id: &str) -> String {
        let mut key = String::with_capacity(self.prefix.len() + kind.len() + 1 + id.len());
        key.push_str(&self.prefix);
        key.push_str(kind);
        key.push(':');
        key.push_str(id);
        key
    }

    /// A handle to send commands on.
    pub(crate) fn handle(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// Runs `call` within the timeout; any failure is a logged 503 for `component`.
    pub(crate) async fn bounded<T>(
        &self,
        component: &'static str,
        call: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, AuthError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(unavailable(component, error.into())),
            Err(_elapsed) => Err(unavailable(component, StoreError::Timeout(self.timeout))),
        }
    }
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConnection")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Fails closed: an error event, then a 503.
pub(crate) fn unavailable(component: &'static str, error: StoreError) -> AuthError {
    if let StoreError::Redis(cause) = &error {
        tracing::error!(component, error = %error, cause = %cause, "redis call failed; failing closed");
    } else {
        tracing::error!(component, error = %error, "redis call failed; failing closed");
    }
    AuthError::unavailable(component, error)
}

/// Revokes a token, never shortening an existing revocation.
/// KEYS[1] the token's key; ARGV[1] keep until (Unix ms).
static REVOKE_TOKEN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('SET', KEYS[1], '1', 'NX', 'PXAT', ARGV[1]) then
  return 1
end
redis.call('PEXPIREAT', KEYS[1], ARGV[1], 'GT')
return 0
",
    )
});

/// Moves a subject's cutoff strictly forward: to the asked cutoff, or one past
/// the stored one when that is later. A stored value below 10^11 is a cutoff in
/// whole seconds from an earlier version, covering its whole second.
/// KEYS[1] the subject's key; ARGV[1] the asked cutoff (Unix ms); ARGV[2] how
/// long to keep it (ms). Returns the new cutoff. Lua numbers are doubles: exact
/// for every millisecond up to the year 9999 and far beyond.
static RAISE_CUTOFF: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local cutoff = tonumber(ARGV[1])
local stored = tonumber(redis.call('GET', KEYS[1]) or '')
if stored then
  if stored < 100000000000 then
    stored = stored * 1000 + 999
  end
  if stored + 1 > cutoff then
    cutoff = stored + 1
  end
end
redis.call('SET', KEYS[1], string.format('%.0f', cutoff), 'PXAT', string.format('%.0f', cutoff + tonumber(ARGV[2])))
return string.format('%.0f', cutoff)
",
    )
});

/// Revocations kept in Redis, shared by every instance of a service.
///
/// Keys (all under the [prefix](RedisOptions::prefix)):
///
/// | key | value | expires |
/// |---|---|---|
/// | `{prefix}revoked:jti:{jti}` | `1` | `exp` + [`Retention::token_grace`]; only ever extended |
/// | `{prefix}revoked:sub:{subject}` | the [`Cutoff`], Unix milliseconds | cutoff + [`Retention::subject_cutoff`]; each revocation raises it strictly |
///
/// Both writes are Lua scripts, so concurrent instances cannot move a cutoff
/// back or shorten a revocation. Needs Redis 7.0 or later (or a compatible
/// server such as Valkey).
///
/// [`check`](RevocationStore::check) is one `MGET` of both keys: one round trip.
/// Subject cutoffs follow [the cutoff rule](super::cutoff); a cutoff in whole
/// seconds written by an earlier version of this crate still counts, for its
/// whole second. Every call is
/// bounded by the connection's timeout; any error or timeout is an
/// [`AuthError::Unavailable`] for `"revocation store"` and an error event: a
/// request is never let through because Redis could not be asked.
///
/// See the [module documentation](super) for a configuration example.
#[derive(Debug, Clone)]
pub struct RedisRevocationStore {
    redis: RedisConnection,
    retention: Retention,
}

impl RedisRevocationStore {
    /// A store on `redis`, with the default [`Retention`].
    pub fn new(redis: RedisConnection) -> Self {
        RedisRevocationStore {
            redis,
            retention: Retention::new(),
        }
    }

    /// Keeps entries as long as `retention` says.
    #[must_use]
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    fn token_key(&self, token_id: &str) -> String {
        self.redis.key("revoked:jti", token_id)
    }

    fn subject_key(&self, subject: &str) -> String {
        self.redis.key("revoked:sub", subject)
    }

    /// The subject's cutoff, from a stored value.
    fn parse_cutoff(value: &str) -> Result<Cutoff, AuthError> {
        value
            .parse()
            .map(Cutoff::from_stored)
            .map_err(|_| unavailable(COMPONENT, StoreError::UnexpectedReply))
    }
}

impl RevocationStore for RedisRevocationStore {
    async fn revoke_token(&self, token_id: &str, expires_at: SystemTime) -> Result<(), AuthError> {
        let until = self.retention.token_until(expires_at);
        if until <= SystemTime::now() {
            return Ok(());
        }
        let mut invocation = REVOKE_TOKEN.prepare_invoke();
        invocation
            .key(self.token_key(token_id))
            .arg(cutoff::unix_millis(until).unwrap_or(u64::MAX));
        let mut con = self.redis.handle();
        let _created: i64 = self
            .redis
            .bounded(COMPONENT, invocation.invoke_async(&mut con))
            .await?;
        Ok(())
    }

    async fn revoke_subject(
        &self,
        subject: &str,
        issued_before: SystemTime,
    ) -> Result<(), AuthError> {
        // The asked cutoff; the script raises it past the stored one if needed,
        // which only lengthens how long it is kept.
        let Some(asked) = Cutoff::raised(None, issued_before) else {
            return Ok(());
        };
        if self.retention.cutoff_until(asked) <= SystemTime::now() {
            return Ok(());
        }
        let keep = u64::try_from(self.retention.subject_cutoff().as_millis()).unwrap_or(u64::MAX);
        let key = self.subject_key(subject);
        let mut invocation = RAISE_CUTOFF.prepare_invoke();
        invocation.key(&key).arg(asked.as_millis()).arg(keep);
        let mut con = self.redis.handle();
        let _raised: String = self
            .redis
            .bounded(COMPONENT, invocation.invoke_async(&mut con))
            .await?;
        Ok(())
    }

    async fn check(&self, token: &TokenRef<'_>) -> Result<(), AuthError> {
        let subject_key = self.subject_key(token.subject);
        let mut mget = ::redis::cmd("MGET");
        mget.arg(&subject_key);
        // One round trip: the subject's cutoff, the token, and its session.
        for id in [token.token_id, token.session_id].into_iter().flatten() {
            mget.arg(self.token_key(id));
        }
        let mut con = self.redis.handle();
        let values: Vec<Option<String>> = self
            .redis
            .bounded(COMPONENT, mget.query_async(&mut con))
            .await?;
        let mut values = values.into_iter();
        let cutoff = values.next().flatten();
        if values.any(|revoked| revoked.is_some()) {
            return Err(TokenError::Revoked.into());
        }
        if let Some(cutoff) = cutoff
            && Self::parse_cutoff(&cutoff)?.revokes(token)
        {
            return Err(TokenError::SubjectRevoked.into());
        }
        Ok(())
    }
}

impl SubjectCutoffs for RedisRevocationStore {
    async fn current_cutoff(&self, subject: &str) -> Result<Option<Cutoff>, AuthError> {
        let key = self.subject_key(subject);
        let mut con = self.redis.handle();
        let value: Option<String> = self
            .redis
            .bounded(
                COMPONENT,
                ::redis::cmd("GET").arg(&key).query_async(&mut con),
            )
            .await?;
        value.as_deref().map(Self::parse_cutoff).transpose()
    }
}
