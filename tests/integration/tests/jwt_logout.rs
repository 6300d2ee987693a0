//! Logging out under attack: a logout interrupted at any step, tokens from an
//! instance whose clock runs ahead, and logins racing "log out everywhere".
//!
//! Each test is named after the attack it proves closed. They run on the memory
//! stores and, when `redis-server` is on `PATH`, on a Redis server the test starts
//! (the issuer and the authenticator on two connections: two instances). Without
//! `redis-server` the Redis tests are skipped with a note, except under `CI=true`,
//! where that is a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod jwt_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::jwt::TokenIssuer;
use auth_core::revocation::{
    CUTOFF_CLAIM, Cutoff, MemoryRefreshStore, MemoryRevocationStore, RefreshFamily, RefreshStore,
    RevocationStore, Rotation, SubjectCutoffs, TokenRef,
};
use auth_core::{AuthError, TokenError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::ThumbprintHash;
use jwt_support::service::{MemoryService, Service, claims, signing_key};
use jwt_support::{AUDIENCE, HMAC_SECRET, ISSUER, assert_invalid, assert_refused_grant, now};

// --- a store that fails on demand ----------------------------------------------------

/// How the armed store write fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// An error, and nothing written (Redis unreachable).
    Refuse,
    /// Written, then an error (the reply was lost on the way back).
    LoseReply,
    /// No answer ever: the request future is dropped while it waits.
    Hang,
    /// Written, then no answer ever.
    HangAfterWrite,
}

const FAULTS: [Fault; 4] = [
    Fault::Refuse,
    Fault::LoseReply,
    Fault::Hang,
    Fault::HangAfterWrite,
];

/// Which write fails, counted across both stores from the moment it is armed.
#[derive(Debug, Default)]
struct Faults {
    writes: AtomicUsize,
    armed: Mutex<Option<(usize, Fault)>>,
    /// Whether the armed fault was reached.
    hit: Mutex<bool>,
}

impl Faults {
    /// Makes the `step`-th write from now (0 = the next one) fail with `fault`.
    fn arm(&self, step: usize, fault: Fault) {
        self.writes.store(0, Ordering::SeqCst);
        *self.hit.lock().unwrap() = false;
        *self.armed.lock().unwrap() = Some((step, fault));
    }

    /// Disarms, and says whether the fault was reached.
    fn disarm(&self) -> bool {
        *self.armed.lock().unwrap() = None;
        *self.hit.lock().unwrap()
    }

    /// Runs one write, failing it as armed. The write is a closure: the memory
    /// stores write when called, not when awaited.
    async fn write<T, W>(&self, write: impl FnOnce() -> W) -> Result<T, AuthError>
    where
        W: Future<Output = Result<T, AuthError>>,
    {
        let step = self.writes.fetch_add(1, Ordering::SeqCst);
        let fault = match *self.armed.lock().unwrap() {
            Some((at, fault)) if at == step => Some(fault),
            _ => None,
        };
        let Some(fault) = fault else {
            return write().await;
        };
        *self.hit.lock().unwrap() = true;
        let down = || AuthError::unavailable("flaky store", "injected failure");
        match fault {
            Fault::Refuse => Err(down()),
            Fault::LoseReply => {
                write().await?;
                Err(down())
            }
            Fault::Hang => std::future::pending().await,
            Fault::HangAfterWrite => {
                write().await?;
                std::future::pending().await
            }
        }
    }
}

/// A store whose writes fail as [`Faults`] says; reads pass through.
#[derive(Debug)]
struct Flaky<S> {
    inner: S,
    faults: Arc<Faults>,
}

impl<S: RevocationStore> RevocationStore for Flaky<S> {
    async fn revoke_token(&self, token_id: &str, expires_at: SystemTime) -> Result<(), AuthError> {
        self.faults
            .write(|| self.inner.revoke_token(token_id, expires_at))
            .await
    }

    async fn revoke_subject(
        &self,
        subject: &str,
        issued_before: SystemTime,
    ) -> Result<(), AuthError> {
        self.faults
            .write(|| self.inner.revoke_subject(subject, issued_before))
            .await
    }

