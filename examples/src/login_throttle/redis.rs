//! The login throttle shared by every instance through Redis (`REDIS_URL`).
//!
//! A fixed window per key rather than a token bucket: one `INCR` and one
//! `PEXPIRE` per key, in one script so that every instance sees the same count.
//! A client may get up to twice the limit across a window's edge. A Redis that
//! does not answer within a second fails the login closed (503), like the
//! revocation stores.

use std::net::IpAddr;
use std::time::Duration;

use auth_core::AuthError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::keys;
use crate::config::LoginLimits;
use crate::error::ApiError;

/// The bound on each Redis call.
const TIMEOUT: Duration = Duration::from_secs(1);

/// Admits when every key is under its limit, then counts the attempt on each;
/// else answers the milliseconds until the fullest key's window ends.
/// `KEYS`: the buckets; `ARGV`: each key's limit, then each key's window in ms.
const ADMIT: &str = r"
local n = #KEYS
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= tonumber(ARGV[i]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = tonumber(ARGV[n + i]) end
    return ttl
  end
end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then
    redis.call('PEXPIRE', key, ARGV[n + i])
  end
end
return 0
";

/// Gives an attempt back on every key that still counts it.
const REFUND: &str = r"
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
  end
end
return 0
";

/// The login throttle in Redis, shared by every instance.
#[derive(Clone)]
pub struct RedisThrottle {
    manager: ConnectionManager,
    limits: LoginLimits,
    admit: redis::Script,
    refund: redis::Script,
}

impl std::fmt::Debug for RedisThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisThrottle")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// An attempt the Redis throttle admitted.
#[derive(Debug)]
#[must_use = "call `succeeded` after a successful login"]
pub struct RedisAttempt<'a> {
    throttle: &'a RedisThrottle,
    keys: Vec<String>,
}

fn unavailable(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ApiError {
    ApiError::Auth(AuthError::unavailable("login throttle", error))
}

impl RedisThrottle {
    /// Connects to `url` and checks that Redis answers.
    ///
    /// # Errors
    /// When Redis cannot be reached within a second.
    pub async fn connect(url: &str, limits: LoginLimits) -> Result<Self, AuthError> {
        let fail = |error: redis::RedisError| AuthError::unavailable("login throttle", error);
        let client = redis::Client::open(url).map_err(fail)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(2);
        let manager = tokio::time::timeout(
            TIMEOUT * 3,
            client.get_connection_manager_with_config(config),
        )
        .await
        .map_err(|elapsed| AuthError::unavailable("login throttle", elapsed))?
        .map_err(fail)?;
        Ok(RedisThrottle {
            manager,
            limits,
            admit: redis::Script::new(ADMIT),
            refund: redis::Script::new(REFUND),
        })
    }

    /// Admits an attempt from `client` for `email`, or refuses it.
    ///
    /// # Errors
    /// [`ApiError::TooManyAttempts`] beyond a limit; a 503 when Redis does not
    /// answer.
    pub async fn admit(
        &self,
        client: Option<IpAddr>,
        email: &str,
    ) -> Result<RedisAttempt<'_>, ApiError> {
        let keys = keys(client, email);
        let mut invocation = self.admit.prepare_invoke();
        for key in &keys {
            invocation.key(format!("orders-api:login:{key}"));
        }
        for key in &keys {
            invocation.arg(key.rate(self.limits).attempts);
        }
        for key in &keys {
            let window =
                u64::try_from(key.rate(self.limits).window.as_millis()).unwrap_or(u64::MAX);
            invocation.arg(window);
        }
        let mut connection = self.manager.clone();
        let wait_ms: u64 = tokio::time::timeout(TIMEOUT, invocation.invoke_async(&mut connection))
            .await
            .map_err(unavailable)?
            .map_err(unavailable)?;
        if wait_ms > 0 {
            let retry_after = wait_ms.div_ceil(1000).max(1);
            tracing::warn!(retry_after, "login attempts throttled");
            return Err(ApiError::TooManyAttempts { retry_after });
        }
        Ok(RedisAttempt {
            throttle: self,
            keys: keys
                .iter()
                .map(|key| format!("orders-api:login:{key}"))
                .collect(),
        })
    }
}

impl RedisAttempt<'_> {
    /// The login succeeded: its attempt does not count. Best effort: a Redis
    /// that fails now only leaves the attempt counted.
    pub async fn succeeded(self) {
        let mut invocation = self.throttle.refund.prepare_invoke();
        for key in &self.keys {
            invocation.key(key);
        }
        let mut connection = self.throttle.manager.clone();
        let refunded =
            tokio::time::timeout(TIMEOUT, invocation.invoke_async::<i64>(&mut connection)).await;
        if !matches!(refunded, Ok(Ok(_))) {
            tracing::warn!("a successful login's attempt could not be given back");
        }
    }
}
