//! [`RedisSessionStore`]: sessions shared by every instance of a service.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::redis::Script;

use super::store::NOT_AN_INTEGER;
use super::{Opened, SessionKey, SessionRecord, SessionStore};
use crate::AuthError;
use crate::revocation::RedisConnection;
use crate::revocation::StoreError;
use crate::revocation::redis::unavailable;

const COMPONENT: &str = "session store";

/// The record's fields in a session's hash, in [`SessionRecord`] order. User data
/// lives beside them under `d:<key>`, so no data key can overwrite the record.
const SUBJECT: &str = "m:sub";
const CREATED: &str = "m:created";
const SEEN: &str = "m:seen";
const ABSOLUTE: &str = "m:abs";
const CSRF: &str = "m:csrf";
const AMR: &str = "m:amr";
const ACR: &str = "m:acr";
const AUTH_TIME: &str = "m:auth";

/// Separates `amr` values in their field: a control character no method name has.
const AMR_SEPARATOR: char = '\u{1f}';

/// Files a new session, and lists it under its subject.
/// KEYS[1] the session, KEYS[2] the subject's set; ARGV[1] expiry (Unix ms),
/// ARGV[2] absolute expiry (Unix ms), ARGV[3] the session's hex key, ARGV[4..]
/// the record's fields and values. 0 if the session key is taken.
static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[3])
if redis.call('PEXPIRETIME', KEYS[2]) < tonumber(ARGV[2]) then
  redis.call('PEXPIREAT', KEYS[2], ARGV[2])
end
return 1
",
    )
});

/// Writes the last-seen instant, and the expiry, of a live session only.
/// KEYS[1] the session; ARGV[1] last seen (Unix ms), ARGV[2] expiry (Unix ms).
static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'm:seen', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
",
    )
});

/// Reads a session's record and, when it is live, marks it seen: one round trip
/// for an authenticated safe request. KEYS[1] the session; ARGV[1] now (Unix
/// ms), ARGV[2] the idle timeout (ms). Returns `{0}` for no session, `{2}` for an
/// expired one (untouched: the caller destroys it), `{1, fields..}` for a live
/// one, its fields as `HMGET` reads them before the touch. The timeouts are the
/// same comparisons as `store::is_expired`, on the same instants (Unix ms are
/// exact in Lua's doubles; the expiry is written as an integer, never in
/// exponent form).
static OPEN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local v = redis.call('HMGET', KEYS[1], 'm:sub', 'm:created', 'm:seen', 'm:abs', 'm:csrf', 'm:amr', 'm:acr', 'm:auth')
local seen = tonumber(v[3])
local absolute = tonumber(v[4])
if not v[1] or not seen or not absolute then
  return {0}
end
local now = tonumber(ARGV[1])
local idle = tonumber(ARGV[2])
if now >= absolute or now - seen >= idle then
  return {2}
end
redis.call('HSET', KEYS[1], 'm:seen', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', math.min(now + idle, absolute)))
return {1, v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]}
",
    )
});

/// Moves a session to a new key (`RENAME`: the old key is gone in the same
/// step), rewrites its record, and moves it in its subject's set.
/// KEYS[1] old, KEYS[2] new, KEYS[3] the subject's set; ARGV[1] expiry, ARGV[2]
/// absolute expiry (Unix ms), ARGV[3] old hex key, ARGV[4] new hex key, ARGV[5..]
/// the record's fields and values. 1 moved, 0 old is gone, -1 new is taken.
static ROTATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[2]) == 1 then
  return -1
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 5))
redis.call('PEXPIREAT', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
if redis.call('PEXPIRETIME', KEYS[3]) < tonumber(ARGV[2]) then
  redis.call('PEXPIREAT', KEYS[3], ARGV[2])
end
return 1
",
    )
});

/// Deletes every session in a subject's set, and the set.
/// KEYS[1] the subject's set; ARGV[1] the prefix of session keys.
static DESTROY_ALL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local deleted = 0
for _, hex in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  deleted = deleted + redis.call('DEL', ARGV[1] .. hex)
end
redis.call('DEL', KEYS[1])
return deleted
",
    )
});

/// Sets (ARGV[2] present) or deletes one field of a live session.
/// KEYS[1] the session; ARGV[1] the field, ARGV[2] the value.
static SET_FIELD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 1
",
    )
});

