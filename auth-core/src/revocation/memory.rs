//! [`MemoryRevocationStore`]: revocations for a single instance, in memory.

use std::future::{Future, ready};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use crate::{AuthError, TokenError};

use super::cutoff::{Cutoff, SubjectCutoffs};
use super::expiring::ExpiringMap;
use super::{Retention, RevocationStore, StoreError, TokenRef};

const COMPONENT: &str = "revocation store";

/// Revocations held in this process: right for a single instance, and for tests.
/// Several instances of a service need the shared
/// [`RedisRevocationStore`](super#redis) (feature `redis`).
///
/// - **Bounded.** At most `max_tokens` revoked tokens and `max_subjects` subject
///   cutoffs ([`with_capacity`](Self::with_capacity); 100 000 each by default).
/// - **Expiring.** A revoked token is forgotten [`Retention::token_grace`] after its
///   `exp`, a subject cutoff [`Retention::subject_cutoff`] after the cutoff.
///   Expired entries are dropped on every write, nearest deadline first.
/// - **Fails closed when full.** When a table is full of *live* entries, a new
///   revocation is refused with [`AuthError::Unavailable`] (a 503, with
///   [`StoreError::Full`] as its source) and an error event, so the caller knows
///   the logout did not take. A live revocation is never evicted to make room:
///   that would silently let a revoked token back in.
/// - **Cheap to check.** [`check`](RevocationStore::check) takes a read lock and
///   does at most two hash lookups: no allocation, no clock read.
/// - **Cutoffs only move forward**, each revocation of a subject strictly past
///   the last: see [`cutoff`](super::cutoff).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth_core::revocation::{MemoryRevocationStore, RevocationStore, TokenRef};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryRevocationStore::new();
/// let exp = SystemTime::now() + Duration::from_secs(900);
/// store.revoke_token("jti-1", exp).await?;
///
/// let token = TokenRef { token_id: Some("jti-1"), session_id: None, subject: "alice", issued_at: None, cutoff: None };
/// assert!(store.check(&token).await.is_err());
/// # Ok::<(), auth_core::AuthError>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct MemoryRevocationStore {
    tables: RwLock<Tables>,
    retention: Retention,
}

#[derive(Debug)]
struct Tables {
    /// Revoked `jti`s; the value carries nothing, presence is the revocation.
    tokens: ExpiringMap<()>,
    /// Subject → its cutoff (see [`cutoff`](super::cutoff)).
    subjects: ExpiringMap<Cutoff>,
}

impl MemoryRevocationStore {
    /// The default maximum of revoked tokens held at once.
    pub const DEFAULT_MAX_TOKENS: usize = 100_000;
    /// The default maximum of subject cutoffs held at once.
    pub const DEFAULT_MAX_SUBJECTS: usize = 100_000;

