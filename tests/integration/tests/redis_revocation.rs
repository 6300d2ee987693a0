//! The Redis stores against a real `redis-server` on loopback.
//!
//! Each test starts its own server on a free port (no persistence), so tests are
//! self-contained and run in parallel. Two `RedisConnection`s stand for two
//! instances of a service. Without `redis-server` on `PATH` the tests are skipped
//! with a note, except under `CI=true`, where that is a failure.
//!
//! Every wait is bounded: no test can hang.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::error::Error as _;
use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth_core::revocation::{
    Cutoff, MemoryRefreshStore, MemoryRevocationStore, RedisConnection, RedisOptions,
    RedisRefreshStore, RedisRevocationStore, RefreshFamily, RefreshStore, Retention,
    RevocationStore, Rotation, StoreError, SubjectCutoffs, TokenRef,
};
use auth_core::{AuthError, TokenError};
use auth_integration::redis_server::RedisServer;

/// The bound on each store call in these tests.
const CALL_TIMEOUT: Duration = Duration::from_millis(300);
/// How late past [`CALL_TIMEOUT`] a failure may arrive on a busy machine.
const SLACK: Duration = Duration::from_millis(700);
/// The outer bound on anything a test awaits.
const WAIT: Duration = Duration::from_secs(10);
/// No grace window: a used token is a reuse at once.
const NO_GRACE: Duration = Duration::ZERO;

/// One "service instance": its own connection to the shared server.
async fn instance(server: &RedisServer, prefix: &str) -> RedisConnection {
    let options = RedisOptions::new(server.url())
        .prefix(prefix)
        .timeout(CALL_TIMEOUT);
    bounded(RedisConnection::connect(options))
        .await
        .expect("connects to the test server")
}

/// Awaits `future`, failing the test if it takes longer than [`WAIT`].
async fn bounded<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("a store call outlived every timeout")
}

/// Now, truncated to whole milliseconds (what Redis keeps).
fn now_ms() -> SystemTime {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap())
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

/// A token of `subject` marked with the cutoff it was minted under, stamped
/// `iat` (which a marked token is not judged by).
fn marked(subject: &str, iat: SystemTime, cutoff: Option<Cutoff>) -> TokenRef<'_> {
    TokenRef {
        cutoff: Some(cutoff.unwrap_or(Cutoff::NONE)),
        ..token(None, subject, Some(iat))
    }
}