    async fn check(&self, token: &TokenRef<'_>) -> Result<(), AuthError> {
        self.inner.check(token).await
    }
}

impl<S: SubjectCutoffs> SubjectCutoffs for Flaky<S> {
    async fn current_cutoff(&self, subject: &str) -> Result<Option<Cutoff>, AuthError> {
        self.inner.current_cutoff(subject).await
    }
}

impl<S: RefreshStore> RefreshStore for Flaky<S> {
    async fn register(&self, family: &RefreshFamily, token_id: &str) -> Result<(), AuthError> {
        self.faults
            .write(|| self.inner.register(family, token_id))
            .await
    }

    async fn rotate(
        &self,
        old_token_id: &str,
        new_token_id: &str,
        grace: Duration,
    ) -> Result<Rotation, AuthError> {
        self.faults
            .write(|| self.inner.rotate(old_token_id, new_token_id, grace))
            .await
    }

    async fn revoke_family(&self, family_id: &str) -> Result<(), AuthError> {
        self.faults
            .write(|| self.inner.revoke_family(family_id))
            .await
    }
}

type FlakyService<R, F, A> = Service<Flaky<R>, Flaky<F>, A>;

/// A service whose issuer writes through flaky stores; the verifier reads `A`.
fn flaky_service<R, F, A>(
    revocations: R,
    refresh_tokens: F,
    verifier: A,
) -> (FlakyService<R, F, A>, Arc<Faults>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let faults = Arc::new(Faults::default());
    let issuer = TokenIssuer::builder(
        signing_key(),
        Flaky {
            inner: revocations,
            faults: Arc::clone(&faults),
        },
        Flaky {
            inner: refresh_tokens,
            faults: Arc::clone(&faults),
        },
    )
    .issuer(ISSUER)
    .audience(AUDIENCE)
    .build()
    .unwrap();
    (Service::new(issuer, verifier), faults)
}

// --- finding 7: a logout interrupted at any step ----------------------------------------

/// How long a hung store write is waited for before the request is dropped.
const HANG: Duration = Duration::from_millis(100);

/// For every store write of a logout and every way it can fail: after the failed
/// logout, the session's refresh token is refused or its access token still
/// works (so the client can retry), and the retry leaves both dead.
async fn an_interrupted_logout_never_leaves_a_live_refresh_token<R, F, A>(
    service: &FlakyService<R, F, A>,
    faults: &Faults,
) where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    for fault in FAULTS {
        for step in 0.. {
            let pair = service.login("alice", &["customer"]).await;
            // An earlier access token of the same session, kept by the client.
            let pair = {
                let earlier = pair.access_token().to_owned();
                let next = service
                    .refresh(pair.refresh_token(), &["customer"])
                    .await
                    .unwrap();
                (earlier, next)
            };
            let (earlier, pair) = pair;
            let user = service.verify(pair.access_token()).await.unwrap();

            faults.arm(step, fault);
            let first = tokio::time::timeout(HANG, service.issuer.logout(&user)).await;
            if !faults.disarm() {
                // Past the last write: the logout went through untouched.
                first.expect("a logout that does not hang").unwrap();
                assert!(step >= 2, "a logout of a session writes at least twice");
                break;
            }
            assert!(
                !matches!(first, Ok(Ok(()))),
                "{fault:?} at step {step}: a failed write must fail the logout"
            );

            let label = format!("{fault:?} at write {step}");
            match service.verify(pair.access_token()).await {
                // The client can retry with the same token, and does.
                Ok(user) => service
                    .issuer
                    .logout(&user)
                    .await
                    .unwrap_or_else(|e| panic!("{label}: the retry failed: {e:?}")),
                // The token is dead (a retry gets a 401): so must the session be.
                Err(error) => {
                    assert!(
                        matches!(error, AuthError::InvalidToken(TokenError::Revoked)),
                        "{label}: {error:?}"
                    );
                    let refresh = service.issuer.refresh(pair.refresh_token()).await;
                    assert!(
                        matches!(refresh, Err(AuthError::InvalidGrant(_))),
                        "{label}: the access token is dead but the refresh token works: {refresh:?}"
                    );
                }
            }
            // Either way, the session is over.
            for access in [pair.access_token(), earlier.as_str()] {
                assert_invalid(service.verify(access).await, TokenError::Revoked);
            }
            assert_refused_grant(
                service.issuer.refresh(pair.refresh_token()).await,
                TokenError::Revoked,
            );
        }
    }
}