    /// A store with the default capacities and [`Retention`].
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_MAX_TOKENS, Self::DEFAULT_MAX_SUBJECTS)
    }

    /// A store holding at most `max_tokens` revoked tokens and `max_subjects`
    /// subject cutoffs at once.
    pub fn with_capacity(max_tokens: usize, max_subjects: usize) -> Self {
        MemoryRevocationStore {
            tables: RwLock::new(Tables {
                tokens: ExpiringMap::new(max_tokens),
                subjects: ExpiringMap::new(max_subjects),
            }),
            retention: Retention::new(),
        }
    }

    /// Keeps entries as long as `retention` says.
    #[must_use]
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// How many revoked tokens are held, expired ones not yet dropped included.
    pub fn revoked_tokens(&self) -> usize {
        self.read().tokens.len()
    }

    /// How many subject cutoffs are held, expired ones not yet dropped included.
    pub fn subject_cutoffs(&self) -> usize {
        self.read().subjects.len()
    }

    /// Drops every expired entry now. Writes do this anyway; call it from a timer
    /// to return memory from a store that is rarely written.
    pub fn purge_expired(&self) {
        let now = SystemTime::now();
        let mut tables = self.write();
        tables.tokens.purge(now);
        tables.subjects.purge(now);
    }

    fn revoke_token_at(
        &self,
        token_id: &str,
        expires_at: SystemTime,
        now: SystemTime,
    ) -> Result<(), AuthError> {
        let until = self.retention.token_until(expires_at);
        if until <= now {
            // Past its exp and the verifier's leeway: nothing left to revoke.
            return Ok(());
        }
        let mut tables = self.write();
        tables
            .tokens
            .upsert(token_id, (), until, now, |(), ()| {})
            .map_err(|error| refused(error, "token"))
    }

    fn revoke_subject_at(
        &self,
        subject: &str,
        issued_before: SystemTime,
        now: SystemTime,
    ) -> Result<(), AuthError> {
        let mut tables = self.write();
        tables.subjects.purge(now);
        let current = tables.subjects.get(subject).map(|entry| entry.value);
        let Some(cutoff) = Cutoff::raised(current, issued_before) else {
            // Before 1970: there is nothing to revoke.
            return Ok(());
        };
        let until = self.retention.cutoff_until(cutoff);
        if until <= now {
            // Every token it could revoke is long expired.
            return Ok(());
        }
        tables
            .subjects
            .upsert(subject, cutoff, until, now, |old, new| *old = new)
            .map_err(|error| refused(error, "subject cutoff"))
    }

    fn check_now(&self, token: &TokenRef<'_>) -> Result<(), AuthError> {
        let tables = self.read();
        let revoked = |id: Option<&str>| id.is_some_and(|id| tables.tokens.get(id).is_some());
        if revoked(token.token_id) || revoked(token.session_id) {
            return Err(TokenError::Revoked.into());
        }
        if let Some(entry) = tables.subjects.get(token.subject)
            && entry.value.revokes(token)
        {
            return Err(TokenError::SubjectRevoked.into());
        }
        Ok(())
    }

    fn cutoff_now(&self, subject: &str) -> Option<Cutoff> {
        self.read().subjects.get(subject).map(|entry| entry.value)
    }

    // A panic while a lock was held cannot leave a table half-written in a way that
    // matters here (every write is a single map operation), so a poisoned lock is
    // used as is rather than turning every later request into a failure.
    fn read(&self) -> RwLockReadGuard<'_, Tables> {
        self.tables.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Tables> {
        self.tables.write().unwrap_or_else(PoisonError::into_inner)
    }
}

fn refused(error: StoreError, what: &'static str) -> AuthError {
    tracing::error!(
        component = COMPONENT,
        entry = what,
        error = %error,
        "revocation refused: the in-memory store is full of live entries"
    );
    AuthError::unavailable(COMPONENT, error)
}

impl Default for MemoryRevocationStore {
    fn default() -> Self {
        Self::new()
    }
}

impl RevocationStore for MemoryRevocationStore {
    fn revoke_token(
        &self,
        token_id: &str,
        expires_at: SystemTime,
    ) -> impl Future<Output = Result<(), AuthError>> + Send {
        ready(self.revoke_token_at(token_id, expires_at, SystemTime::now()))
    }

    fn revoke_subject(
        &self,
        subject: &str,
        issued_before: SystemTime,
    ) -> impl Future<Output = Result<(), AuthError>> + Send {
        ready(self.revoke_subject_at(subject, issued_before, SystemTime::now()))
    }

    fn check(&self, token: &TokenRef<'_>) -> impl Future<Output = Result<(), AuthError>> + Send {
        ready(self.check_now(token))
    }
}

