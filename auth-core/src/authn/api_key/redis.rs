//! [`RedisApiKeyStore`]: API keys shared by every instance of a service.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::redis::Script;

use crate::revocation::{RedisConnection, StoreError};
use crate::{AuthError, Scopes};

use super::{ApiKeyRecord, ApiKeyStore, SecretHash, StoredApiKey};

const COMPONENT: &str = "api key store";

/// The record's fields, in the order `find` asks for them; `list` asks for all
/// but the last.
const FIELDS: [&str; 7] = [
    "owner", "name", "scopes", "created", "expires", "used", "hash",
];

/// Adds a key. KEYS: record, owner's set. ARGV: owner, name, scopes, created
/// (ms), hash (hex), expires (ms, or empty), id. 1 when added, 0 when the id is
/// taken.
static INSERT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'name', ARGV[2], 'scopes', ARGV[3], 'created', ARGV[4], 'hash', ARGV[5])
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'expires', ARGV[6])
end
redis.call('SADD', KEYS[2], ARGV[7])
return 1
",
    )
});

/// Deletes a key if the owner owns it. KEYS: record, owner's set. ARGV: owner,
/// id. 1 when deleted, 0 when there is no such key or it is another owner's.
static REVOKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1
",
    )
});

/// Records a use, only forward, only on a record that still exists (a use racing
/// a revocation must not bring back a shell of the key). KEYS: record. ARGV: at (ms).
static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0') or 0
if tonumber(ARGV[1]) > used then
  redis.call('HSET', KEYS[1], 'used', ARGV[1])
end
return 1
",
    )
});

/// API keys in Redis, shared by every instance of a service: a key created on
/// one instance works on all of them, and a revoked one is refused by all of
/// them from the next request on, since revocation deletes the record.
///
/// Keys (all under the connection's [prefix](crate::revocation::RedisOptions::prefix)):
///
/// | key | type | content |
/// |---|---|---|
/// | `{prefix}apikey:key:{id}` | hash | `owner`, `name`, `scopes` (space-separated), `created`, `expires`, `used` (Unix ms; the last two when set), `hash` (SHA-256 of the secret, hex) |
/// | `{prefix}apikey:owner:{subject}` | set | the owner's key ids |
///
/// Records have no TTL: an expired key is refused by its `expires`, and stays
/// listed (so its owner sees it expired) until revoked. Inserting, revoking and
/// recording a use are Lua scripts; looking a key up is one `HMGET`, listing an
/// owner's keys one `SMEMBERS` and one pipeline of `HMGET`s that never read the
/// hash. Every call is bounded by the connection's timeout; any error or
/// timeout is an [`AuthError::Unavailable`] for `"api key store"` and an error
/// event, so authentication fails closed.
///
/// ```no_run
/// # async fn configure() -> Result<(), auth_core::AuthError> {
/// use auth_core::api_key::{ApiKeys, RedisApiKeyStore};
/// use auth_core::revocation::{RedisConnection, RedisOptions};
///
/// let redis = RedisConnection::connect(RedisOptions::new("redis://127.0.0.1:6379/").prefix("orders-api:")).await?;
/// let keys = ApiKeys::new(RedisApiKeyStore::new(redis));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RedisApiKeyStore {
    redis: RedisConnection,
}

impl RedisApiKeyStore {
    /// A store on `redis`.
    pub fn new(redis: RedisConnection) -> Self {
        RedisApiKeyStore { redis }
    }

    fn record_key(&self, id: &str) -> String {
        self.redis.key("apikey:key", id)
    }

    fn owner_key(&self, owner: &str) -> String {
        self.redis.key("apikey:owner", owner)
    }