/// `HINCRBY` on a live session: {0} gone, {1, sum}, {2} not an integer.
/// KEYS[1] the session; ARGV[1] the field, ARGV[2] the increment.
static INCREMENT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {0}
end
local sum = redis.pcall('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if type(sum) == 'table' and sum.err then
  return {2}
end
return {1, sum}
",
    )
});

/// Sessions kept in Redis, shared by every instance of a service: a login on one
/// instance works on all, and a logout or rotation on one is a 401 on all at once.
///
/// Keys (under the connection's [prefix](crate::revocation::RedisOptions::prefix)):
///
/// | key | type | holds | expires |
/// |---|---|---|---|
/// | `{prefix}session:{sha256 of the id, hex}` | hash | the record (`m:sub`, `m:created`, `m:seen`, `m:abs`, `m:csrf`, `m:amr`, `m:acr`, `m:auth`; instants in Unix ms) and the data (`d:<key>`) | at the sooner of idle and absolute expiry, pushed back by each request |
/// | `{prefix}session-sub:{subject}` | set | the hex keys of the subject's sessions, for [`destroy_all_for`](SessionStore::destroy_all_for) | with its latest session's absolute expiry |
///
/// Each write is one command or one Lua script, atomic in Redis: `touch` writes
/// `m:seen` only, `set` one `HSET`, `increment` one `HINCRBY`, `rotate` a
/// `RENAME` (the old key is gone in the same step) and the record's fields; each
/// script first checks that the session exists, so a write never recreates a
/// session that ended. A read of the record is one `HMGET`.
///
/// Every call is bounded by the connection's timeout; an error or a timeout is an
/// [`AuthError::Unavailable`] for `"session store"` and an error event: a request
/// is never let through because Redis could not be asked. Needs Redis 7.0 or
/// later (`PEXPIRETIME`). [`destroy_all_for`](SessionStore::destroy_all_for)
/// names keys inside its script, so it needs a single Redis (not a cluster).
///
/// ```no_run
/// use auth_core::revocation::{RedisConnection, RedisOptions};
/// use auth_core::session::{RedisSessionStore, Sessions};
///
/// # async fn start() -> Result<(), Box<dyn std::error::Error>> {
/// let redis = RedisConnection::connect(RedisOptions::new("redis://127.0.0.1/").prefix("shop:")).await?;
/// let sessions = Sessions::builder(RedisSessionStore::new(redis)).cookie_name("sid").build()?;
/// # let _ = sessions;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RedisSessionStore {
    redis: RedisConnection,
}

impl RedisSessionStore {
    /// Sessions on `redis`.
    pub fn new(redis: RedisConnection) -> Self {
        RedisSessionStore { redis }
    }

    fn session_key(&self, key: &SessionKey) -> String {
        self.redis.key("session", &key.to_hex())
    }

    fn subject_key(&self, subject: &str) -> String {
        self.redis.key("session-sub", subject)
    }

    async fn invoke<T: ::redis::FromRedisValue>(
        &self,
        invocation: &::redis::ScriptInvocation<'_>,
    ) -> Result<T, AuthError> {
        let mut con = self.redis.handle();
        self.redis
            .bounded(COMPONENT, invocation.invoke_async(&mut con))
            .await
    }
}

fn millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

fn instant(millis: &str) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_millis(millis.parse().ok()?))
}

fn data_field(field: &str) -> String {
    format!("d:{field}")
}