#[tokio::test]
async fn logout_interrupted_at_any_step_is_retryable_and_never_leaves_a_live_refresh_token() {
    let revocations = Arc::new(MemoryRevocationStore::new());
    let (service, faults) = flaky_service(
        Arc::clone(&revocations),
        MemoryRefreshStore::new(),
        revocations,
    );
    an_interrupted_logout_never_leaves_a_live_refresh_token(&service, &faults).await;
}

/// A reuse is detected (the family is revoked in the refresh store) but the
/// write that revokes the session's access tokens fails: the refresh is a 503,
/// and the next presentation of any of the family's tokens finishes the job, so
/// the thief's access token does not outlive a failed write.
#[tokio::test]
async fn a_reuse_whose_session_revocation_failed_finishes_on_the_next_attempt() {
    let revocations = Arc::new(MemoryRevocationStore::new());
    let (service, faults) = flaky_service(
        Arc::clone(&revocations),
        MemoryRefreshStore::new(),
        revocations,
    );
    for fault in [Fault::Refuse, Fault::Hang] {
        let stolen = service.login("alice", &["customer"]).await;
        let user = service
            .refresh(stolen.refresh_token(), &["customer"])
            .await
            .unwrap();
        let newest = service
            .refresh(user.refresh_token(), &["customer"])
            .await
            .unwrap();
        // Write 0: the rotation script (reuse detected); write 1: the session.
        faults.arm(1, fault);
        let reuse =
            tokio::time::timeout(HANG, service.issuer.refresh(stolen.refresh_token())).await;
        assert!(faults.disarm(), "{fault:?}: the session write was reached");
        if let Ok(result) = reuse {
            let error = result.unwrap_err();
            assert_eq!(error.status().as_u16(), 503, "{fault:?}: {error:?}");
            assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
        }
        // Any token of the family, presented again: refused, and the session ends.
        assert_refused_grant(
            service.issuer.refresh(newest.refresh_token()).await,
            TokenError::Revoked,
        );
        for access in [
            stolen.access_token(),
            user.access_token(),
            newest.access_token(),
        ] {
            assert_invalid(service.verify(access).await, TokenError::Revoked);
        }
    }
}

/// A token outside any session has one write to revoke: a failure leaves it
/// working, and the retry kills it.
#[tokio::test]
async fn logout_of_a_token_without_session_is_retryable() {
    let revocations = Arc::new(MemoryRevocationStore::new());
    let (service, faults) = flaky_service(
        Arc::clone(&revocations),
        MemoryRefreshStore::new(),
        revocations,
    );
    for fault in [Fault::Refuse, Fault::Hang] {
        let token = service
            .issuer
            .issue_access_token("robot", &claims(&["robot"]))
            .await
            .unwrap();
        let user = service.verify(token.as_str()).await.unwrap();
        faults.arm(0, fault);
        let first = tokio::time::timeout(HANG, service.issuer.logout(&user)).await;
        assert!(faults.disarm());
        assert!(!matches!(first, Ok(Ok(()))));
        let user = service.verify(token.as_str()).await.unwrap();
        service.issuer.logout(&user).await.unwrap();
        assert_invalid(service.verify(token.as_str()).await, TokenError::Revoked);
    }
}

// --- finding 8: "log out everywhere" against clocks and races ------------------------

/// How far ahead the clock of the "fast" issuing instance runs.
const FAST: u64 = 5;
/// The verifier's leeway where a fast clock is tested: its tokens pass it.
const LEEWAY: Duration = Duration::from_secs(10);

/// A memory service whose verifier has `leeway`.
fn memory_service(leeway: Duration) -> MemoryService {
    let revocations = Arc::new(MemoryRevocationStore::new());
    let issuer = TokenIssuer::builder(
        signing_key(),
        Arc::clone(&revocations),
        MemoryRefreshStore::new(),
    )
    .issuer(ISSUER)
    .audience(AUDIENCE)
    .key_id("k1")
    .leeway(LEEWAY)
    .build()
    .unwrap();
    Service::with_leeway(issuer, revocations, leeway)
}

