//! [`RedisRefreshStore`]: refresh-token families shared by every instance.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use ::redis::Script;

use crate::revocation::Cutoff;
use crate::revocation::StoreError;
use crate::revocation::cutoff::{from_unix_millis, unix_millis};
use crate::revocation::redis::{RedisConnection, unavailable};
use crate::{AuthError, Scopes};

use super::{RefreshFamily, RefreshStore, Rotation, report_reuse};

const COMPONENT: &str = "refresh token store";

/// Starts a family. KEYS: token, family. ARGV: family id, subject,
/// authenticated at (ms), expires at (ms), token id, subject cutoff at the login
/// (ms, or empty for none), scope (`-` for none, else `+` and the scope). 1 when
/// created, 0 when an id is taken.
static REGISTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('HSET', KEYS[2], 'sub', ARGV[2], 'auth', ARGV[3], 'exp', ARGV[4], 'cur', ARGV[5], 'revoked', '0', 'cut', ARGV[6], 'scp', ARGV[7])
redis.call('PEXPIREAT', KEYS[2], ARGV[4])
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[4])
return 1
",
    )
});

/// Rotates, retries within the grace window, or detects reuse. KEYS: old token,
/// new token, family. ARGV: family id, old token id, new token id, grace (ms).
/// Returns `{outcome, subject, auth, exp, cut, scp}` (`cut` empty and `scp` `-`
/// for a family registered without them, as earlier versions did) or `{outcome}`
/// for `unknown` and `duplicate`.
///
/// The window is measured on Redis's clock (`TIME`), from when the rotation ran:
/// one clock for every instance, and a rotation that ran late (after a stall)
/// opens its window late too. `prev` is the used-up token, `prevx` the end of its
/// window (ms); a retry changes neither.
static ROTATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return {'unknown'}
end
local f = redis.call('HMGET', KEYS[3], 'sub', 'auth', 'exp', 'cur', 'revoked', 'cut', 'scp', 'prev', 'prevx')
if not f[1] or not f[2] or not f[3] or not f[4] then
  return {'unknown'}
end
local cut = f[6] or ''
local scp = f[7] or '-'
if f[5] == '1' then
  return {'revoked', f[1], f[2], f[3], cut, scp}
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local outcome
if f[4] == ARGV[2] then
  outcome = 'rotated'
elseif f[8] == ARGV[2] and now < (tonumber(f[9] or '') or 0) then
  outcome = 'retried'
else
  redis.call('HSET', KEYS[3], 'revoked', '1')
  return {'reused', f[1], f[2], f[3], cut, scp}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'duplicate'}
end
if outcome == 'rotated' then
  redis.call('HSET', KEYS[3], 'cur', ARGV[3], 'prev', ARGV[2], 'prevx', string.format('%.0f', now + tonumber(ARGV[4])))
else
  redis.call('HSET', KEYS[3], 'cur', ARGV[3])
end
redis.call('SET', KEYS[2], ARGV[1], 'PXAT', f[3])
return {outcome, f[1], f[2], f[3], cut, scp}
",
    )
});

/// Revokes a family that exists; creates nothing. KEYS: family.
static REVOKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'revoked', '1')
  return 1
end
return 0
",
    )
});

/// Refresh-token families kept in Redis, shared by every instance of a service.
///
/// Keys (under the connection's [prefix](crate::revocation::RedisOptions::prefix)),
/// all expiring with the family:
///
/// | key | value |
/// |---|---|
/// | `{prefix}refresh:family:{family id}` | hash: `sub`, `auth` and `exp` (Unix ms), `cur` (current token id), `revoked`, `cut` (the subject's [`Cutoff`] at the login, or empty), `scp` (`+` and the scope granted at the login), `prev` and `prevx` (the token the last rotation used up, and the end of its [grace window](super#a-retry-after-an-outage-the-grace-window) on Redis's clock, Unix ms) |
/// | `{prefix}refresh:token:{token id}` | the family id, for every token the family ever had |
///
/// Every change runs in a Lua script, so it is atomic against every other
/// instance: of two rotations of the same token, one rotates and the other is a
/// reuse. A rotation is two round trips (find the token's family, then the
/// script, which re-checks the link), both within the one timeout: scripts name
/// every key they touch, as Redis requires. Errors and timeouts are an
/// [`AuthError::Unavailable`] for `"refresh token store"` and an error event.
#[derive(Debug, Clone)]
pub struct RedisRefreshStore {
    redis: RedisConnection,
}

impl RedisRefreshStore {
    /// A store on `redis`.
    pub fn new(redis: RedisConnection) -> Self {
        RedisRefreshStore { redis }
    }

    fn token_key(&self, token_id: &str) -> String {
        self.redis.key("refresh:token", token_id)
    }

    fn family_key(&self, family_id: &str) -> String {
        self.redis.key("refresh:family", family_id)
    }