fn assert_unavailable(result: Result<(), AuthError>, component: &str) {
    match result {
        Err(AuthError::Unavailable { component: got, .. }) => {
            assert_eq!(got, component);
        }
        other => panic!("expected a 503 from the {component}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_token_revoked_on_one_instance_is_refused_on_another() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = RedisRevocationStore::new(instance(&server, "svc:").await);
    let b = RedisRevocationStore::new(instance(&server, "svc:").await);
    let other_service = RedisRevocationStore::new(instance(&server, "other:").await);

    let exp = SystemTime::now() + Duration::from_secs(900);
    bounded(a.revoke_token("jti-1", exp)).await.unwrap();

    let revoked = token(Some("jti-1"), "alice", Some(SystemTime::now()));
    let result = bounded(b.check(&revoked)).await;
    assert!(matches!(
        result,
        Err(AuthError::InvalidToken(TokenError::Revoked))
    ));
    assert_eq!(result.unwrap_err().status().as_u16(), 401);
    let fine = token(Some("jti-2"), "alice", Some(SystemTime::now()));
    bounded(b.check(&fine)).await.unwrap();
    // Keys are namespaced: another prefix sees nothing.
    bounded(other_service.check(&revoked)).await.unwrap();
}

#[tokio::test]
async fn a_revoked_token_is_forgotten_after_exp_plus_grace() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let retention = Retention::new().with_token_grace(Duration::from_millis(200));
    let store =
        RedisRevocationStore::new(instance(&server, "svc:").await).with_retention(retention);
    let exp = SystemTime::now() + Duration::from_millis(300);
    bounded(store.revoke_token("short", exp)).await.unwrap();
    let revoked = token(Some("short"), "alice", None);
    assert!(bounded(store.check(&revoked)).await.is_err());
    tokio::time::sleep(Duration::from_millis(700)).await;
    bounded(store.check(&revoked)).await.unwrap();
    // A token already past its exp and grace is not stored at all.
    let long_ago = SystemTime::now() - Duration::from_secs(3600);
    bounded(store.revoke_token("old", long_ago)).await.unwrap();
    bounded(store.check(&token(Some("old"), "alice", None)))
        .await
        .unwrap();
}

#[tokio::test]
async fn revoking_a_token_again_never_shortens_its_revocation() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let retention = Retention::new().with_token_grace(Duration::ZERO);
    let a = RedisRevocationStore::new(instance(&server, "svc:").await).with_retention(retention);
    let b = RedisRevocationStore::new(instance(&server, "svc:").await).with_retention(retention);
    let now = SystemTime::now();
    bounded(a.revoke_token("jti", now + Duration::from_secs(900)))
        .await
        .unwrap();
    bounded(b.revoke_token("jti", now + Duration::from_millis(200)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(matches!(
        bounded(b.check(&token(Some("jti"), "alice", None))).await,
        Err(AuthError::InvalidToken(TokenError::Revoked))
    ));
}

fn is_subject_revoked(result: &Result<(), AuthError>) -> bool {
    matches!(
        result,
        Err(AuthError::InvalidToken(TokenError::SubjectRevoked))
    )
}

/// "Log out everywhere" on instance `a`, checked on instance `b`, at the instant
/// `now`: the same steps and the same expectations for every store. Returns the
/// cutoffs the store went through, for comparing stores with each other.
async fn subject_cutoffs_behave<S: SubjectCutoffs>(a: &S, b: &S, now: SystemTime) -> Vec<Cutoff> {
    const LEEWAY: Duration = Duration::from_secs(10);
    let secs = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
    let second = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let check = |token: TokenRef<'static>| async move { bounded(b.check(&token)).await };
    assert_eq!(bounded(b.current_cutoff("alice")).await.unwrap(), None);
    check(marked("alice", now, None)).await.unwrap();

    // Log out everywhere, covering the verifiers' leeway.
    bounded(a.revoke_subject("alice", now + LEEWAY))
        .await
        .unwrap();
    let first = bounded(b.current_cutoff("alice")).await.unwrap().unwrap();
    // Unmarked tokens: every `iat` up to now + leeway, and none without `iat`.
    for iat in [
        Some(now - Duration::from_secs(600)),
        Some(secs(second)),
        Some(secs(second + 5)), // a clock running 5 s ahead
        Some(secs(second + 10)),
        None,
    ] {
        let result = check(token(Some("t"), "alice", iat)).await;
        assert!(is_subject_revoked(&result), "iat {iat:?}: {result:?}");
    }
    check(token(Some("t"), "alice", Some(secs(second + 11))))
        .await
        .unwrap();
    // Marked tokens: by their mark, whatever their `iat`.
    let fast = marked("alice", secs(second + 5), None);
    assert!(is_subject_revoked(&check(fast).await));
    let fresh = marked("alice", now, Some(first));
    check(fresh).await.unwrap();

    // The same instant again: a new cutoff, which revokes what the first let in.
    bounded(a.revoke_subject("alice", now + LEEWAY))
        .await
        .unwrap();
    let second_cutoff = bounded(b.current_cutoff("alice")).await.unwrap().unwrap();
    assert!(second_cutoff > first);
    assert!(is_subject_revoked(&check(fresh).await));
    check(marked("alice", now, Some(second_cutoff)))
        .await
        .unwrap();
    // An older instant still moves it forward, never back.
    bounded(a.revoke_subject("alice", now - Duration::from_secs(3_600)))
        .await
        .unwrap();
    let third = bounded(b.current_cutoff("alice")).await.unwrap().unwrap();
    assert!(third > second_cutoff);
    let result = check(token(None, "alice", Some(secs(second + 10)))).await;
    assert!(is_subject_revoked(&result));
    // Other subjects are untouched.
    check(token(None, "bob", Some(secs(second)))).await.unwrap();
    check(marked("bob", now, None)).await.unwrap();
    vec![first, second_cutoff, third]
}

#[tokio::test]
async fn the_redis_store_agrees_with_the_memory_store_on_subject_cutoffs() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let now = now_ms();
    let memory = std::sync::Arc::new(MemoryRevocationStore::new());
    let in_memory = subject_cutoffs_behave(&memory, &memory, now).await;
    let a = RedisRevocationStore::new(instance(&server, "svc:").await);
    let b = RedisRevocationStore::new(instance(&server, "svc:").await);
    let in_redis = subject_cutoffs_behave(&a, &b, now).await;
    assert_eq!(in_memory, in_redis);
}

/// Two "log out everywhere" of one subject on two instances at once: both take
/// effect, as two distinct cutoffs.
#[tokio::test]
async fn concurrent_logouts_everywhere_each_raise_the_cutoff() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = RedisRevocationStore::new(instance(&server, "svc:").await);
    let b = RedisRevocationStore::new(instance(&server, "svc:").await);
    let now = now_ms();
    for _ in 0..10 {
        let before = bounded(a.current_cutoff("alice")).await.unwrap();
        let (x, y) = bounded(async {
            tokio::join!(
                a.revoke_subject("alice", now),
                b.revoke_subject("alice", now)
            )
        })
        .await;
        x.unwrap();
        y.unwrap();
        let after = bounded(b.current_cutoff("alice")).await.unwrap().unwrap();
        let expected = before.map_or(now_millis(now) + 1, |c| c.as_millis() + 2);
        assert_eq!(after.as_millis(), expected);
    }
}