impl SubjectCutoffs for MemoryRevocationStore {
    fn current_cutoff(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Option<Cutoff>, AuthError>> + Send {
        ready(Ok(self.cutoff_now(subject)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::error::Error as _;
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn token<'a>(id: Option<&'a str>, subject: &'a str, iat: Option<SystemTime>) -> TokenRef<'a> {
        TokenRef {
            token_id: id,
            session_id: None,
            subject,
            issued_at: iat,
            cutoff: None,
        }
    }

    fn marked(subject: &str, cutoff: Option<Cutoff>) -> TokenRef<'_> {
        TokenRef {
            cutoff: Some(cutoff.unwrap_or(Cutoff::NONE)),
            ..token(None, subject, Some(t(0)))
        }
    }

    fn no_grace() -> Retention {
        Retention::new().with_token_grace(Duration::ZERO)
    }

    fn is_revoked(result: &Result<(), AuthError>) -> bool {
        matches!(result, Err(AuthError::InvalidToken(TokenError::Revoked)))
    }

    fn is_subject_revoked(result: &Result<(), AuthError>) -> bool {
        matches!(
            result,
            Err(AuthError::InvalidToken(TokenError::SubjectRevoked))
        )
    }

    #[test]
    fn a_revoked_token_fails_and_others_pass() {
        let store = MemoryRevocationStore::new();
        store.revoke_token_at("a", t(900), t(0)).unwrap();
        assert!(is_revoked(&store.check_now(&token(
            Some("a"),
            "s",
            Some(t(0))
        ))));
        assert!(store.check_now(&token(Some("b"), "s", Some(t(0)))).is_ok());
        assert!(store.check_now(&token(None, "s", None)).is_ok());
    }

    #[test]
    fn a_revoked_token_is_kept_until_exp_plus_grace() {
        let store = MemoryRevocationStore::new()
            .with_retention(Retention::new().with_token_grace(Duration::from_secs(60)));
        store.revoke_token_at("a", t(100), t(0)).unwrap();
        // Writes purge: at exp + grace - 1 it is still there...
        store.revoke_token_at("x", t(1_000), t(159)).unwrap();
        assert!(is_revoked(&store.check_now(&token(Some("a"), "s", None))));
        // ...and at exp + grace it is gone.
        store.revoke_token_at("y", t(1_000), t(160)).unwrap();
        assert!(store.check_now(&token(Some("a"), "s", None)).is_ok());
        assert_eq!(store.revoked_tokens(), 2);
    }

    #[test]
    fn revoking_an_already_expired_token_stores_nothing() {
        let store = MemoryRevocationStore::new().with_retention(no_grace());
        store.revoke_token_at("a", t(10), t(10)).unwrap();
        assert_eq!(store.revoked_tokens(), 0);
    }

    #[test]
    fn a_full_store_evicts_expired_entries_first() {
        let store = MemoryRevocationStore::with_capacity(2, 2).with_retention(no_grace());
        store.revoke_token_at("soon", t(10), t(0)).unwrap();
        store.revoke_token_at("late", t(1_000), t(0)).unwrap();
        store.revoke_token_at("new", t(1_000), t(10)).unwrap();
        assert!(store.check_now(&token(Some("soon"), "s", None)).is_ok());
        assert!(is_revoked(&store.check_now(&token(
            Some("late"),
            "s",
            None
        ))));
        assert!(is_revoked(&store.check_now(&token(Some("new"), "s", None))));
    }

    #[test]
    fn a_store_full_of_live_entries_refuses_and_keeps_them_all() {
        let store = MemoryRevocationStore::with_capacity(2, 1).with_retention(no_grace());
        store.revoke_token_at("a", t(100), t(0)).unwrap();
        store.revoke_token_at("b", t(200), t(0)).unwrap();
        let err = store.revoke_token_at("c", t(300), t(50)).unwrap_err();
        assert_eq!(err.status().as_u16(), 503);
        let source = err.source().and_then(|s| s.downcast_ref::<StoreError>());
        assert!(matches!(source, Some(StoreError::Full { capacity: 2 })));
        for id in ["a", "b"] {
            assert!(is_revoked(&store.check_now(&token(Some(id), "s", None))));
        }
        // Re-revoking a token already held needs no room.
        store.revoke_token_at("a", t(150), t(50)).unwrap();
        // Subjects have their own bound.
        store.revoke_subject_at("alice", t(0), t(0)).unwrap();
        let err = store.revoke_subject_at("bob", t(0), t(0)).unwrap_err();
        assert!(matches!(err, AuthError::Unavailable { .. }));
        store.revoke_subject_at("alice", t(5), t(5)).unwrap();
    }

    #[test]
    fn an_unmarked_token_is_revoked_up_to_the_cutoff_instant() {
        let store = MemoryRevocationStore::new();
        let revoked_at = t(100) + Duration::from_millis(400);
        store
            .revoke_subject_at("alice", revoked_at, t(100))
            .unwrap();
        for iat in [t(0), t(99), t(100)] {
            let result = store.check_now(&token(Some("x"), "alice", Some(iat)));
            assert!(is_subject_revoked(&result), "iat {iat:?}");
        }
        // `iat = 100` (whole seconds, as in a token) may have been minted 0.5 s
        // after the revocation: it cannot be told apart, so it is revoked above.
        assert!(store.check_now(&token(None, "alice", Some(t(101)))).is_ok());
        // No `iat`: cannot prove it is newer.
        assert!(is_subject_revoked(
            &store.check_now(&token(None, "alice", None))
        ));
        // Other subjects are untouched.
        assert!(store.check_now(&token(None, "bob", Some(t(0)))).is_ok());
    }

    #[test]
    fn a_marked_token_is_judged_by_its_mark_not_its_clock() {
        let store = MemoryRevocationStore::new();
        assert_eq!(store.cutoff_now("alice"), None);
        // Minted with no cutoff, by an instance whose clock runs an hour ahead.
        let fast = TokenRef {
            issued_at: Some(t(3_700)),
            ..marked("alice", None)
        };
        assert!(store.check_now(&fast).is_ok());
        store.revoke_subject_at("alice", t(100), t(100)).unwrap();
        assert!(is_subject_revoked(&store.check_now(&fast)));
        // A login right after carries the new cutoff and passes at once.
        let current = store.cutoff_now("alice");
        assert!(store.check_now(&marked("alice", current)).is_ok());
    }

    #[test]
    fn a_subject_cutoff_moves_strictly_forward_on_every_revocation() {
        let store = MemoryRevocationStore::new();
        store.revoke_subject_at("alice", t(200), t(200)).unwrap();
        let first = store.cutoff_now("alice").unwrap();
        assert_eq!(first, Cutoff::from_millis(1_700_000_200_000));
        let between = marked("alice", Some(first));
        assert!(store.check_now(&between).is_ok());
        // The same instant again, then an older one: each still takes effect.
        store.revoke_subject_at("alice", t(200), t(200)).unwrap();
        let second = store.cutoff_now("alice").unwrap();
        assert!(second > first);
        assert!(is_subject_revoked(&store.check_now(&between)));
        store.revoke_subject_at("alice", t(100), t(201)).unwrap();
        assert!(store.cutoff_now("alice").unwrap() > second);
        // Older unmarked tokens stay revoked: the cutoff never moved back.
        assert!(is_subject_revoked(&store.check_now(&token(
            None,
            "alice",
            Some(t(150))
        ))));
        store.revoke_subject_at("alice", t(300), t(300)).unwrap();
        assert_eq!(
            store.cutoff_now("alice"),
            Some(Cutoff::from_millis(1_700_000_300_000))
        );
    }

    #[test]
    fn a_subject_cutoff_is_kept_for_its_retention() {
        let keep = Duration::from_secs(3_600);
        let store =
            MemoryRevocationStore::new().with_retention(Retention::new().with_subject_cutoff(keep));
        store.revoke_subject_at("alice", t(100), t(100)).unwrap();
        // Kept until the cutoff plus the retention.
        store.revoke_subject_at("x", t(3_699), t(3_699)).unwrap();
        assert_eq!(store.subject_cutoffs(), 2);
        store.revoke_subject_at("y", t(3_700), t(3_700)).unwrap();
        assert_eq!(store.subject_cutoffs(), 2);
        assert_eq!(store.cutoff_now("alice"), None);
        // A cutoff whose retention is over already is not stored.
        store.revoke_subject_at("z", t(0), t(3_700)).unwrap();
        assert_eq!(store.cutoff_now("z"), None);
    }

    #[tokio::test]
    async fn the_trait_methods_use_the_wall_clock() {
        let store = MemoryRevocationStore::new();
        let now = SystemTime::now();
        store
            .revoke_token("a", now + Duration::from_secs(60))
            .await
            .unwrap();
        store.revoke_subject("alice", now).await.unwrap();
        let current = store.current_cutoff("alice").await.unwrap();
        assert!(current.is_some());
        assert!(store.check(&token(Some("a"), "bob", None)).await.is_err());
        assert!(store.check(&marked("alice", current)).await.is_ok());
        assert!(store.check(&marked("alice", None)).await.is_err());
        store.purge_expired();
        assert_eq!(store.revoked_tokens(), 1);
    }
}