    async fn rotate_now(
        &self,
        old_token_id: &str,
        new_token_id: &str,
        grace: Duration,
    ) -> Result<Rotation, AuthError> {
        let old_key = self.token_key(old_token_id);
        let mut con = self.redis.handle();
        let family_id: Option<String> = ::redis::cmd("GET")
            .arg(&old_key)
            .query_async(&mut con)
            .await
            .map_err(|e| unavailable(COMPONENT, e.into()))?;
        let Some(family_id) = family_id else {
            return Ok(Rotation::Unknown);
        };
        let mut invocation = ROTATE.prepare_invoke();
        invocation
            .key(&old_key)
            .key(self.token_key(new_token_id))
            .key(self.family_key(&family_id))
            .arg(&family_id)
            .arg(old_token_id)
            .arg(new_token_id)
            .arg(u64::try_from(grace.as_millis()).unwrap_or(u64::MAX));
        let reply: Vec<String> = invocation
            .invoke_async(&mut con)
            .await
            .map_err(|e| unavailable(COMPONENT, e.into()))?;
        let mut reply = reply.into_iter();
        let outcome = reply.next().unwrap_or_default();
        let mut family = || -> Result<RefreshFamily, AuthError> {
            let (Some(subject), Some(auth), Some(exp), Some(cut), Some(scope)) = (
                reply.next(),
                reply.next(),
                reply.next(),
                reply.next(),
                reply.next(),
            ) else {
                return Err(unexpected());
            };
            let mut family =
                RefreshFamily::new(family_id.as_str(), subject, millis(&auth)?, millis(&exp)?);
            if !cut.is_empty() {
                let cut = cut.parse().map_err(|_| unexpected())?;
                family = family.with_cutoff(Cutoff::from_millis(cut));
            }
            match scope.split_at_checked(1) {
                Some(("+", granted)) => {
                    Ok(family.with_scope(Scopes::from_space_separated(granted)))
                }
                Some(("-", "")) => Ok(family),
                _ => Err(unexpected()),
            }
        };
        match outcome.as_str() {
            "unknown" => Ok(Rotation::Unknown),
            "duplicate" => Err(unavailable(COMPONENT, StoreError::DuplicateId)),
            "rotated" => Ok(Rotation::Rotated(family()?)),
            "retried" => Ok(Rotation::Retried(family()?)),
            "revoked" => Ok(Rotation::Revoked(family()?)),
            "reused" => {
                let family = family()?;
                report_reuse(&family);
                Ok(Rotation::Reused(family))
            }
            _ => Err(unexpected()),
        }
    }
}

fn unexpected() -> AuthError {
    unavailable(COMPONENT, StoreError::UnexpectedReply)
}

fn millis(value: &str) -> Result<SystemTime, AuthError> {
    value
        .parse()
        .ok()
        .and_then(from_unix_millis)
        .ok_or_else(unexpected)
}

impl RefreshStore for RedisRefreshStore {
    async fn register(&self, family: &RefreshFamily, token_id: &str) -> Result<(), AuthError> {
        if family.expires_at <= SystemTime::now() {
            return Ok(());
        }
        let mut invocation = REGISTER.prepare_invoke();
        invocation
            .key(self.token_key(token_id))
            .key(self.family_key(&family.id))
            .arg(&family.id)
            .arg(&family.subject)
            .arg(unix_millis(family.authenticated_at).unwrap_or(0))
            .arg(unix_millis(family.expires_at).unwrap_or(u64::MAX))
            .arg(token_id)
            .arg(
                family
                    .cutoff
                    .map(Cutoff::as_millis)
                    .map_or_else(String::new, |c| c.to_string()),
            )
            .arg(
                family
                    .scope
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |scope| format!("+{}", scope.as_str())),
            );
        let mut con = self.redis.handle();
        let created: i64 = self
            .redis
            .bounded(COMPONENT, invocation.invoke_async(&mut con))
            .await?;
        if created == 1 {
            Ok(())
        } else {
            Err(unavailable(COMPONENT, StoreError::DuplicateId))
        }
    }

    async fn rotate(
        &self,
        old_token_id: &str,
        new_token_id: &str,
        grace: Duration,
    ) -> Result<Rotation, AuthError> {
        // One bound around both round trips; the inner errors are already logged
        // 503s, so only the timeout is added here.
        self.redis
            .bounded(COMPONENT, async {
                Ok::<_, ::redis::RedisError>(
                    self.rotate_now(old_token_id, new_token_id, grace).await,
                )
            })
            .await?
    }

    async fn revoke_family(&self, family_id: &str) -> Result<(), AuthError> {
        let mut invocation = REVOKE.prepare_invoke();
        invocation.key(self.family_key(family_id));
        let mut con = self.redis.handle();
        let _revoked: i64 = self
            .redis
            .bounded(COMPONENT, invocation.invoke_async(&mut con))
            .await?;
        Ok(())
    }
}