/// A cutoff in whole seconds, as an earlier version of this crate stored it,
/// still revokes every token of its second, and is raised from there.
#[tokio::test]
async fn a_cutoff_in_seconds_from_an_earlier_version_still_counts() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisRevocationStore::new(instance(&server, "svc:").await);
    let second = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let port = server
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let status = std::process::Command::new("redis-cli")
        .args([
            "-p",
            &port,
            "SET",
            "svc:revoked:sub:carol",
            &second.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("redis-cli runs");
    assert!(status.success());
    let at = |s: u64| Some(UNIX_EPOCH + Duration::from_secs(s));
    let result = bounded(store.check(&token(None, "carol", at(second)))).await;
    assert!(is_subject_revoked(&result), "{result:?}");
    bounded(store.check(&token(None, "carol", at(second + 1))))
        .await
        .unwrap();
    let legacy = Cutoff::from_millis(second * 1_000 + 999);
    assert_eq!(
        bounded(store.current_cutoff("carol")).await.unwrap(),
        Some(legacy)
    );
    bounded(store.revoke_subject("carol", UNIX_EPOCH + Duration::from_secs(second)))
        .await
        .unwrap();
    assert_eq!(
        bounded(store.current_cutoff("carol")).await.unwrap(),
        Some(Cutoff::from_millis(legacy.as_millis() + 1))
    );
}

fn now_millis(t: SystemTime) -> u64 {
    u64::try_from(t.duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

fn family(id: &str, now: SystemTime) -> RefreshFamily {
    RefreshFamily::new(id, "alice", now, now + Duration::from_secs(3600))
        .with_cutoff(Cutoff::from_millis(now_millis(now)))
}

/// Families keep the cutoff of their login (or none, as earlier versions
/// registered them) in Redis as in memory.
#[tokio::test]
async fn refresh_families_keep_their_cutoff_in_both_stores() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let redis = RedisRefreshStore::new(instance(&server, "svc:").await);
    let memory = MemoryRefreshStore::new();
    let now = now_ms();
    for (id, fam) in [
        ("marked", family("marked", now)),
        ("none", family("none", now).with_cutoff(Cutoff::NONE)),
        (
            "legacy",
            RefreshFamily::new("legacy", "alice", now, now + Duration::from_secs(60)),
        ),
    ] {
        let (old, new) = (format!("{id}-1"), format!("{id}-2"));
        bounded(redis.register(&fam, &old)).await.unwrap();
        bounded(memory.register(&fam, &old)).await.unwrap();
        let rotated = Rotation::Rotated(fam.clone());
        assert_eq!(
            bounded(redis.rotate(&old, &new, NO_GRACE)).await.unwrap(),
            rotated
        );
        assert_eq!(
            bounded(memory.rotate(&old, &new, NO_GRACE)).await.unwrap(),
            rotated
        );
    }
}

#[tokio::test]
async fn refresh_rotation_and_reuse_detection_hold_across_instances() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = RedisRefreshStore::new(instance(&server, "svc:").await);
    let b = RedisRefreshStore::new(instance(&server, "svc:").await);
    let now = now_ms();
    let fam = family("fam-1", now);

    bounded(a.register(&fam, "r1")).await.unwrap();
    // Instance B rotates the token instance A issued.
    assert_eq!(
        bounded(b.rotate("r1", "r2", NO_GRACE)).await.unwrap(),
        Rotation::Rotated(fam.clone())
    );
    // r1 comes back to instance A: reuse, and the whole family is revoked.
    assert_eq!(
        bounded(a.rotate("r1", "r3", NO_GRACE)).await.unwrap(),
        Rotation::Reused(fam.clone())
    );
    assert_eq!(
        bounded(b.rotate("r2", "r4", NO_GRACE)).await.unwrap(),
        Rotation::Revoked(fam.clone())
    );
    assert_eq!(
        bounded(b.rotate("r3", "r5", NO_GRACE)).await.unwrap(),
        Rotation::Unknown
    );
    assert_eq!(
        bounded(a.rotate("nope", "r6", NO_GRACE)).await.unwrap(),
        Rotation::Unknown
    );

    // Logout on A revokes the family for B.
    let fam2 = family("fam-2", now);
    bounded(a.register(&fam2, "s1")).await.unwrap();
    bounded(a.revoke_family("fam-2")).await.unwrap();
    bounded(a.revoke_family("never-existed")).await.unwrap();
    assert_eq!(
        bounded(b.rotate("s1", "s2", NO_GRACE)).await.unwrap(),
        Rotation::Revoked(fam2)
    );

    // Ids are unique: a taken family or token id is refused, and changes nothing.
    let fam3 = family("fam-3", now);
    bounded(a.register(&fam3, "t1")).await.unwrap();
    for (family_id, token_id) in [("fam-3", "t9"), ("fam-9", "t1")] {
        let err = bounded(b.register(&family(family_id, now), token_id))
            .await
            .unwrap_err();
        let source = err.source().and_then(|s| s.downcast_ref::<StoreError>());
        assert!(matches!(source, Some(StoreError::DuplicateId)), "{err:?}");
    }
    let err = bounded(b.rotate("t1", "r1", NO_GRACE)).await.unwrap_err();
    assert_eq!(err.status().as_u16(), 503);
    assert!(matches!(
        bounded(b.rotate("t1", "t2", NO_GRACE)).await.unwrap(),
        Rotation::Rotated(_)
    ));
}

#[tokio::test]
async fn concurrent_rotations_of_one_token_yield_one_winner() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = RedisRefreshStore::new(instance(&server, "svc:").await);
    let b = RedisRefreshStore::new(instance(&server, "svc:").await);
    for round in 0..20 {
        let fam = family(&format!("fam-{round}"), now_ms());
        let old = format!("old-{round}");
        bounded(a.register(&fam, &old)).await.unwrap();
        let (new_a, new_b) = (format!("a-{round}"), format!("b-{round}"));
        let (x, y) = bounded(async {
            tokio::join!(
                a.rotate(&old, &new_a, NO_GRACE),
                b.rotate(&old, &new_b, NO_GRACE)
            )
        })
        .await;
        let mut outcomes = [x.unwrap(), y.unwrap()];
        outcomes.sort_by_key(|o| matches!(o, Rotation::Reused(_)));
        assert!(
            matches!(outcomes, [Rotation::Rotated(_), Rotation::Reused(_)]),
            "round {round}: {outcomes:?}"
        );
    }
}

