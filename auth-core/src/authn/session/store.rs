//! [`SessionStore`]: where sessions live, and the [`SessionRecord`] it keeps.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::SessionKey;
use crate::AuthError;

/// What the server knows about a session, besides its data: who, since when, until
/// when, how they signed in, and the CSRF token.
///
/// A store keeps it with the session's data (string keys to string values) under
/// the [`SessionKey`]; it never holds the id itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Who signed in: the subject [`LoadUser`](crate::LoadUser) reloads the user by.
    pub subject: String,
    /// When the session was made (at login; a rotation keeps it).
    pub created_at: SystemTime,
    /// When the session was last used by an authenticated request: the start of
    /// the idle timeout.
    pub last_seen_at: SystemTime,
    /// When the session ends whatever its use: `created_at` plus the absolute
    /// timeout. A rotation keeps it.
    pub absolute_expiry: SystemTime,
    /// The synchronizer CSRF token unsafe requests must send.
    pub csrf_token: String,
    /// Authentication methods (`amr`, RFC 8176), e.g. `["pwd", "otp"]`.
    pub amr: Vec<String>,
    /// The authentication context class (`acr`), if one was stated.
    pub acr: Option<String>,
    /// When the user last actively authenticated (login, step-up).
    pub auth_time: SystemTime,
}

/// What [`SessionStore::open`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Opened {
    /// No such session (never made, logged out, rotated away, forgotten).
    Missing,
    /// The session is past its idle or absolute timeout; it was not touched.
    Expired,
    /// The session is live, and is now marked seen: its record as it was before.
    Live(SessionRecord),
}

/// Whether `record` is past its absolute expiry, or unused for `idle` or more, at
/// `now`.
pub(crate) fn is_expired(record: &SessionRecord, now: SystemTime, idle: Duration) -> bool {
    now >= record.absolute_expiry
        || now
            .duration_since(record.last_seen_at)
            .is_ok_and(|unused| unused >= idle)
}

/// When a session used at `now` ends if unused: `idle` from now, or its absolute
/// expiry if sooner.
pub(crate) fn expiry(record: &SessionRecord, now: SystemTime, idle: Duration) -> SystemTime {
    now.checked_add(idle)
        .map_or(record.absolute_expiry, |idle| {
            idle.min(record.absolute_expiry)
        })
}

/// Where sessions live: a record and per-key data under each [`SessionKey`].
///
/// Every method is one atomic operation on the store, and no method writes a
/// whole session back: [`touch`](Self::touch) writes the last-seen instant only,
/// [`set`](Self::set) one data key, [`increment`](Self::increment) one counter,
/// [`rotate`](Self::rotate) moves the session to a new key in one step. So two
/// requests on one session never undo each other's writes (the lost update of
/// session middlewares that load a blob, change it and save it whole).
///
/// Writes on a session that is gone (destroyed, rotated away, expired) change
/// nothing and say so (`false` or `None`): they never bring back a stub of it.
///
/// Every method fails closed: a store that cannot answer returns
/// [`AuthError::Unavailable`], never a made-up answer. `expires_at` arguments are
/// when the store may forget the session by itself (a Redis TTL); the
/// [`SessionAuthenticator`](super::SessionAuthenticator) checks the timeouts
/// itself as well, with its own clock.
///
/// [`MemorySessionStore`](super::MemorySessionStore) keeps sessions in the
/// process; [`RedisSessionStore`](super::RedisSessionStore) (feature `redis`)
/// shares them between the instances of a service.
pub trait SessionStore: Send + Sync {
    /// Files a new session under `key`, without data, to be forgotten after
    /// `expires_at`.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer, or when `key` is
    /// already taken (which 256 random bits make a broken random number generator).
    fn create(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        expires_at: SystemTime,
    ) -> impl Future<Output = Result<(), AuthError>> + Send;

    /// The record of the session filed under `key`, if there is one.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer.
    fn load(
        &self,
        key: &SessionKey,
    ) -> impl Future<Output = Result<Option<SessionRecord>, AuthError>> + Send;

    /// Sets the session's `last_seen_at` to `seen_at` (and nothing else), to be
    /// forgotten after `expires_at` now. `false` if the session is gone.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer.
    fn touch(
        &self,
        key: &SessionKey,
        seen_at: SystemTime,
        expires_at: SystemTime,
    ) -> impl Future<Output = Result<bool, AuthError>> + Send;

    /// Moves the session from `old` to `new` in one atomic step, its data carried
    /// over, its record replaced by `record`: after it, `old` names nothing.
    /// `false` (and nothing changed) if `old` is gone, e.g. rotated by a
    /// concurrent request.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer, or `new` is taken.
    fn rotate(
        &self,
        old: &SessionKey,
        new: &SessionKey,
        record: &SessionRecord,
        expires_at: SystemTime,
    ) -> impl Future<Output = Result<bool, AuthError>> + Send;

    /// Deletes the session and its data. `false` if there was none.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer.
    fn destroy(&self, key: &SessionKey) -> impl Future<Output = Result<bool, AuthError>> + Send;

