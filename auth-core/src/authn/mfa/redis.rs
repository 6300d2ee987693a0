//! [`RedisTotpStore`]: TOTP state shared by every instance of a service.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use ::redis::Script;

use crate::AuthError;
use crate::revocation::{RedisConnection, StoreError};

use super::store::{Acceptance, ActiveFactor, Admission, AttemptLimit, TotpRecord, TotpStore};
use super::{LOG_TARGET, TotpSecret};

const COMPONENT: &str = "totp store";

/// Counts an attempt unless the account used up its attempts; returns the record.
/// KEYS[1] attempts, KEYS[2] factor (hash: secret, step), KEYS[3] pending;
/// ARGV[1] the limit, ARGV[2] the window (ms).
/// Returns {'throttled', pttl} or {'admitted', secret, step, pending} ('' for none).
static ADMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local factor = redis.call('HMGET', KEYS[2], 'secret', 'step')
local pending = redis.call('GET', KEYS[3])
local record = {'admitted', factor[1] or '', factor[2] or '', pending or ''}
if not factor[1] and not pending then
  return record
end
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return {'throttled', tostring(ttl)}
end
redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return record
",
    )
});

/// Compare-and-set of the last accepted step.
/// KEYS[1] factor, KEYS[2] attempts; ARGV[1] the secret checked, ARGV[2] the step.
/// Returns 1 accepted, -1 replayed (step at or before the last), 0 replaced.
static ACCEPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local factor = redis.call('HMGET', KEYS[1], 'secret', 'step')
if factor[1] ~= ARGV[1] then
  return 0
end
if factor[2] and tonumber(factor[2]) >= tonumber(ARGV[2]) then
  return -1
end
redis.call('HSET', KEYS[1], 'step', ARGV[2])
redis.call('DEL', KEYS[2])
return 1
",
    )
});

/// Makes the pending secret the factor, if it still is the one confirmed.
/// KEYS[1] pending, KEYS[2] factor, KEYS[3] attempts; ARGV[1] secret, ARGV[2] step.
static ACTIVATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[2], KEYS[1], KEYS[3])
redis.call('HSET', KEYS[2], 'secret', ARGV[1], 'step', ARGV[2])
return 1
",
    )
});

/// TOTP state in Redis, shared by every instance of a service.
///
/// Keys (all under the connection's [prefix](crate::revocation::RedisOptions::prefix)):
///
/// | key | value | expires |
/// |---|---|---|
/// | `{prefix}totp:factor:{subject}` | hash: `secret` (base32), `step` (last accepted time step) | never; [`remove`](TotpStore::remove) deletes it |
/// | `{prefix}totp:pending:{subject}` | the pending secret, base32 | the enrolment TTL |
/// | `{prefix}totp:attempts:{subject}` | attempts counted in the window | the window, from its first attempt |
///
/// Counting an attempt (`INCR`, and `PEXPIRE` on the first) and accepting a code
/// (compare-and-set of `step`) are Lua scripts, so two instances can never both
/// accept one code, nor together exceed the attempt limit. Windows and expiry
/// run on Redis's clock. Every call is bounded by the connection's timeout;
/// any error or timeout is an [`AuthError::Unavailable`] for `"totp store"` and
/// an error event: a code is never accepted because Redis could not be asked.
///
/// Secrets are stored in the clear: restrict who can read these keys (Redis ACLs
/// on the prefix), use TLS (`rediss://`), and keep persistence files private.
///
/// ```no_run
/// # async fn configure() -> Result<(), auth_core::AuthError> {
/// use auth_core::mfa::{RedisTotpStore, Totp};
/// use auth_core::revocation::{RedisConnection, RedisOptions};
///
/// let redis = RedisConnection::connect(RedisOptions::new("redis://127.0.0.1:6379/")).await?;
/// let totp = Totp::builder("Orders", RedisTotpStore::new(redis)).build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RedisTotpStore {
    redis: RedisConnection,
}

impl RedisTotpStore {
    /// A store on `redis` (a connection the revocation stores may share).
    pub fn new(redis: RedisConnection) -> Self {
        RedisTotpStore { redis }
    }

    fn factor_key(&self, subject: &str) -> String {
        self.redis.key("totp:factor", subject)
    }

    fn pending_key(&self, subject: &str) -> String {
        self.redis.key("totp:pending", subject)
    }

    fn attempts_key(&self, subject: &str) -> String {
        self.redis.key("totp:attempts", subject)
    }