/// Redis dies mid-test: every call fails closed with a 503 within the timeout;
/// Redis comes back on the same port: calls succeed again, with no new store.
#[tokio::test]
async fn a_dead_redis_fails_closed_then_recovers() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let revocations = RedisRevocationStore::new(instance(&server, "svc:").await);
    let refresh = RedisRefreshStore::new(instance(&server, "svc:").await);
    let fresh = token(Some("jti-ok"), "alice", Some(SystemTime::now()));
    bounded(revocations.check(&fresh)).await.unwrap();

    server.kill();

    let started = Instant::now();
    let result = bounded(revocations.check(&fresh)).await;
    assert!(started.elapsed() < CALL_TIMEOUT + SLACK);
    let err = result.unwrap_err();
    assert_eq!(err.status().as_u16(), 503);
    assert_eq!(err.code(), "temporarily_unavailable");
    assert_unavailable(Err(err), "revocation store");
    // Every other operation fails closed too, each within its bound.
    for _ in 0..3 {
        let started = Instant::now();
        assert_unavailable(bounded(revocations.check(&fresh)).await, "revocation store");
        assert!(started.elapsed() < CALL_TIMEOUT + SLACK);
    }
    let exp = SystemTime::now() + Duration::from_secs(900);
    assert_unavailable(
        bounded(revocations.revoke_token("jti-x", exp)).await,
        "revocation store",
    );
    assert_unavailable(
        bounded(revocations.revoke_subject("alice", SystemTime::now())).await,
        "revocation store",
    );
    assert!(bounded(revocations.current_cutoff("alice")).await.is_err());
    assert_unavailable(
        bounded(refresh.register(&family("fam", now_ms()), "r1")).await,
        "refresh token store",
    );
    assert!(matches!(
        bounded(refresh.rotate("r1", "r2", NO_GRACE)).await,
        Err(AuthError::Unavailable { .. })
    ));

    server.spawn();

    // The same store objects recover by themselves.
    let deadline = Instant::now() + WAIT;
    while bounded(revocations.check(&fresh)).await.is_err() {
        assert!(Instant::now() < deadline, "the store did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bounded(revocations.revoke_token("jti-ok", exp))
        .await
        .unwrap();
    assert!(matches!(
        bounded(revocations.check(&fresh)).await,
        Err(AuthError::InvalidToken(TokenError::Revoked))
    ));
    let deadline = Instant::now() + WAIT;
    while bounded(refresh.register(&family("fam", now_ms()), "r1"))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the refresh store did not recover"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(matches!(
        bounded(refresh.rotate("r1", "r2", NO_GRACE)).await.unwrap(),
        Rotation::Rotated(_)
    ));
}