    /// Deletes every session of `subject` ("sign out everywhere", a password
    /// change, a disabled account), returning how many it deleted.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer.
    fn destroy_all_for(&self, subject: &str)
    -> impl Future<Output = Result<u64, AuthError>> + Send;

    /// The value of data key `field`; `None` if unset or if the session is gone.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer.
    fn get(
        &self,
        key: &SessionKey,
        field: &str,
    ) -> impl Future<Output = Result<Option<String>, AuthError>> + Send;

    /// Sets data key `field` to `value`, touching no other key. `false` if the
    /// session is gone.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer.
    fn set(
        &self,
        key: &SessionKey,
        field: &str,
        value: &str,
    ) -> impl Future<Output = Result<bool, AuthError>> + Send;

    /// Removes data key `field`. `false` if the session is gone.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer.
    fn remove(
        &self,
        key: &SessionKey,
        field: &str,
    ) -> impl Future<Output = Result<bool, AuthError>> + Send;

    /// Adds `by` to the integer in data key `field` (an unset key counts as 0)
    /// atomically, and returns the sum; `None` if the session is gone.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer;
    /// [`AuthError::Misconfigured`] when `field` holds something other than an
    /// integer, or the sum overflows an `i64`.
    fn increment(
        &self,
        key: &SessionKey,
        field: &str,
        by: i64,
    ) -> impl Future<Output = Result<Option<i64>, AuthError>> + Send;

    /// Loads the record of `key` and, when it is live at `now` (before its
    /// absolute expiry, and seen less than `idle` ago), marks it seen at `now`
    /// with the expiry `min(now + idle, absolute expiry)`: what an authenticated
    /// safe request (a `GET`) does to its session. An expired session is left as
    /// it is (the caller destroys it).
    ///
    /// The default is [`load`](Self::load) then [`touch`](Self::touch): two
    /// calls. A store that can do it in one should: [`RedisSessionStore`](super::RedisSessionStore)
    /// does it in one round trip.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer.
    fn open(
        &self,
        key: &SessionKey,
        now: SystemTime,
        idle: Duration,
    ) -> impl Future<Output = Result<Opened, AuthError>> + Send {
        async move {
            let Some(record) = self.load(key).await? else {
                return Ok(Opened::Missing);
            };
            if is_expired(&record, now, idle) {
                return Ok(Opened::Expired);
            }
            if self.touch(key, now, expiry(&record, now, idle)).await? {
                Ok(Opened::Live(record))
            } else {
                Ok(Opened::Missing)
            }
        }
    }
}

/// The error of an increment on a key that does not hold an integer.
pub(crate) const NOT_AN_INTEGER: AuthError = AuthError::misconfigured(
    "a session data key incremented holds something other than an integer, or the sum overflows",
);

macro_rules! forward_store {
    ($($wrapper:ty),*) => {$(
        impl<T: SessionStore + ?Sized> SessionStore for $wrapper {
            fn create(&self, key: &SessionKey, record: &SessionRecord, expires_at: SystemTime) -> impl Future<Output = Result<(), AuthError>> + Send {
                (**self).create(key, record, expires_at)
            }
            fn load(&self, key: &SessionKey) -> impl Future<Output = Result<Option<SessionRecord>, AuthError>> + Send {
                (**self).load(key)
            }
            fn touch(&self, key: &SessionKey, seen_at: SystemTime, expires_at: SystemTime) -> impl Future<Output = Result<bool, AuthError>> + Send {
                (**self).touch(key, seen_at, expires_at)
            }
            fn rotate(&self, old: &SessionKey, new: &SessionKey, record: &SessionRecord, expires_at: SystemTime) -> impl Future<Output = Result<bool, AuthError>> + Send {
                (**self).rotate(old, new, record, expires_at)
            }
            fn destroy(&self, key: &SessionKey) -> impl Future<Output = Result<bool, AuthError>> + Send {
                (**self).destroy(key)
            }
            fn destroy_all_for(&self, subject: &str) -> impl Future<Output = Result<u64, AuthError>> + Send {
                (**self).destroy_all_for(subject)
            }
            fn get(&self, key: &SessionKey, field: &str) -> impl Future<Output = Result<Option<String>, AuthError>> + Send {
                (**self).get(key, field)
            }
            fn set(&self, key: &SessionKey, field: &str, value: &str) -> impl Future<Output = Result<bool, AuthError>> + Send {
                (**self).set(key, field, value)
            }
            fn remove(&self, key: &SessionKey, field: &str) -> impl Future<Output = Result<bool, AuthError>> + Send {
                (**self).remove(key, field)
            }
            fn increment(&self, key: &SessionKey, field: &str, by: i64) -> impl Future<Output = Result<Option<i64>, AuthError>> + Send {
                (**self).increment(key, field, by)
            }
            fn open(&self, key: &SessionKey, now: SystemTime, idle: Duration) -> impl Future<Output = Result<Opened, AuthError>> + Send {
                (**self).open(key, now, idle)
            }
        }
    )*};
}

forward_store!(&T, Box<T>, Arc<T>);
