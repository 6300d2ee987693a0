//! [`MemoryRefreshStore`]: refresh-token families for a single instance.

use std::future::{Future, ready};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use crate::revocation::expiring::ExpiringMap;
use crate::revocation::{Cutoff, StoreError};
use crate::{AuthError, Scopes};

use super::{RefreshFamily, RefreshStore, Rotation, report_reuse};

const COMPONENT: &str = "refresh token store";

/// Refresh-token families held in this process: right for a single instance and
/// for tests; several instances need
/// [`RedisRefreshStore`](crate::revocation#redis) (feature `redis`).
///
/// Bounded like [`MemoryRevocationStore`](crate::revocation::MemoryRevocationStore):
/// at most `max_families` families and `max_tokens` token ids (every token a family
/// ever had is remembered until the family expires, so that reuse can be
/// detected). Expired families are dropped on every write; when a table is full of
/// live entries, a login or rotation is refused with [`AuthError::Unavailable`]
/// ([`StoreError::Full`]) rather than forgetting a live family.
///
/// The [grace window](super#a-retry-after-an-outage-the-grace-window) of a
/// rotation is measured on this process's wall clock.
#[derive(Debug)]
pub struct MemoryRefreshStore {
    tables: Mutex<Tables>,
}

#[derive(Debug)]
struct Tables {
    families: ExpiringMap<Family>,
    /// Token id → its family's id. A token is used when it is not its family's
    /// current token.
    tokens: ExpiringMap<Arc<str>>,
}

#[derive(Debug)]
struct Family {
    subject: String,
    authenticated_at: SystemTime,
    expires_at: SystemTime,
    cutoff: Option<Cutoff>,
    scope: Option<Scopes>,
    current: Arc<str>,
    /// The token the last rotation used up, and until when it may be retried.
    previous: Option<(Arc<str>, SystemTime)>,
    revoked: bool,
}

impl Family {
    fn describe(&self, id: &str) -> RefreshFamily {
        let family = RefreshFamily::new(
            id,
            self.subject.as_str(),
            self.authenticated_at,
            self.expires_at,
        );
        let family = match self.cutoff {
            Some(cutoff) => family.with_cutoff(cutoff),
            None => family,
        };
        match &self.scope {
            Some(scope) => family.with_scope(scope.clone()),
            None => family,
        }
    }

    /// Whether `token_id` is the predecessor, within its grace window at `now`.
    fn may_retry(&self, token_id: &str, now: SystemTime) -> bool {
        self.previous
            .as_ref()
            .is_some_and(|(previous, until)| **previous == *token_id && now < *until)
    }
}

impl MemoryRefreshStore {
    /// The default maximum of families held at once.
    pub const DEFAULT_MAX_FAMILIES: usize = 100_000;
    /// The default maximum of token ids (current and used) held at once.
    pub const DEFAULT_MAX_TOKENS: usize = 1_000_000;

