//! [`MemoryTotpStore`]: TOTP state in this process.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use crate::AuthError;

use super::TotpSecret;
use super::store::{Acceptance, ActiveFactor, Admission, AttemptLimit, TotpRecord, TotpStore};

/// TOTP state in a map in this process: for a single instance, and for tests.
///
/// Every operation takes one lock, so each is atomic. Nothing is persisted: a
/// restart forgets every factor, so a service that restarts needs a durable
/// store (or [`RedisTotpStore`](super::RedisTotpStore) with persistence).
/// Entries are per enrolled account; attempts on an account with nothing
/// enrolled are not counted and create nothing, so callers cannot grow the map
/// by guessing subjects.
///
/// ```
/// use auth_core::mfa::{MemoryTotpStore, Totp};
///
/// let totp = Totp::builder("Orders", MemoryTotpStore::new()).build().unwrap();
/// ```
#[derive(Debug, Default)]
pub struct MemoryTotpStore {
    accounts: Mutex<HashMap<String, Account>>,
}

#[derive(Debug, Default)]
struct Account {
    active: Option<ActiveFactor>,
    pending: Option<(TotpSecret, SystemTime)>,
    /// Attempts counted, and when their window ends.
    attempts: Option<(u32, SystemTime)>,
}

impl Account {
    /// Drops what expired by `now`.
    fn expire(&mut self, now: SystemTime) {
        if self
            .pending
            .as_ref()
            .is_some_and(|(_, until)| *until <= now)
        {
            self.pending = None;
        }
        if self.attempts.is_some_and(|(_, until)| until <= now) {
            self.attempts = None;
        }
    }

    fn record(&self) -> TotpRecord {
        TotpRecord {
            active: self.active.clone(),
            pending: self.pending.as_ref().map(|(secret, _)| secret.clone()),
        }
    }
}

impl MemoryTotpStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// No operation panics while holding the lock, so a poisoned lock's data is
    /// still consistent.
    fn accounts(&self) -> MutexGuard<'_, HashMap<String, Account>> {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TotpStore for MemoryTotpStore {
    async fn admit(
        &self,
        subject: &str,
        limit: AttemptLimit,
        now: SystemTime,
    ) -> Result<Admission, AuthError> {
        let mut accounts = self.accounts();
        let Some(account) = accounts.get_mut(subject) else {
            return Ok(Admission::Admitted(TotpRecord::default()));
        };
        account.expire(now);
        let record = account.record();
        if record.is_empty() {
            // An enrolment that expired unconfirmed: nothing left to keep.
            accounts.remove(subject);
            return Ok(Admission::Admitted(record));
        }
        let (count, until) = account
            .attempts
            .unwrap_or((0, now.checked_add(limit.window()).unwrap_or(now)));
        if count >= limit.max() {
            let retry_after = until.duration_since(now).unwrap_or(Duration::ZERO);
            return Ok(Admission::Throttled { retry_after });
        }
        account.attempts = Some((count.saturating_add(1), until));
        Ok(Admission::Admitted(record))
    }

    async fn load(&self, subject: &str, now: SystemTime) -> Result<TotpRecord, AuthError> {
        let mut accounts = self.accounts();
        Ok(accounts
            .get_mut(subject)
            .map(|account| {
                account.expire(now);
                account.record()
            })
            .unwrap_or_default())
    }

    async fn put_pending(
        &self,
        subject: &str,
        secret: &TotpSecret,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<(), AuthError> {
        let until = now.checked_add(ttl).unwrap_or(now);
        let mut accounts = self.accounts();
        let account = accounts.entry(subject.to_owned()).or_default();
        account.pending = Some((secret.clone(), until));
        Ok(())
    }

    async fn accept(
        &self,
        subject: &str,
        secret: &TotpSecret,
        step: u64,
    ) -> Result<Acceptance, AuthError> {
        let mut accounts = self.accounts();
        let Some(account) = accounts.get_mut(subject) else {
            return Ok(Acceptance::Replaced);
        };
        let Some(active) = account.active.as_mut().filter(|a| a.secret == *secret) else {
            return Ok(Acceptance::Replaced);
        };
        if active.last_step.is_some_and(|last| step <= last) {
            return Ok(Acceptance::Replayed);
        }
        active.last_step = Some(step);
        account.attempts = None;
        Ok(Acceptance::Accepted)
    }

    async fn activate(
        &self,
        subject: &str,
        secret: &TotpSecret,
        step: u64,
    ) -> Result<bool, AuthError> {
        let mut accounts = self.accounts();
        let Some(account) = accounts.get_mut(subject) else {
            return Ok(false);
        };
        if !account
            .pending
            .as_ref()
            .is_some_and(|(pending, _)| pending == secret)
        {
            return Ok(false);
        }
        account.pending = None;
        account.attempts = None;
        account.active = Some(ActiveFactor {
            secret: secret.clone(),
            last_step: Some(step),
        });
        Ok(true)
    }

    async fn remove(&self, subject: &str) -> Result<(), AuthError> {
        self.accounts().remove(subject);
        Ok(())
    }
}