/// A frozen Redis (connection open, no answer) cannot hang a request.
#[tokio::test]
async fn a_hung_redis_fails_closed_within_the_timeout() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let revocations = RedisRevocationStore::new(instance(&server, "svc:").await);
    let refresh = RedisRefreshStore::new(instance(&server, "svc:").await);
    let fresh = token(Some("jti"), "alice", Some(SystemTime::now()));
    bounded(revocations.check(&fresh)).await.unwrap();

    server.signal("STOP");
    for _ in 0..2 {
        let started = Instant::now();
        let result = bounded(revocations.check(&fresh)).await;
        let elapsed = started.elapsed();
        assert_unavailable(result, "revocation store");
        assert!(
            elapsed >= CALL_TIMEOUT / 2 && elapsed < CALL_TIMEOUT + SLACK,
            "answered after {elapsed:?}"
        );
    }
    let started = Instant::now();
    assert!(matches!(
        bounded(refresh.rotate("r1", "r2", NO_GRACE)).await,
        Err(AuthError::Unavailable { .. })
    ));
    assert!(started.elapsed() < CALL_TIMEOUT + SLACK);
    server.signal("CONT");

    let deadline = Instant::now() + WAIT;
    while bounded(revocations.check(&fresh)).await.is_err() {
        assert!(Instant::now() < deadline, "the store did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn connecting_to_nothing_fails_within_the_timeout() {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let options = RedisOptions::new(format!("redis://127.0.0.1:{port}/")).timeout(CALL_TIMEOUT);
    let started = Instant::now();
    let err = bounded(RedisConnection::connect(options))
        .await
        .unwrap_err();
    assert!(started.elapsed() < CALL_TIMEOUT + SLACK);
    assert!(matches!(
        err,
        AuthError::Unavailable {
            component: "redis",
            ..
        }
    ));
    // The URL (which may hold a password) never shows in `Debug`.
    let options = RedisOptions::new("redis://:hunter2@127.0.0.1:1/");
    assert!(!format!("{options:?}").contains("hunter2"));
    let err = bounded(RedisConnection::connect(RedisOptions::new("not a url")))
        .await
        .unwrap_err();
    assert_eq!(err.status().as_u16(), 503);
}

/// The grace window on Redis, across instances: instance B retries the
/// predecessor of a rotation made on A; only the immediate predecessor, only
/// within the window (measured on Redis's clock), and a replaced successor is a
/// used token.
#[tokio::test]
async fn the_grace_window_holds_across_instances() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = RedisRefreshStore::new(instance(&server, "svc:").await);
    let b = RedisRefreshStore::new(instance(&server, "svc:").await);
    let grace = Duration::from_millis(800);
    let now = now_ms();

    let fam = family("fam-1", now);
    bounded(a.register(&fam, "r1")).await.unwrap();
    assert_eq!(
        bounded(a.rotate("r1", "r2", grace)).await.unwrap(),
        Rotation::Rotated(fam.clone())
    );
    // r2's answer was lost; the retry lands on B: r3 replaces r2.
    assert_eq!(
        bounded(b.rotate("r1", "r3", grace)).await.unwrap(),
        Rotation::Retried(fam.clone())
    );
    // r2 is a used token now: presenting it is a reuse.
    assert_eq!(
        bounded(a.rotate("r2", "r4", grace)).await.unwrap(),
        Rotation::Reused(fam.clone())
    );
    assert_eq!(
        bounded(b.rotate("r3", "r5", grace)).await.unwrap(),
        Rotation::Revoked(fam)
    );

    // Only the immediate predecessor, and only within the window.
    let fam = family("fam-2", now);
    bounded(a.register(&fam, "s1")).await.unwrap();
    for (old, new) in [("s1", "s2"), ("s2", "s3")] {
        assert!(matches!(
            bounded(a.rotate(old, new, grace)).await.unwrap(),
            Rotation::Rotated(_)
        ));
    }
    assert!(matches!(
        bounded(b.rotate("s1", "s9", grace)).await.unwrap(),
        Rotation::Reused(_)
    ));
    let fam = family("fam-3", now);
    bounded(a.register(&fam, "t1")).await.unwrap();
    assert!(matches!(
        bounded(a.rotate("t1", "t2", grace)).await.unwrap(),
        Rotation::Rotated(_)
    ));
    tokio::time::sleep(grace + Duration::from_millis(200)).await;
    assert!(matches!(
        bounded(b.rotate("t1", "t3", grace)).await.unwrap(),
        Rotation::Reused(_)
    ));
    // The scope granted at the login comes back with the family.
    let scoped =
        family("fam-4", now).with_scope(auth_core::Scopes::from_space_separated("orders:read"));
    bounded(a.register(&scoped, "u1")).await.unwrap();
    assert_eq!(
        bounded(b.rotate("u1", "u2", grace)).await.unwrap(),
        Rotation::Rotated(scoped)
    );
}

