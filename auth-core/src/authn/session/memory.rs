//! [`MemorySessionStore`]: sessions in this process, behind one lock per operation.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use super::store::NOT_AN_INTEGER;
use super::{SessionKey, SessionRecord, SessionStore};
use crate::AuthError;

/// Sessions kept in this process: for a single instance, development and tests.
///
/// Every operation takes the store's lock once and does its whole job under it,
/// so each is atomic: concurrent writes to different keys of one session all
/// land, and a rotation leaves no moment when both ids, or neither, work.
/// Sessions past their `expires_at` are swept out as new ones are made (and the
/// authenticator deletes an expired session it meets), so memory stays bounded
/// by the sessions alive in one absolute timeout.
///
/// Sessions do not survive a restart, and other instances do not see them: a
/// service with more than one instance needs
/// [`RedisSessionStore`](super::RedisSessionStore) (feature `redis`).
///
/// ```
/// use auth_core::session::{MemorySessionStore, Sessions};
///
/// let sessions = Sessions::builder(MemorySessionStore::new()).cookie_name("sid").build()?;
/// # Ok::<(), auth_core::session::ConfigError>(())
/// ```
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<SessionKey, Entry, foldhash::fast::RandomState>,
    /// Creations since the last sweep.
    since_sweep: usize,
}

#[derive(Debug)]
struct Entry {
    record: SessionRecord,
    expires_at: SystemTime,
    data: HashMap<String, String, foldhash::fast::RandomState>,
}

impl MemorySessionStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many sessions the store holds, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Whether the store holds no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lock. A panic while holding it cannot leave a session half-written
    /// (each operation's writes are single assignments), so a poisoned lock is
    /// still used: sessions keep working after a panic elsewhere.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// Drops sessions whose `expires_at` passed, once the creations since the last
    /// sweep reach half the sessions held: amortized constant time per login.
    fn sweep(&mut self, now: SystemTime) {
        self.since_sweep += 1;
        if self.since_sweep < self.sessions.len() / 2 + 64 {
            return;
        }
        self.since_sweep = 0;
        self.sessions.retain(|_, entry| entry.expires_at > now);
    }
}

impl SessionStore for MemorySessionStore {
    async fn create(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
        expires_at: SystemTime,
    ) -> Result<(), AuthError> {
        let mut state = self.lock();
        state.sweep(record.created_at);
        if state.sessions.contains_key(key) {
            return Err(AuthError::unavailable(
                "session store",
                "a new session id is already in use: the random number generator is broken",
            ));
        }
        state.sessions.insert(
            *key,
            Entry {
                record: record.clone(),
                expires_at,
                data: HashMap::default(),
            },
        );
        Ok(())
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>, AuthError> {
        Ok(self
            .lock()
            .sessions
            .get(key)
            .map(|entry| entry.record.clone()))
    }

    async fn touch(
        &self,
        key: &SessionKey,
        seen_at: SystemTime,
        expires_at: SystemTime,
    ) -> Result<bool, AuthError> {
        Ok(match self.lock().sessions.get_mut(key) {
            Some(entry) => {
                entry.record.last_seen_at = seen_at;
                entry.expires_at = expires_at;
                true
            }
            None => false,
        })
    }

    async fn rotate(
        &self,
        old: &SessionKey,
        new: &SessionKey,
        record: &SessionRecord,
        expires_at: SystemTime,
    ) -> Result<bool, AuthError> {
        let mut state = self.lock();
        if state.sessions.contains_key(new) {
            return Err(AuthError::unavailable(
                "session store",
                "a new session id is already in use: the random number generator is broken",
            ));
        }
        let Some(mut entry) = state.sessions.remove(old) else {
            return Ok(false);
        };
        entry.record = record.clone();
        entry.expires_at = expires_at;
        state.sessions.insert(*new, entry);
        Ok(true)
    }

    async fn destroy(&self, key: &SessionKey) -> Result<bool, AuthError> {
        Ok(self.lock().sessions.remove(key).is_some())
    }

    async fn destroy_all_for(&self, subject: &str) -> Result<u64, AuthError> {
        let mut state = self.lock();
        let before = state.sessions.len();
        state
            .sessions
            .retain(|_, entry| entry.record.subject != subject);
        Ok(u64::try_from(before - state.sessions.len()).unwrap_or(u64::MAX))
    }

    async fn get(&self, key: &SessionKey, field: &str) -> Result<Option<String>, AuthError> {
        Ok(self
            .lock()
            .sessions
            .get(key)
            .and_then(|entry| entry.data.get(field).cloned()))
    }

    async fn set(&self, key: &SessionKey, field: &str, value: &str) -> Result<bool, AuthError> {
        Ok(match self.lock().sessions.get_mut(key) {
            Some(entry) => {
                entry.data.insert(field.to_owned(), value.to_owned());
                true
            }
            None => false,
        })
    }

    async fn remove(&self, key: &SessionKey, field: &str) -> Result<bool, AuthError> {
        Ok(match self.lock().sessions.get_mut(key) {
            Some(entry) => {
                entry.data.remove(field);
                true
            }
            None => false,
        })
    }

    async fn increment(
        &self,
        key: &SessionKey,
        field: &str,
        by: i64,
    ) -> Result<Option<i64>, AuthError> {
        let mut state = self.lock();
        let Some(entry) = state.sessions.get_mut(key) else {
            return Ok(None);
        };
        let current = match entry.data.get(field) {
            None => 0,
            Some(text) => text.parse::<i64>().map_err(|_| NOT_AN_INTEGER)?,
        };
        let sum = current.checked_add(by).ok_or(NOT_AN_INTEGER)?;
        entry.data.insert(field.to_owned(), sum.to_string());
        Ok(Some(sum))
    }
}