/// An access token of `subject` signed with the issuer's key on an instance whose
/// clock runs [`FAST`] seconds ahead, with `extra` claims.
fn fast_clock_token(subject: &str, extra: &[(&str, serde_json::Value)]) -> String {
    let iat = now() + FAST;
    let mut claims = serde_json::json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": subject,
        "iat": iat, "nbf": iat, "exp": iat + 900,
        "jti": URL_SAFE_NO_PAD.encode(random_bytes()), "roles": ["customer"],
    });
    for (name, value) in extra {
        claims[*name] = value.clone();
    }
    jwt_support::sign(
        jsonwebtoken::Algorithm::HS256,
        &jsonwebtoken::EncodingKey::from_secret(HMAC_SECRET),
        r#"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#,
        &claims.to_string(),
    )
}

/// Registers `family` in `store` as an issuing instance would (a fast-clock one
/// when its login time is ahead), and returns its refresh token.
async fn register_family<F: RefreshStore>(store: &F, family: &RefreshFamily) -> String {
    let secret = URL_SAFE_NO_PAD.encode(random_bytes());
    let digest = (jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
        .key_utils
        .compute_digest)(secret.as_bytes(), ThumbprintHash::SHA256)
    .unwrap();
    store
        .register(family, &URL_SAFE_NO_PAD.encode(digest))
        .await
        .unwrap();
    secret
}