    /// A store with the default capacities.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_MAX_FAMILIES, Self::DEFAULT_MAX_TOKENS)
    }

    /// A store holding at most `max_families` families and `max_tokens` token ids.
    pub fn with_capacity(max_families: usize, max_tokens: usize) -> Self {
        MemoryRefreshStore {
            tables: Mutex::new(Tables {
                families: ExpiringMap::new(max_families),
                tokens: ExpiringMap::new(max_tokens),
            }),
        }
    }

    /// How many families are held, expired ones not yet dropped included.
    pub fn families(&self) -> usize {
        self.lock().families.len()
    }

    fn register_at(
        &self,
        family: &RefreshFamily,
        token_id: &str,
        now: SystemTime,
    ) -> Result<(), AuthError> {
        if family.expires_at <= now {
            // Born expired: every token of it would be unknown anyway.
            return Ok(());
        }
        let mut tables = self.lock();
        let tables = &mut *tables;
        tables.families.purge(now);
        tables.tokens.purge(now);
        if tables.families.get(&family.id).is_some() || tables.tokens.get(token_id).is_some() {
            return Err(failed(StoreError::DuplicateId));
        }
        for table in [tables.families.room(), tables.tokens.room()] {
            table.map_err(failed)?;
        }
        let family_id: Arc<str> = Arc::from(family.id.as_str());
        let current: Arc<str> = Arc::from(token_id);
        tables
            .tokens
            .insert_new(token_id, Arc::clone(&family_id), family.expires_at, now)
            .map_err(failed)?;
        tables
            .families
            .insert_new(
                &family.id,
                Family {
                    subject: family.subject.clone(),
                    authenticated_at: family.authenticated_at,
                    expires_at: family.expires_at,
                    cutoff: family.cutoff,
                    scope: family.scope.clone(),
                    current,
                    previous: None,
                    revoked: false,
                },
                family.expires_at,
                now,
            )
            .map_err(failed)
    }

    fn rotate_at(
        &self,
        old_token_id: &str,
        new_token_id: &str,
        grace: Duration,
        now: SystemTime,
    ) -> Result<Rotation, AuthError> {
        let mut tables = self.lock();
        let tables = &mut *tables;
        tables.families.purge(now);
        tables.tokens.purge(now);
        let Some(family_id) = tables
            .tokens
            .get(old_token_id)
            .map(|e| Arc::clone(&e.value))
        else {
            return Ok(Rotation::Unknown);
        };
        let new_taken = tables.tokens.get(new_token_id).is_some();
        let room = tables.tokens.room();
        let Some(entry) = tables.families.get_mut(&family_id) else {
            return Ok(Rotation::Unknown);
        };
        let family = &mut entry.value;
        if family.revoked {
            return Ok(Rotation::Revoked(family.describe(&family_id)));
        }
        let rotated = *family.current == *old_token_id;
        if !rotated && !family.may_retry(old_token_id, now) {
            family.revoked = true;
            let described = family.describe(&family_id);
            report_reuse(&described);
            return Ok(Rotation::Reused(described));
        }
        if new_taken {
            return Err(failed(StoreError::DuplicateId));
        }
        room.map_err(failed)?;
        let used = std::mem::replace(&mut family.current, Arc::from(new_token_id));
        if rotated {
            // A retry keeps the window of the rotation it repeats.
            family.previous = Some((used, now.checked_add(grace).unwrap_or(now)));
        }
        let described = family.describe(&family_id);
        tables
            .tokens
            .insert_new(new_token_id, family_id, described.expires_at, now)
            .map_err(failed)?;
        Ok(if rotated {
            Rotation::Rotated(described)
        } else {
            Rotation::Retried(described)
        })
    }

    fn revoke_family_now(&self, family_id: &str) {
        if let Some(entry) = self.lock().families.get_mut(family_id) {
            entry.value.revoked = true;
        }
    }

    // Every write below checks before it changes anything, so a poisoned lock
    // (a panic elsewhere while holding it) holds consistent tables.
    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn failed(error: StoreError) -> AuthError {
    tracing::error!(component = COMPONENT, error = %error, "refresh token store refused a write");
    AuthError::unavailable(COMPONENT, error)
}

impl Default for MemoryRefreshStore {
    fn default() -> Self {
        Self::new()
    }
}

impl RefreshStore for MemoryRefreshStore {
    fn register(
        &self,
        family: &RefreshFamily,
        token_id: &str,
    ) -> impl Future<Output = Result<(), AuthError>> + Send {
        ready(self.register_at(family, token_id, SystemTime::now()))
    }

    fn rotate(
        &self,
        old_token_id: &str,
        new_token_id: &str,
        grace: Duration,
    ) -> impl Future<Output = Result<Rotation, AuthError>> + Send {
        ready(self.rotate_at(old_token_id, new_token_id, grace, SystemTime::now()))
    }