    /// The record from the stored strings ('' for absent).
    fn record(secret: &str, step: &str, pending: &str) -> Result<TotpRecord, AuthError> {
        let active = if secret.is_empty() {
            None
        } else {
            let last_step = if step.is_empty() {
                None
            } else {
                Some(step.parse::<u64>().map_err(|_| unexpected())?)
            };
            Some(ActiveFactor {
                secret: TotpSecret::from_base32(secret).ok_or_else(unexpected)?,
                last_step,
            })
        };
        let pending = if pending.is_empty() {
            None
        } else {
            Some(TotpSecret::from_base32(pending).ok_or_else(unexpected)?)
        };
        Ok(TotpRecord { active, pending })
    }
}

/// Redis holds something this crate never writes: fail closed.
fn unexpected() -> AuthError {
    tracing::error!(target: LOG_TARGET, component = COMPONENT, "unexpected value in redis; failing closed");
    AuthError::unavailable(COMPONENT, StoreError::UnexpectedReply)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl TotpStore for RedisTotpStore {
    async fn admit(
        &self,
        subject: &str,
        limit: AttemptLimit,
        _now: SystemTime,
    ) -> Result<Admission, AuthError> {
        let mut invocation = ADMIT.prepare_invoke();
        invocation
            .key(self.attempts_key(subject))
            .key(self.factor_key(subject))
            .key(self.pending_key(subject))
            .arg(limit.max())
            .arg(millis(limit.window()));
        let mut con = self.redis.handle();
        let reply: Vec<String> = self
            .redis
            .bounded(COMPONENT, invocation.invoke_async(&mut con))
            .await?;
        match reply.as_slice() {
            [verdict, ttl] if verdict == "throttled" => {
                let ttl: u64 = ttl.parse().map_err(|_| unexpected())?;
                Ok(Admission::Throttled {
                    retry_after: Duration::from_millis(ttl),
                })
            }
            [verdict, secret, step, pending] if verdict == "admitted" => {
                Self::record(secret, step, pending).map(Admission::Admitted)
            }
            _ => Err(unexpected()),
        }
    }

    async fn load(&self, subject: &str, _now: SystemTime) -> Result<TotpRecord, AuthError> {
        let mut pipe = ::redis::pipe();
        pipe.cmd("HMGET")
            .arg(self.factor_key(subject))
            .arg("secret")
            .arg("step")
            .cmd("GET")
            .arg(self.pending_key(subject));
        let mut con = self.redis.handle();
        let ((secret, step), pending): ((Option<String>, Option<String>), Option<String>) = self
            .redis
            .bounded(COMPONENT, pipe.query_async(&mut con))
            .await?;
        Self::record(
            secret.as_deref().unwrap_or(""),
            step.as_deref().unwrap_or(""),
            pending.as_deref().unwrap_or(""),
        )
    }

    async fn put_pending(
        &self,
        subject: &str,
        secret: &TotpSecret,
        ttl: Duration,
        _now: SystemTime,
    ) -> Result<(), AuthError> {
        let mut set = ::redis::cmd("SET");
        set.arg(self.pending_key(subject))
            .arg(secret.to_base32())
            .arg("PX")
            .arg(millis(ttl));
        let mut con = self.redis.handle();
        let () = self
            .redis
            .bounded(COMPONENT, set.query_async(&mut con))
            .await?;
        Ok(())
    }

    async fn accept(
        &self,
        subject: &str,
        secret: &TotpSecret,
        step: u64,
    ) -> Result<Acceptance, AuthError> {
        let mut invocation = ACCEPT.prepare_invoke();
        invocation
            .key(self.factor_key(subject))
            .key(self.attempts_key(subject))
            .arg(secret.to_base32())
            .arg(step);
        let mut con = self.redis.handle();
        let verdict: i64 = self
            .redis
            .bounded(COMPONENT, invocation.invoke_async(&mut con))
            .await?;
        match verdict {
            1 => Ok(Acceptance::Accepted),
            -1 => Ok(Acceptance::Replayed),
            0 => Ok(Acceptance::Replaced),
            _ => Err(unexpected()),
        }
    }

    async fn activate(
        &self,
        subject: &str,
        secret: &TotpSecret,
        step: u64,
    ) -> Result<bool, AuthError> {
        let mut invocation = ACTIVATE.prepare_invoke();
        invocation
            .key(self.pending_key(subject))
            .key(self.factor_key(subject))
            .key(self.attempts_key(subject))
            .arg(secret.to_base32())
            .arg(step);
        let mut con = self.redis.handle();
        let activated: i64 = self
            .redis
            .bounded(COMPONENT, invocation.invoke_async(&mut con))
            .await?;
        Ok(activated == 1)
    }

    async fn remove(&self, subject: &str) -> Result<(), AuthError> {
        let mut del = ::redis::cmd("DEL");
        del.arg(self.factor_key(subject))
            .arg(self.pending_key(subject))
            .arg(self.attempts_key(subject));
        let mut con = self.redis.handle();
        let _removed: i64 = self
            .redis
            .bounded(COMPONENT, del.query_async(&mut con))
            .await?;
        Ok(())
    }
}