/// 32 bytes, different on every call (the tests need unique ids, not secrets).
fn random_bytes() -> [u8; 32] {
    use std::hash::{BuildHasher as _, RandomState};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let seed = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut bytes = [0_u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let word = RandomState::new().hash_one((seed, i));
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    bytes
}

/// A login session of `subject` started by an instance whose clock runs
/// [`FAST`] seconds ahead, marked with `cutoff` (or unmarked, as an earlier
/// version registered them).
fn fast_clock_family(subject: &str, cutoff: Option<Cutoff>) -> RefreshFamily {
    let login = SystemTime::now() + Duration::from_secs(FAST);
    let id = URL_SAFE_NO_PAD.encode(&random_bytes()[..16]);
    let family = RefreshFamily::new(id, subject, login, login + Duration::from_secs(3_600));
    match cutoff {
        Some(cutoff) => family.with_cutoff(cutoff),
        None => family,
    }
}

/// Waits until just past the start of a wall-clock second, so that what follows
/// runs within one second (and a wait for the next second would show).
async fn start_of_a_second() -> SystemTime {
    let into = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_millis();
    tokio::time::sleep(Duration::from_millis(u64::from(1_020 - into))).await;
    SystemTime::now()
}

fn same_second(a: SystemTime, b: SystemTime) -> bool {
    let secs = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    secs(a) == secs(b)
}

/// The verifier has [`LEEWAY`]: a token stamped [`FAST`] seconds ahead passes,
/// until `logout_all`, whether it carries this issuer's mark or not.
async fn fast_clock_tokens_are_refused_after_logout_all<R, F, A>(service: &Service<R, F, A>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let current = service
        .issuer
        .revocation_store()
        .current_cutoff("alice")
        .await
        .unwrap()
        .unwrap_or(Cutoff::NONE);
    let unmarked = fast_clock_token("alice", &[]);
    let marked = fast_clock_token("alice", &[(CUTOFF_CLAIM, current.as_millis().into())]);
    for token in [&unmarked, &marked] {
        service.verify(token).await.unwrap();
    }
    service.issuer.logout_all("alice").await.unwrap();
    for token in [&unmarked, &marked] {
        assert_invalid(service.verify(token).await, TokenError::SubjectRevoked);
    }
}

/// A session whose login an instance with a fast clock recorded [`FAST`] seconds
/// ahead, marked or not, is refused after `logout_all`.
async fn future_dated_families_are_refused_after_logout_all<R, F, A>(service: &Service<R, F, A>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let current = service
        .issuer
        .revocation_store()
        .current_cutoff("alice")
        .await
        .unwrap()
        .unwrap_or(Cutoff::NONE);
    let mut sessions = Vec::new();
    for cutoff in [None, Some(current)] {
        let family = fast_clock_family("alice", cutoff);
        let refresh = register_family(service.issuer.refresh_store(), &family).await;
        let pair = service
            .refresh(&refresh, &["customer"])
            .await
            .expect("the session works before the logout");
        service.verify(pair.access_token()).await.unwrap();
        sessions.push(pair);
    }
    service.issuer.logout_all("alice").await.unwrap();
    for pair in &sessions {
        assert_invalid(
            service.verify(pair.access_token()).await,
            TokenError::SubjectRevoked,
        );
        assert_refused_grant(
            service.issuer.refresh(pair.refresh_token()).await,
            TokenError::SubjectRevoked,
        );
    }
}

/// The verifier has no leeway: a token stamped ahead to dodge the cutoff would
/// be refused, so the login must be usable at once, without waiting.
async fn a_login_right_after_logout_all_works_at_once<R, F, A>(service: &Service<R, F, A>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let old = service.login("alice", &["customer"]).await;
    start_of_a_second().await;
    service.issuer.logout_all("alice").await.unwrap();
    let started = SystemTime::now();
    let fresh = service.login("alice", &["customer"]).await;
    let waited = SystemTime::now().duration_since(started).unwrap();
    assert!(
        waited < Duration::from_millis(300),
        "the login waited {waited:?}"
    );
    service.verify(fresh.access_token()).await.unwrap();
    let refreshed = service
        .refresh(fresh.refresh_token(), &["customer"])
        .await
        .unwrap();
    service.verify(refreshed.access_token()).await.unwrap();
    assert_invalid(
        service.verify(old.access_token()).await,
        TokenError::SubjectRevoked,
    );
}

async fn two_logouts_all_in_one_second_both_take_effect<R, F, A>(service: &Service<R, F, A>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let start = start_of_a_second().await;
    service.issuer.logout_all("alice").await.unwrap();
    let between = service.login("alice", &["customer"]).await;
    service.verify(between.access_token()).await.unwrap();
    service.issuer.logout_all("alice").await.unwrap();
    assert!(
        same_second(start, SystemTime::now()),
        "the login between the two must not wait for the next second"
    );
    assert_invalid(
        service.verify(between.access_token()).await,
        TokenError::SubjectRevoked,
    );
    assert_refused_grant(
        service.issuer.refresh(between.refresh_token()).await,
        TokenError::SubjectRevoked,
    );
    let after = service.login("alice", &["customer"]).await;
    service.verify(after.access_token()).await.unwrap();
}

/// A refresh accepted just before "log out everywhere" and completed just after
/// hands out nothing that works.
async fn a_refresh_in_flight_across_logout_all_fails_safe<R, F, A>(service: &Service<R, F, A>)
where
    R: SubjectCutoffs,
    F: RefreshStore,
    A: RevocationStore,
{
    let pair = service.login("alice", &["customer"]).await;
    let grant = service.issuer.refresh(pair.refresh_token()).await.unwrap();
    service.issuer.logout_all("alice").await.unwrap();
    let minted = service
        .issuer
        .finish_refresh(grant, &claims(&["customer"]))
        .await
        .unwrap();
    assert_invalid(
        service.verify(minted.access_token()).await,
        TokenError::SubjectRevoked,
    );
    assert_refused_grant(
        service.issuer.refresh(minted.refresh_token()).await,
        TokenError::SubjectRevoked,
    );
}

#[tokio::test]
async fn a_fast_clock_token_is_refused_after_logout_all() {
    fast_clock_tokens_are_refused_after_logout_all(&memory_service(LEEWAY)).await;
}

#[tokio::test]
async fn a_refresh_family_with_a_future_dated_login_is_refused_after_logout_all() {
    future_dated_families_are_refused_after_logout_all(&memory_service(LEEWAY)).await;
}

#[tokio::test]
async fn a_login_right_after_logout_all_works_without_waiting() {
    a_login_right_after_logout_all_works_at_once(&memory_service(Duration::ZERO)).await;
}

#[tokio::test]
async fn two_logout_all_in_the_same_second_both_take_effect() {
    two_logouts_all_in_one_second_both_take_effect(&memory_service(Duration::ZERO)).await;
}

#[tokio::test]
async fn a_refresh_in_flight_across_logout_all_yields_no_live_token() {
    a_refresh_in_flight_across_logout_all_fails_safe(&memory_service(Duration::ZERO)).await;
}

/// A store on which "log out everywhere" lands, once, right after the issuer
/// read the subject's cutoff: on another instance, between the read and the
/// moment the issuer hands its tokens out.
#[derive(Debug)]
struct LogoutAllRacing<S> {
    inner: S,
    armed: std::sync::atomic::AtomicBool,
}

impl<S: RevocationStore> RevocationStore for LogoutAllRacing<S> {
    async fn revoke_token(&self, token_id: &str, expires_at: SystemTime) -> Result<(), AuthError> {
        self.inner.revoke_token(token_id, expires_at).await
    }

    async fn revoke_subject(
        &self,
        subject: &str,
        issued_before: SystemTime,
    ) -> Result<(), AuthError> {
        self.inner.revoke_subject(subject, issued_before).await
    }

    async fn check(&self, token: &TokenRef<'_>) -> Result<(), AuthError> {
        self.inner.check(token).await
    }
}

impl<S: SubjectCutoffs> SubjectCutoffs for LogoutAllRacing<S> {
    async fn current_cutoff(&self, subject: &str) -> Result<Option<Cutoff>, AuthError> {
        let read = self.inner.current_cutoff(subject).await;
        if self.armed.swap(false, Ordering::SeqCst) {
            // A cutoff two seconds back ("every token issued before the password
            // change"): it does not reach the new token's `iat`, so only the
            // mark can tell that the token was minted under the old cutoff.
            let before = SystemTime::now() - Duration::from_secs(2);
            self.inner.revoke_subject(subject, before).await?;
        }
        read
    }
}

/// Logins and direct tokens minted while a subject revocation lands are refused,
/// even when its cutoff does not reach their `iat`.
#[tokio::test]
async fn a_token_minted_concurrently_with_logout_all_fails_safe() {
    for earlier_logout in [false, true] {
        let revocations = Arc::new(MemoryRevocationStore::new());
        if earlier_logout {
            revocations
                .revoke_subject("alice", SystemTime::now())
                .await
                .unwrap();
        }
        let racing = LogoutAllRacing {
            inner: Arc::clone(&revocations),
            armed: true.into(),
        };
        let issuer = TokenIssuer::builder(signing_key(), racing, MemoryRefreshStore::new())
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap();
        let service = Service::new(issuer, revocations);
        let raced = service.login("alice", &["customer"]).await;
        assert_invalid(
            service.verify(raced.access_token()).await,
            TokenError::SubjectRevoked,
        );
        assert_refused_grant(
            service.issuer.refresh(raced.refresh_token()).await,
            TokenError::SubjectRevoked,
        );
        service
            .issuer
            .revocation_store()
            .armed
            .store(true, Ordering::SeqCst);
        let direct = service
            .issuer
            .issue_access_token("alice", &claims(&["robot"]))
            .await
            .unwrap();
        assert_invalid(
            service.verify(direct.as_str()).await,
            TokenError::SubjectRevoked,
        );
        // Once the race is over, a login works.
        let after = service.login("alice", &["customer"]).await;
        service.verify(after.access_token()).await.unwrap();
    }
}

/// The mark is typed like a registered claim: a token whose mark is not a
/// non-negative integer is invalid, never judged as if unmarked.
#[tokio::test]
async fn a_cutoff_mark_of_the_wrong_type_is_an_invalid_token() {
    let service = memory_service(LEEWAY);
    for mark in [
        serde_json::json!("99999999999999"),
        serde_json::json!(1.5),
        serde_json::json!(-1),
        serde_json::json!(null),
        serde_json::json!([0]),
    ] {
        let token = fast_clock_token("alice", &[(CUTOFF_CLAIM, mark.clone())]);
        assert_invalid(
            service.verify(&token).await,
            TokenError::InvalidClaim(CUTOFF_CLAIM),
        );
    }
}

#[test]
fn the_issuer_leeway_is_bounded_and_preset_on_its_verifiers() {
    let builder = || {
        TokenIssuer::builder(
            signing_key(),
            MemoryRevocationStore::new(),
            MemoryRefreshStore::new(),
        )
        .issuer(ISSUER)
        .audience(AUDIENCE)
    };
    assert_eq!(
        builder().build().unwrap().leeway(),
        auth_core::jwt::DEFAULT_LEEWAY
    );
    assert!(matches!(
        builder().leeway(Duration::from_secs(301)).build(),
        Err(auth_core::jwt::IssuerConfigError::Leeway {
            seconds: 301,
            maximum: 300
        })
    ));
    assert_eq!(
        builder()
            .leeway(Duration::from_secs(7))
            .build()
            .unwrap()
            .leeway(),
        Duration::from_secs(7)
    );
}

#[cfg(unix)]
mod redis {
    use auth_core::revocation::{RedisRefreshStore, RedisRevocationStore};
    use auth_integration::redis_server::RedisServer;

    use super::jwt_support::service::redis::{WAIT, connect};
    use super::*;

    type RedisService = Service<RedisRevocationStore, RedisRefreshStore, RedisRevocationStore>;

    /// Two instances on one server, the verifier with `leeway`.
    async fn redis_service(server: &RedisServer, leeway: Duration) -> RedisService {
        let issuing = connect(server).await;
        let issuer = TokenIssuer::builder(
            signing_key(),
            RedisRevocationStore::new(issuing.clone()),
            RedisRefreshStore::new(issuing),
        )
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .key_id("k1")
        .leeway(LEEWAY)
        .build()
        .unwrap();
        let verifying = RedisRevocationStore::new(connect(server).await);
        Service::with_leeway(issuer, verifying, leeway)
    }

    /// Runs `flow` on a fresh server, its verifier with `leeway`.
    macro_rules! with_redis {
        ($flow:ident, $leeway:expr) => {{
            let Some(server) = RedisServer::start() else {
                return;
            };
            let service = redis_service(&server, $leeway).await;
            tokio::time::timeout(WAIT * 3, $flow(&service))
                .await
                .expect("the flow finishes in time");
        }};
    }

    #[tokio::test]
    async fn redis_a_fast_clock_token_is_refused_after_logout_all() {
        with_redis!(fast_clock_tokens_are_refused_after_logout_all, LEEWAY);
    }

    #[tokio::test]
    async fn redis_a_refresh_family_with_a_future_dated_login_is_refused_after_logout_all() {
        with_redis!(future_dated_families_are_refused_after_logout_all, LEEWAY);
    }

    #[tokio::test]
    async fn redis_a_login_right_after_logout_all_works_without_waiting() {
        with_redis!(a_login_right_after_logout_all_works_at_once, Duration::ZERO);
    }

    #[tokio::test]
    async fn redis_two_logout_all_in_the_same_second_both_take_effect() {
        with_redis!(
            two_logouts_all_in_one_second_both_take_effect,
            Duration::ZERO
        );
    }

    #[tokio::test]
    async fn redis_a_refresh_in_flight_across_logout_all_yields_no_live_token() {
        with_redis!(
            a_refresh_in_flight_across_logout_all_fails_safe,
            Duration::ZERO
        );
    }

    #[tokio::test]
    async fn redis_logout_interrupted_at_any_step_is_retryable_and_never_leaves_a_live_refresh_token()
     {
        let Some(server) = RedisServer::start() else {
            return;
        };
        let issuing = connect(&server).await;
        let (service, faults) = flaky_service(
            RedisRevocationStore::new(issuing.clone()),
            RedisRefreshStore::new(issuing),
            RedisRevocationStore::new(connect(&server).await),
        );
        tokio::time::timeout(
            WAIT * 3,
            an_interrupted_logout_never_leaves_a_live_refresh_token(&service, &faults),
        )
        .await
        .expect("the flow finishes in time");
    }
}