// --- the issuer over a stalling Redis ---------------------------------------------------

mod stall {
    use std::sync::Arc;

    use auth_core::jwt::{AccessClaims, HmacAlgorithm, PrincipalMapper, SigningKey, TokenIssuer};
    use auth_core::{GrantError, authenticate};

    use super::*;

    type Issuer = TokenIssuer<Arc<RedisRevocationStore>, RedisRefreshStore>;

    async fn issuer(server: &RedisServer, grace: Duration) -> (Issuer, Arc<RedisRevocationStore>) {
        let connection = instance(server, "stall:").await;
        let revocations = Arc::new(RedisRevocationStore::new(connection.clone()));
        let key =
            SigningKey::hmac(HmacAlgorithm::HS256, b"a test secret of at least 32 bytes").unwrap();
        let issuer = TokenIssuer::builder(
            key,
            Arc::clone(&revocations),
            RedisRefreshStore::new(connection),
        )
        .issuer("stall-test")
        .audience("stall-test")
        .refresh_grace(grace)
        .build()
        .unwrap();
        (issuer, revocations)
    }

    /// `CLIENT PAUSE <ms> WRITE`, from a connection of its own (`redis-cli`):
    /// reads go on, writes (the rotation script) wait, then run.
    fn pause_writes(server: &RedisServer, pause: Duration) {
        let port = server
            .url()
            .rsplit(':')
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_owned();
        let status = std::process::Command::new("redis-cli")
            .args(["-p", &port, "CLIENT", "PAUSE"])
            .arg(pause.as_millis().to_string())
            .arg("WRITE")
            .stdout(std::process::Stdio::null())
            .status()
            .expect("redis-cli runs");
        assert!(status.success());
    }

    fn refused(result: Result<impl std::fmt::Debug, AuthError>) {
        let error = result.unwrap_err();
        assert!(
            matches!(
                error,
                AuthError::InvalidGrant(GrantError::RefreshToken(TokenError::Revoked))
            ),
            "{error:?}"
        );
        assert_eq!(error.status().as_u16(), 400);
    }