    async fn list_now(&self, owner: &str) -> Result<Vec<ApiKeyRecord>, AuthError> {
        let mut con = self.redis.handle();
        let ids: Vec<String> = ::redis::cmd("SMEMBERS")
            .arg(self.owner_key(owner))
            .query_async(&mut con)
            .await
            .map_err(|error| unavailable(error.into()))?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let listed = FIELDS.get(..6).unwrap_or_default();
        let mut pipe = ::redis::pipe();
        for id in &ids {
            pipe.cmd("HMGET").arg(self.record_key(id)).arg(listed);
        }
        let rows: Vec<Vec<Option<String>>> = pipe
            .query_async(&mut con)
            .await
            .map_err(|error| unavailable(error.into()))?;
        let mut records = Vec::with_capacity(rows.len());
        for (id, row) in ids.into_iter().zip(rows) {
            // Revoked between the two round trips, or not this owner's: not listed.
            if let Some(record) = record_from(id, row.into_iter())?
                && record.owner() == owner
            {
                records.push(record);
            }
        }
        records.sort_by(|a, b| (a.created_at(), a.id()).cmp(&(b.created_at(), b.id())));
        Ok(records)
    }
}

impl ApiKeyStore for RedisApiKeyStore {
    async fn insert(&self, key: &StoredApiKey) -> Result<(), AuthError> {
        let record = key.record();
        let mut invocation = INSERT.prepare_invoke();
        invocation
            .key(self.record_key(record.id()))
            .key(self.owner_key(record.owner()))
            .arg(record.owner())
            .arg(record.name())
            .arg(record.scopes().as_str())
            .arg(millis(record.created_at()))
            .arg(hex(&key.secret_hash().to_bytes()))
            .arg(
                record
                    .expires_at()
                    .map_or_else(String::new, |at| millis(at).to_string()),
            )
            .arg(record.id());
        let mut con = self.redis.handle();
        let added: i64 = self
            .redis
            .bounded(COMPONENT, invocation.invoke_async(&mut con))
            .await?;
        if added == 1 {
            Ok(())
        } else {
            Err(unavailable(StoreError::DuplicateId))
        }
    }

    async fn find(&self, id: &str) -> Result<Option<StoredApiKey>, AuthError> {
        let mut con = self.redis.handle();
        let row: Vec<Option<String>> = self
            .redis
            .bounded(
                COMPONENT,
                ::redis::cmd("HMGET")
                    .arg(self.record_key(id))
                    .arg(FIELDS.as_slice())
                    .query_async(&mut con),
            )
            .await?;
        let mut row = row.into_iter();
        let Some(record) = record_from(id.to_owned(), row.by_ref())? else {
            return Ok(None);
        };
        let hash = row
            .next()
            .flatten()
            .as_deref()
            .and_then(from_hex)
            .ok_or_else(|| unavailable(StoreError::UnexpectedReply))?;
        Ok(Some(StoredApiKey::new(
            record,
            SecretHash::from_bytes(hash),
        )))
    }

    async fn list(&self, owner: &str) -> Result<Vec<ApiKeyRecord>, AuthError> {
        // One bound around both round trips; the inner errors are already logged
        // 503s, so only the timeout is added here.
        self.redis
            .bounded(COMPONENT, async {
                Ok::<_, ::redis::RedisError>(self.list_now(owner).await)
            })
            .await?
    }

    async fn revoke(&self, owner: &str, id: &str) -> Result<bool, AuthError> {
        let mut invocation = REVOKE.prepare_invoke();
        invocation
            .key(self.record_key(id))
            .key(self.owner_key(owner))
            .arg(owner)
            .arg(id);
        let mut con = self.redis.handle();
        let revoked: i64 = self
            .redis
            .bounded(COMPONENT, invocation.invoke_async(&mut con))
            .await?;
        Ok(revoked == 1)
    }

    async fn touch(&self, id: &str, at: SystemTime) -> Result<(), AuthError> {
        let mut invocation = TOUCH.prepare_invoke();
        invocation.key(self.record_key(id)).arg(millis(at));
        let mut con = self.redis.handle();
        let _touched: i64 = self
            .redis
            .bounded(COMPONENT, invocation.invoke_async(&mut con))
            .await?;
        Ok(())
    }
}