/// The record as the hash's field/value pairs.
fn record_fields(record: &SessionRecord) -> [(&'static str, String); 8] {
    [
        (SUBJECT, record.subject.clone()),
        (CREATED, millis(record.created_at).to_string()),
        (SEEN, millis(record.last_seen_at).to_string()),
        (ABSOLUTE, millis(record.absolute_expiry).to_string()),
        (CSRF, record.csrf_token.clone()),
        (AMR, record.amr.join(&AMR_SEPARATOR.to_string())),
        (ACR, record.acr.clone().unwrap_or_default()),
        (AUTH_TIME, millis(record.auth_time).to_string()),
    ]
}

/// The record from the `HMGET` of its fields, in [`record_fields`] order; `None`
/// for a missing session, or one missing a field this crate always writes.
fn parse_record(values: Vec<Option<String>>) -> Option<SessionRecord> {
    let [subject, created, seen, absolute, csrf, amr, acr, auth_time]: [Option<String>; 8] =
        values.try_into().ok()?;
    Some(SessionRecord {
        subject: subject?,
        created_at: instant(&created?)?,
        last_seen_at: instant(&seen?)?,
        absolute_expiry: instant(&absolute?)?,
        csrf_token: csrf?,
        amr: amr?
            .split(AMR_SEPARATOR)
            .filter(|method| !method.is_empty())
            .map(str::to_owned)
            .collect(),
        acr: acr.filter(|acr| !acr.is_empty()),
        auth_time: instant(&auth_time?)?,
    })
}

impl SessionStore for RedisSessionStore {
    async fn create(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        expires_at: SystemTime,
    ) -> Result<(), AuthError> {
        let mut invocation = CREATE.prepare_invoke();
        invocation
            .key(self.session_key(key))
            .key(self.subject_key(&record.subject))
            .arg(millis(expires_at))
            .arg(millis(record.absolute_expiry))
            .arg(key.to_hex());
        for (field, value) in record_fields(record) {
            invocation.arg(field).arg(value);
        }
        match self.invoke::<i64>(&invocation).await? {
            1 => Ok(()),
            _ => Err(unavailable(COMPONENT, StoreError::DuplicateId)),
        }
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>, AuthError> {
        let mut hmget = ::redis::cmd("HMGET");
        hmget
            .arg(self.session_key(key))
            .arg(&[SUBJECT, CREATED, SEEN, ABSOLUTE, CSRF, AMR, ACR, AUTH_TIME]);
        let mut con = self.redis.handle();
        let values: Vec<Option<String>> = self
            .redis
            .bounded(COMPONENT, hmget.query_async(&mut con))
            .await?;
        if values.iter().all(Option::is_none) {
            return Ok(None);
        }
        let record = parse_record(values);
        if record.is_none() {
            // Never written by this crate: treated as no session (a 401), which
            // refuses as safely as a 503 and lets the user sign in again.
            tracing::warn!(component = COMPONENT, session = %key.handle(), "a session record is incomplete; treated as absent");
        }
        Ok(record)
    }

    /// One round trip: the `OPEN` script reads, checks and touches.
    async fn open(
        &self,
        key: &SessionKey,
        now: SystemTime,
        idle: Duration,
    ) -> Result<Opened, AuthError> {
        let mut invocation = OPEN.prepare_invoke();
        invocation
            .key(self.session_key(key))
            .arg(millis(now))
            .arg(u64::try_from(idle.as_millis()).unwrap_or(u64::MAX));
        let reply: Vec<::redis::Value> = self.invoke(&invocation).await?;
        let mut reply = reply.into_iter();
        let status: Option<i64> = reply
            .next()
            .and_then(|status| ::redis::FromRedisValue::from_redis_value(status).ok());
        match status {
            Some(1) => {
                let fields: Vec<Option<String>> = reply
                    .map(|value| {
                        ::redis::FromRedisValue::from_redis_value(value)
                            .ok()
                            .flatten()
                    })
                    .collect();
                if let Some(record) = parse_record(fields) {
                    Ok(Opened::Live(record))
                } else {
                    tracing::warn!(component = COMPONENT, session = %key.handle(), "a session record is incomplete; treated as absent");
                    Ok(Opened::Missing)
                }
            }
            Some(2) => Ok(Opened::Expired),
            Some(0) => Ok(Opened::Missing),
            _ => Err(unavailable(COMPONENT, StoreError::UnexpectedReply)),
        }
    }

    async fn touch(
        &self,
        key: &SessionKey,
        seen_at: SystemTime,
        expires_at: SystemTime,
    ) -> Result<bool, AuthError> {
        let mut invocation = TOUCH.prepare_invoke();
        invocation
            .key(self.session_key(key))
            .arg(millis(seen_at))
            .arg(millis(expires_at));
        Ok(self.invoke::<i64>(&invocation).await? == 1)
    }

    async fn rotate(
        &self,
        old: &SessionKey,
        new: &SessionKey,
        record: &SessionRecord,
        expires_at: SystemTime,
    ) -> Result<bool, AuthError> {
        let mut invocation = ROTATE.prepare_invoke();
        invocation
            .key(self.session_key(old))
            .key(self.session_key(new))
            .key(self.subject_key(&record.subject))
            .arg(millis(expires_at))
            .arg(millis(record.absolute_expiry))
            .arg(old.to_hex())
            .arg(new.to_hex());
        for (field, value) in record_fields(record) {
            invocation.arg(field).arg(value);
        }
        match self.invoke::<i64>(&invocation).await? {
            1 => Ok(true),
            0 => Ok(false),
            _ => Err(unavailable(COMPONENT, StoreError::DuplicateId)),
        }
    }

    async fn destroy(&self, key: &SessionKey) -> Result<bool, AuthError> {
        let mut con = self.redis.handle();
        let deleted: i64 = self
            .redis
            .bounded(
                COMPONENT,
                ::redis::cmd("DEL")
                    .arg(self.session_key(key))
                    .query_async(&mut con),
            )
            .await?;
        Ok(deleted > 0)
    }

    async fn destroy_all_for(&self, subject: &str) -> Result<u64, AuthError> {
        let mut invocation = DESTROY_ALL.prepare_invoke();
        invocation
            .key(self.subject_key(subject))
            .arg(self.redis.key("session", ""));
        self.invoke(&invocation).await
    }

    async fn get(&self, key: &SessionKey, field: &str) -> Result<Option<String>, AuthError> {
        let mut con = self.redis.handle();
        self.redis
            .bounded(
                COMPONENT,
                ::redis::cmd("HGET")
                    .arg(self.session_key(key))
                    .arg(data_field(field))
                    .query_async(&mut con),
            )
            .await
    }

    async fn set(&self, key: &SessionKey, field: &str, value: &str) -> Result<bool, AuthError> {
        let mut invocation = SET_FIELD.prepare_invoke();
        invocation
            .key(self.session_key(key))
            .arg(data_field(field))
            .arg(value);
        Ok(self.invoke::<i64>(&invocation).await? == 1)
    }

    async fn remove(&self, key: &SessionKey, field: &str) -> Result<bool, AuthError> {
        let mut invocation = SET_FIELD.prepare_invoke();
        invocation.key(self.session_key(key)).arg(data_field(field));
        Ok(self.invoke::<i64>(&invocation).await? == 1)
    }

    async fn increment(
        &self,
        key: &SessionKey,
        field: &str,
        by: i64,
    ) -> Result<Option<i64>, AuthError> {
        let mut invocation = INCREMENT.prepare_invoke();
        invocation
            .key(self.session_key(key))
            .arg(data_field(field))
            .arg(by);
        let reply: Vec<i64> = self.invoke(&invocation).await?;
        match reply.as_slice() {
            [0] => Ok(None),
            [1, sum] => Ok(Some(*sum)),
            [2] => Err(NOT_AN_INTEGER),
            _ => Err(unavailable(COMPONENT, StoreError::UnexpectedReply)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let at = |ms| UNIX_EPOCH + Duration::from_millis(ms);
        let record = SessionRecord {
            subject: "user-1".to_owned(),
            created_at: at(1),
            last_seen_at: at(2),
            absolute_expiry: at(3),
            csrf_token: "t".to_owned(),
            amr: vec!["pwd".to_owned(), "otp".to_owned()],
            acr: Some("mfa".to_owned()),
            auth_time: at(4),
        };
        let values = record_fields(&record)
            .map(|(_, value)| Some(value))
            .to_vec();
        assert_eq!(parse_record(values), Some(record.clone()));
        let without_acr = SessionRecord {
            acr: None,
            amr: Vec::new(),
            ..record.clone()
        };
        let values = record_fields(&without_acr)
            .map(|(_, value)| Some(value))
            .to_vec();
        assert_eq!(parse_record(values), Some(without_acr));
        // A field missing, or not a number where one is due: no record.
        let mut values = record_fields(&record)
            .map(|(_, value)| Some(value))
            .to_vec();
        values[1] = Some("soon".to_owned());
        assert_eq!(parse_record(values), None);
        assert_eq!(parse_record(vec![Some("x".to_owned())]), None);
    }
}