    /// Redis stalls during a refresh: the client gets a 503 (with `Retry-After`),
    /// the rotation runs when Redis resumes, and the client's retry with the same
    /// token continues the session instead of revoking it as a reuse.
    #[tokio::test]
    async fn a_refresh_retried_after_a_redis_stall_continues_the_session() {
        let Some(server) = RedisServer::start() else {
            return;
        };
        let (issuer, revocations) = issuer(&server, Duration::from_secs(30)).await;
        let claims = AccessClaims::new().roles(["customer"]).scope("orders:read");
        let pair = bounded(issuer.login("alice", &claims)).await.unwrap();
        // One refresh first: the rotation script is loaded on the server, so the
        // stalled call is the script itself.
        let grant = bounded(issuer.refresh(pair.refresh_token())).await.unwrap();
        let pair = bounded(issuer.finish_refresh(grant, &claims))
            .await
            .unwrap();

        let pause = Duration::from_millis(1_500);
        pause_writes(&server, pause);
        let paused_at = Instant::now();
        let stalled = bounded(issuer.refresh(pair.refresh_token())).await;
        let error = stalled.unwrap_err();
        assert_eq!(error.status().as_u16(), 503, "{error:?}");
        assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
        assert!(paused_at.elapsed() < pause, "answered before Redis resumed");

        // Redis resumes and runs the rotation nobody waits for any more.
        tokio::time::sleep(pause.saturating_sub(paused_at.elapsed()) + Duration::from_millis(300))
            .await;
        let retry = bounded(issuer.refresh(pair.refresh_token())).await.unwrap();
        assert!(
            retry.is_retry(),
            "the stalled rotation ran: this is a retry"
        );
        assert_eq!(retry.scope().as_str(), "orders:read");
        let next = bounded(issuer.finish_refresh(retry, &claims))
            .await
            .unwrap();
        assert_eq!(next.family().id, pair.family().id);
        let authenticator = issuer
            .authenticator_builder(PrincipalMapper::new())
            .revocation(Arc::clone(&revocations))
            .build()
            .unwrap();
        let request = http_request(next.access_token());
        bounded(authenticate(&authenticator, &request))
            .await
            .unwrap();
        // The session goes on.
        let grant = bounded(issuer.refresh(next.refresh_token())).await.unwrap();
        assert!(!grant.is_retry());
        let last = bounded(issuer.finish_refresh(grant, &claims))
            .await
            .unwrap();
        // And a real reuse (the token of two rotations ago) still ends it.
        refused(bounded(issuer.refresh(pair.refresh_token())).await);
        refused(bounded(issuer.refresh(last.refresh_token())).await);
        assert!(
            bounded(authenticate(
                &authenticator,
                &http_request(last.access_token())
            ))
            .await
            .is_err()
        );
    }

    /// After the grace window, presenting the predecessor is a reuse again: the
    /// family and its access tokens are revoked.
    #[tokio::test]
    async fn a_reuse_after_the_grace_window_still_revokes_the_family() {
        let Some(server) = RedisServer::start() else {
            return;
        };
        let grace = Duration::from_millis(500);
        let (issuer, revocations) = issuer(&server, grace).await;
        let claims = AccessClaims::new().roles(["customer"]);
        let first = bounded(issuer.login("alice", &claims)).await.unwrap();
        let grant = bounded(issuer.refresh(first.refresh_token()))
            .await
            .unwrap();
        let second = bounded(issuer.finish_refresh(grant, &claims))
            .await
            .unwrap();
        tokio::time::sleep(grace + Duration::from_millis(300)).await;
        refused(bounded(issuer.refresh(first.refresh_token())).await);
        refused(bounded(issuer.refresh(second.refresh_token())).await);
        let authenticator = issuer
            .authenticator_builder(PrincipalMapper::new())
            .revocation(revocations)
            .build()
            .unwrap();
        let result = bounded(authenticate(
            &authenticator,
            &http_request(second.access_token()),
        ))
        .await;
        assert!(
            matches!(result, Err(AuthError::InvalidToken(TokenError::Revoked))),
            "{result:?}"
        );
    }

    fn http_request(token: &str) -> http::request::Parts {
        http::Request::builder()
            .header("authorization", format!("Bearer {token}"))
            .body(())
            .unwrap()
            .into_parts()
            .0
    }
}