/// The record from the first six of [`FIELDS`]; `None` when the key does not
/// exist (no owner), a 503 when it exists but is not what this crate writes.
fn record_from(
    id: String,
    mut fields: impl Iterator<Item = Option<String>>,
) -> Result<Option<ApiKeyRecord>, AuthError> {
    let (Some(owner), Some(name), Some(scopes), Some(created), Some(expires), Some(used)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(unavailable(StoreError::UnexpectedReply));
    };
    let Some(owner) = owner else {
        return Ok(None);
    };
    let (Some(name), Some(scopes), Some(created)) = (name, scopes, created) else {
        return Err(unavailable(StoreError::UnexpectedReply));
    };
    let mut record = ApiKeyRecord::new(
        id,
        owner,
        name,
        Scopes::from_space_separated(&scopes),
        instant(&created)?,
    );
    if let Some(expires) = expires {
        record = record.with_expires_at(instant(&expires)?);
    }
    if let Some(used) = used {
        record = record.with_last_used_at(instant(&used)?);
    }
    Ok(Some(record))
}

fn millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|since| u64::try_from(since.as_millis()).ok())
        .unwrap_or(0)
}

fn instant(millis: &str) -> Result<SystemTime, AuthError> {
    millis
        .parse()
        .ok()
        .and_then(|millis| UNIX_EPOCH.checked_add(Duration::from_millis(millis)))
        .ok_or_else(|| unavailable(StoreError::UnexpectedReply))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        for nibble in [byte >> 4, byte & 0xf] {
            out.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

fn from_hex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0_u8; 32];
    if text.len() != out.len() * 2 {
        return None;
    }
    // By hand: `u8::from_str_radix` would accept a sign (`+f`).
    let nibble = |digit: u8| match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    };
    for (slot, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let &[high, low] = pair else {
            return None;
        };
        *slot = (nibble(high)? << 4) | nibble(low)?;
    }
    Some(out)
}

/// Fails closed: an error event, then a 503 (as every Redis store of the crate).
fn unavailable(error: StoreError) -> AuthError {
    crate::revocation::redis::unavailable(COMPONENT, error)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn hashes_round_trip_through_hex() {
        let bytes: [u8; 32] = std::array::from_fn(|i| u8::try_from(i * 8).unwrap());
        let text = hex(&bytes);
        assert_eq!(text.len(), 64);
        assert!(text.starts_with("0008101820"));
        assert_eq!(from_hex(&text), Some(bytes));
        assert_eq!(from_hex(&text[..62]), None);
        assert_eq!(from_hex(&text.replace('0', "g")), None);
        assert_eq!(from_hex("+f".repeat(32).as_str()), None);
        assert_eq!(from_hex(&text.to_uppercase()), None);
    }

    #[test]
    fn a_record_reads_back_or_is_refused() {
        let row = |fields: [Option<&str>; 6]| fields.map(|f| f.map(str::to_owned)).into_iter();
        let record = record_from(
            "id".into(),
            row([
                Some("u"),
                Some("n"),
                Some("a b"),
                Some("1000"),
                None,
                Some("2000"),
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(record.owner(), "u");
        assert_eq!(record.scopes().as_str(), "a b");
        assert_eq!(record.created_at(), UNIX_EPOCH + Duration::from_secs(1));
        assert_eq!(
            record.last_used_at(),
            Some(UNIX_EPOCH + Duration::from_secs(2))
        );
        assert_eq!(record.expires_at(), None);
        // No owner: no such key.
        assert!(record_from("id".into(), row([None; 6])).unwrap().is_none());
        // An owner but a broken record: a 503, not a key.
        assert!(record_from("id".into(), row([Some("u"), None, None, None, None, None])).is_err());
        assert!(
            record_from(
                "id".into(),
                row([Some("u"), Some("n"), Some(""), Some("soon"), None, None])
            )
            .is_err()
        );
    }
}