    fn revoke_family(&self, family_id: &str) -> impl Future<Output = Result<(), AuthError>> + Send {
        self.revoke_family_now(family_id);
        ready(Ok(()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::error::Error as _;
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    const NO_GRACE: Duration = Duration::ZERO;
    const GRACE: Duration = Duration::from_secs(30);

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn family(id: &str, expires: u64) -> RefreshFamily {
        RefreshFamily::new(id, "alice", t(0), t(expires))
    }

    fn store_error(err: &AuthError) -> Option<&StoreError> {
        err.source().and_then(|s| s.downcast_ref::<StoreError>())
    }

    #[test]
    fn rotation_moves_the_current_token_forward() {
        let store = MemoryRefreshStore::new();
        store.register_at(&family("f", 1_000), "r1", t(0)).unwrap();
        let rotated = store.rotate_at("r1", "r2", NO_GRACE, t(1)).unwrap();
        assert_eq!(rotated, Rotation::Rotated(family("f", 1_000)));
        let rotated = store.rotate_at("r2", "r3", NO_GRACE, t(2)).unwrap();
        assert_eq!(rotated.rotated(), Some(family("f", 1_000)));
    }

    #[test]
    fn reusing_a_used_token_revokes_the_whole_family() {
        let store = MemoryRefreshStore::new();
        store.register_at(&family("f", 1_000), "r1", t(0)).unwrap();
        store
            .register_at(&family("other", 1_000), "o1", t(0))
            .unwrap();
        assert!(matches!(
            store.rotate_at("r1", "r2", NO_GRACE, t(1)),
            Ok(Rotation::Rotated(_))
        ));
        // The thief (or the user) presents r1 again.
        assert_eq!(
            store.rotate_at("r1", "r3", NO_GRACE, t(2)).unwrap(),
            Rotation::Reused(family("f", 1_000))
        );
        // The current token r2 died with its family, and r3 was never issued.
        assert_eq!(
            store.rotate_at("r2", "r4", NO_GRACE, t(3)).unwrap(),
            Rotation::Revoked(family("f", 1_000))
        );
        assert_eq!(
            store.rotate_at("r3", "r5", NO_GRACE, t(3)).unwrap(),
            Rotation::Unknown
        );
        // Another family of the same subject is untouched.
        assert!(matches!(
            store.rotate_at("o1", "o2", NO_GRACE, t(3)),
            Ok(Rotation::Rotated(_))
        ));
    }

    #[test]
    fn the_predecessor_may_be_retried_within_the_window_only() {
        let store = MemoryRefreshStore::new();
        store.register_at(&family("f", 1_000), "r1", t(0)).unwrap();
        assert!(matches!(
            store.rotate_at("r1", "r2", GRACE, t(10)),
            Ok(Rotation::Rotated(_))
        ));
        // r2 never arrived; the client retries r1: r3 replaces r2.
        assert_eq!(
            store.rotate_at("r1", "r3", GRACE, t(20)).unwrap(),
            Rotation::Retried(family("f", 1_000))
        );
        // Again within the window (a retry that stalled too): r4 replaces r3.
        assert!(matches!(
            store.rotate_at("r1", "r4", GRACE, t(39)),
            Ok(Rotation::Retried(_))
        ));
        // The window runs from the rotation (t=10), not from the retries.
        assert!(matches!(
            store.rotate_at("r1", "r5", GRACE, t(40)),
            Ok(Rotation::Reused(_))
        ));
        assert!(matches!(
            store.rotate_at("r4", "r6", GRACE, t(41)),
            Ok(Rotation::Revoked(_))
        ));
    }

    #[test]
    fn only_the_immediate_predecessor_is_retried() {
        let store = MemoryRefreshStore::new();
        store.register_at(&family("f", 1_000), "r1", t(0)).unwrap();
        for (old, new) in [("r1", "r2"), ("r2", "r3")] {
            assert!(matches!(
                store.rotate_at(old, new, GRACE, t(1)),
                Ok(Rotation::Rotated(_))
            ));
        }
        // r1 is two rotations old: a reuse, whatever the window.
        assert!(matches!(
            store.rotate_at("r1", "x", GRACE, t(2)),
            Ok(Rotation::Reused(_))
        ));
        // A replaced successor is a used token: presenting it is a reuse.
        let store = MemoryRefreshStore::new();
        store.register_at(&family("g", 1_000), "g1", t(0)).unwrap();
        assert!(store.rotate_at("g1", "g2", GRACE, t(1)).is_ok());
        assert!(matches!(
            store.rotate_at("g1", "g3", GRACE, t(2)),
            Ok(Rotation::Retried(_))
        ));
        assert!(matches!(
            store.rotate_at("g2", "g4", GRACE, t(3)),
            Ok(Rotation::Reused(_))
        ));
        // Without a window, the predecessor is a reuse at once.
        let store = MemoryRefreshStore::new();
        store.register_at(&family("h", 1_000), "h1", t(0)).unwrap();
        assert!(store.rotate_at("h1", "h2", NO_GRACE, t(1)).is_ok());
        assert!(matches!(
            store.rotate_at("h1", "h3", NO_GRACE, t(1)),
            Ok(Rotation::Reused(_))
        ));
    }

    #[test]
    fn a_revoked_family_is_not_retried() {
        let store = MemoryRefreshStore::new();
        store.register_at(&family("f", 1_000), "r1", t(0)).unwrap();
        assert!(store.rotate_at("r1", "r2", GRACE, t(1)).is_ok());
        store.revoke_family_now("f");
        assert!(matches!(
            store.rotate_at("r1", "r3", GRACE, t(2)),
            Ok(Rotation::Revoked(_))
        ));
    }

    #[test]
    fn revoking_a_family_refuses_its_current_token() {
        let store = MemoryRefreshStore::new();
        store.register_at(&family("f", 1_000), "r1", t(0)).unwrap();
        store.revoke_family_now("f");
        store.revoke_family_now("unknown");
        assert!(matches!(
            store.rotate_at("r1", "r2", NO_GRACE, t(1)),
            Ok(Rotation::Revoked(_))
        ));
    }

    #[test]
    fn a_family_expires_with_all_its_tokens() {
        let store = MemoryRefreshStore::new();
        store.register_at(&family("f", 100), "r1", t(0)).unwrap();
        assert!(matches!(
            store.rotate_at("r1", "r2", NO_GRACE, t(99)),
            Ok(Rotation::Rotated(_))
        ));
        assert_eq!(
            store.rotate_at("r2", "r3", NO_GRACE, t(100)).unwrap(),
            Rotation::Unknown
        );
        assert_eq!(
            store.rotate_at("r1", "r3", NO_GRACE, t(100)).unwrap(),
            Rotation::Unknown
        );
        assert_eq!(store.families(), 0);
        // A family born expired is not stored at all.
        store.register_at(&family("g", 100), "g1", t(100)).unwrap();
        assert_eq!(store.families(), 0);
    }

    #[test]
    fn unknown_tokens_are_unknown() {
        let store = MemoryRefreshStore::new();
        assert_eq!(
            store.rotate_at("nope", "r2", NO_GRACE, t(0)).unwrap(),
            Rotation::Unknown
        );
    }

    #[test]
    fn duplicate_ids_are_refused_and_change_nothing() {
        let store = MemoryRefreshStore::new();
        store.register_at(&family("f", 1_000), "r1", t(0)).unwrap();
        store.register_at(&family("g", 1_000), "g1", t(0)).unwrap();
        for (fam, token) in [("f", "x"), ("h", "r1")] {
            let err = store
                .register_at(&family(fam, 1_000), token, t(0))
                .unwrap_err();
            assert!(matches!(store_error(&err), Some(StoreError::DuplicateId)));
        }
        // Rotating onto an id that exists (even the old one itself) is refused...
        for new in ["g1", "r1"] {
            let err = store.rotate_at("r1", new, NO_GRACE, t(1)).unwrap_err();
            assert_eq!(err.status().as_u16(), 503);
            assert!(matches!(store_error(&err), Some(StoreError::DuplicateId)));
        }
        // ...and left r1 current: no reuse was recorded.
        assert!(matches!(
            store.rotate_at("r1", "r2", NO_GRACE, t(2)),
            Ok(Rotation::Rotated(_))
        ));
    }

    #[test]
    fn a_full_store_refuses_logins_but_keeps_live_families() {
        let store = MemoryRefreshStore::with_capacity(1, 2);
        store.register_at(&family("f", 1_000), "r1", t(0)).unwrap();
        let err = store
            .register_at(&family("g", 1_000), "g1", t(0))
            .unwrap_err();
        assert!(matches!(
            store_error(&err),
            Some(StoreError::Full { capacity: 1 })
        ));
        assert!(matches!(
            store.rotate_at("r1", "r2", NO_GRACE, t(1)),
            Ok(Rotation::Rotated(_))
        ));
        // Both token slots hold live ids (r1 is kept to detect its reuse).
        let err = store.rotate_at("r2", "r3", NO_GRACE, t(2)).unwrap_err();
        assert!(matches!(
            store_error(&err),
            Some(StoreError::Full { capacity: 2 })
        ));
        assert!(matches!(
            store.rotate_at("r1", "r9", NO_GRACE, t(3)),
            Ok(Rotation::Reused(_))
        ));
    }
}
