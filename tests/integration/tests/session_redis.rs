//! Server-side sessions on a real `redis-server`: two authenticators sharing one
//! Redis stand for two instances of a service.
//!
//! Each test starts its own server on a free port. Without `redis-server` on
//! `PATH` the tests are skipped with a note, except under `CI=true`, where that is
//! a failure. Every wait is bounded.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth_core::revocation::{RedisConnection, RedisOptions};
use auth_core::session::{
    NewSession, RedisSessionStore, Rotation, SessionAuthenticator, SessionStore, Sessions,
};
use auth_core::{AuthError, LoadUser, TokenError, authenticate};
use auth_integration::redis_server::RedisServer;
use http::request::Parts;

const CALL_TIMEOUT: Duration = Duration::from_millis(300);
const WAIT: Duration = Duration::from_secs(10);
const PREFIX: &str = "shop:";

#[derive(Clone, Default)]
struct Users(Arc<Mutex<HashMap<String, bool>>>);

impl LoadUser for Users {
    /// Whether the user is an admin.
    type User = bool;

    async fn load(&self, subject: &str) -> Result<Option<bool>, AuthError> {
        Ok(self.0.lock().unwrap().get(subject).copied())
    }
}

type Authenticator = SessionAuthenticator<RedisSessionStore, Users>;

/// One instance of the service: its own connection, its sessions, its authenticator.
struct Instance {
    sessions: Sessions<RedisSessionStore>,
    authenticator: Authenticator,
}

async fn instance(server: &RedisServer, users: &Users, idle: Duration) -> Instance {
    let options = RedisOptions::new(server.url())
        .prefix(PREFIX)
        .timeout(CALL_TIMEOUT);
    let redis = bounded(RedisConnection::connect(options)).await.unwrap();
    let sessions = Sessions::builder(RedisSessionStore::new(redis))
        .cookie_name("sid")
        .idle_timeout(idle)
        .build()
        .unwrap();
    let authenticator = SessionAuthenticator::builder(sessions.clone(), users.clone())
        .build()
        .unwrap();
    Instance {
        sessions,
        authenticator,
    }
}

/// A server and two instances on it, with the user `alice`.
async fn two_instances(idle: Duration) -> Option<(RedisServer, Instance, Instance, Users)> {
    let server = RedisServer::start()?;
    let users = Users::default();
    users.0.lock().unwrap().insert("alice".to_owned(), true);
    let a = instance(&server, &users, idle).await;
    let b = instance(&server, &users, idle).await;
    Some((server, a, b, users))
}

async fn bounded<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("a call outlived every timeout")
}

fn cookie_of(new: &NewSession) -> String {
    format!("__Host-sid={}", new.id().expose_secret())
}

fn get(cookie: &str) -> Parts {
    http::Request::get("/orders")
        .header("cookie", cookie)
        .body(())
        .unwrap()
        .into_parts()
        .0
}

async fn auth(instance: &Instance, cookie: &str) -> Result<bool, AuthError> {
    bounded(authenticate(&instance.authenticator, &get(cookie)))
        .await
        .map(auth_core::Authenticated::into_user)
}

fn assert_401(result: Result<impl std::fmt::Debug, AuthError>, expected: TokenError) {
    match result {
        Err(AuthError::InvalidToken(error)) if error == expected => {}
        other => panic!("expected 401 {expected:?}, got {other:?}"),
    }
}

const HALF_HOUR: Duration = Duration::from_secs(1800);

#[tokio::test]
async fn a_login_on_one_instance_works_on_the_other_and_a_logout_ends_it_on_both() {
    let Some((_server, a, b, _users)) = two_instances(HALF_HOUR).await else {
        return;
    };
    let new = bounded(a.sessions.login("alice", &["pwd"], Some("mfa")))
        .await
        .unwrap();
    let cookie = cookie_of(&new);
    assert!(auth(&b, &cookie).await.unwrap());
    let on_b = bounded(authenticate(&b.authenticator, &get(&cookie)))
        .await
        .unwrap();
    assert_eq!(on_b.info().amr(), ["pwd"]);
    assert_eq!(on_b.info().acr(), Some("mfa"));
    bounded(a.sessions.set(new.id(), "theme", "dark"))
        .await
        .unwrap();
    assert_eq!(
        bounded(b.sessions.get(new.id(), "theme")).await.unwrap(),
        Some("dark".to_owned())
    );

    let clear = bounded(a.sessions.logout(&get(&cookie).headers))
        .await
        .unwrap();
    assert!(clear.to_str().unwrap().ends_with("Max-Age=0"));
    // At once, on the other instance: no cache to wait out.
    assert_401(auth(&b, &cookie).await, TokenError::Revoked);
    assert_401(auth(&a, &cookie).await, TokenError::Revoked);
    assert_401(
        bounded(b.sessions.set(new.id(), "theme", "light")).await,
        TokenError::Revoked,
    );
}

#[tokio::test]
async fn the_store_holds_hashes_of_ids_never_the_ids() {
    let Some((server, a, _b, _users)) = two_instances(HALF_HOUR).await else {
        return;
    };
    let new = bounded(a.sessions.login("alice", &["pwd"], None))
        .await
        .unwrap();
    bounded(a.sessions.set(new.id(), "cart", "[1,2]"))
        .await
        .unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let mut con = bounded(client.get_multiplexed_async_connection())
        .await
        .unwrap();
    let keys: Vec<String> = bounded(redis::cmd("KEYS").arg("*").query_async(&mut con))
        .await
        .unwrap();
    let session_key = format!("{PREFIX}session:{}", new.id().key().to_hex());
    assert!(keys.contains(&session_key), "{keys:?}");
    let mut dump = keys.join("\n");
    let fields: Vec<String> = bounded(
        redis::cmd("HGETALL")
            .arg(&session_key)
            .query_async(&mut con),
    )
    .await
    .unwrap();
    dump.push_str(&fields.join("\n"));
    assert!(dump.contains("[1,2]"));
    assert!(!dump.contains(new.id().expose_secret()), "{dump}");
}

#[tokio::test]
async fn a_rotation_on_one_instance_kills_the_old_id_on_the_other() {
    let Some((_server, a, b, _users)) = two_instances(HALF_HOUR).await else {
        return;
    };
    let new = bounded(a.sessions.login("alice", &["pwd"], None))
        .await
        .unwrap();
    let old_cookie = cookie_of(&new);
    bounded(a.sessions.increment(new.id(), "visits", 5))
        .await
        .unwrap();
    assert!(auth(&b, &old_cookie).await.unwrap());

    let rotated = bounded(a.sessions.rotate(
        &get(&old_cookie).headers,
        Rotation::new().amr(["pwd", "otp"]),
    ))
    .await
    .unwrap();
    assert_401(auth(&b, &old_cookie).await, TokenError::Revoked);
    let new_cookie = cookie_of(&rotated);
    let on_b = bounded(authenticate(&b.authenticator, &get(&new_cookie)))
        .await
        .unwrap();
    assert_eq!(on_b.info().amr(), ["pwd", "otp"]);
    assert_eq!(
        bounded(b.sessions.increment(rotated.id(), "visits", 1))
            .await
            .unwrap(),
        6
    );
    // A second rotation of the old id (a concurrent step-up) loses.
    assert_401(
        bounded(b.sessions.rotate_id(new.id(), Rotation::new())).await,
        TokenError::Revoked,
    );
    // Sign out everywhere, from B: A's session is gone too.
    assert_eq!(
        bounded(b.sessions.destroy_all_for("alice")).await.unwrap(),
        1
    );
    assert_401(auth(&a, &new_cookie).await, TokenError::Revoked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_on_one_session_are_never_lost() {
    const N: usize = 64;
    let Some((_server, a, b, _users)) = two_instances(HALF_HOUR).await else {
        return;
    };
    let new = bounded(a.sessions.login("alice", &["pwd"], None))
        .await
        .unwrap();
    let cookie = cookie_of(&new);
    let (a, b) = (Arc::new(a), Arc::new(b));
    let tasks: Vec<_> = (0..N)
        .map(|n| {
            // Half the requests on each instance, each also authenticated (which
            // writes the last-seen instant) while the others write their keys.
            let instance = Arc::clone(if n % 2 == 0 { &a } else { &b });
            let id = new.id().clone();
            let cookie = cookie.clone();
            tokio::spawn(async move {
                assert!(auth(&instance, &cookie).await.unwrap());
                bounded(
                    instance
                        .sessions
                        .set(&id, &format!("key-{n}"), &n.to_string()),
                )
                .await
                .unwrap();
                bounded(instance.sessions.increment(&id, "counter", 1))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut sums = Vec::new();
    for task in tasks {
        sums.push(task.await.unwrap());
    }
    sums.sort_unstable();
    // Every increment saw a distinct value: each was atomic.
    assert_eq!(sums, (1..=i64::try_from(N).unwrap()).collect::<Vec<_>>());
    for n in 0..N {
        assert_eq!(
            bounded(a.sessions.get(new.id(), &format!("key-{n}")))
                .await
                .unwrap(),
            Some(n.to_string()),
            "key-{n} was lost"
        );
    }
    assert_eq!(
        bounded(b.sessions.get(new.id(), "counter")).await.unwrap(),
        Some(N.to_string())
    );
    // The record survived all of it.
    assert!(auth(&a, &cookie).await.unwrap());
}

#[tokio::test]
async fn a_dead_redis_is_a_503_never_an_allow() {
    let Some((mut server, a, b, _users)) = two_instances(HALF_HOUR).await else {
        return;
    };
    let new = bounded(a.sessions.login("alice", &["pwd"], None))
        .await
        .unwrap();
    let cookie = cookie_of(&new);
    assert!(auth(&b, &cookie).await.unwrap());
    server.kill();
    for instance in [&a, &b] {
        let started = Instant::now();
        let error = auth(instance, &cookie).await.unwrap_err();
        assert_eq!(error.status(), 503, "{error:?}");
        assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
        assert!(started.elapsed() < CALL_TIMEOUT + Duration::from_secs(2));
    }
    assert_eq!(
        bounded(a.sessions.login("alice", &["pwd"], None))
            .await
            .unwrap_err()
            .status(),
        503
    );
    assert_eq!(
        bounded(a.sessions.logout(&get(&cookie).headers))
            .await
            .unwrap_err()
            .status(),
        503
    );
    assert_eq!(
        bounded(a.sessions.set(new.id(), "k", "v"))
            .await
            .unwrap_err()
            .status(),
        503
    );
}

#[tokio::test]
async fn redis_forgets_an_idle_session_by_its_ttl_and_each_request_pushes_it_back() {
    let idle = Duration::from_millis(1200);
    let Some((_server, a, b, _users)) = two_instances(idle).await else {
        return;
    };
    let new = bounded(a.sessions.login("alice", &["pwd"], None))
        .await
        .unwrap();
    let cookie = cookie_of(&new);
    // Used every 0.6 s for 2.4 s: past the idle timeout since login, but never
    // idle for its length.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(auth(&b, &cookie).await.unwrap());
    }
    tokio::time::sleep(idle + Duration::from_millis(400)).await;
    // Redis itself dropped it (the store is asked directly; no authenticator
    // ran to delete it).
    assert_eq!(
        bounded(a.sessions.store().load(new.id().key()))
            .await
            .unwrap(),
        None
    );
    assert_401(auth(&a, &cookie).await, TokenError::Revoked);
}

/// How many times Redis ran `command` (`INFO commandstats`).
async fn calls_of(con: &mut redis::aio::MultiplexedConnection, command: &str) -> u64 {
    let info: String = bounded(redis::cmd("INFO").arg("commandstats").query_async(con))
        .await
        .unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("cmdstat_{command}:calls=")))
        .and_then(|rest| rest.split(',').next())
        .and_then(|calls| calls.parse().ok())
        .unwrap_or(0)
}

/// A safe request costs one round trip on Redis (the open script reads, checks
/// the timeouts and touches at once); an unsafe one is touched only after its
/// CSRF checks, so a refused forgery never extends the session.
#[tokio::test]
async fn a_safe_request_opens_its_session_in_one_round_trip() {
    let Some((server, a, _b, _users)) = two_instances(HALF_HOUR).await else {
        return;
    };
    let new = bounded(a.sessions.login("alice", &["pwd"], None))
        .await
        .unwrap();
    let cookie = cookie_of(&new);
    let client = redis::Client::open(server.url()).unwrap();
    let mut con = bounded(client.get_multiplexed_async_connection())
        .await
        .unwrap();
    // Commands a script runs count in `commandstats` too: one script call per
    // request with one `HMGET` in it, and no `EXISTS` (the separate touch
    // script's), means nothing else was sent.
    let count = |con: &mut redis::aio::MultiplexedConnection| {
        let mut con = con.clone();
        async move {
            [
                calls_of(&mut con, "evalsha").await + calls_of(&mut con, "eval").await,
                calls_of(&mut con, "hmget").await,
                calls_of(&mut con, "exists").await,
            ]
        }
    };
    // The first call loads the script (a `NOSCRIPT` answer, then the script).
    assert!(auth(&a, &cookie).await.unwrap());
    let before = count(&mut con).await;
    for _ in 0..10 {
        assert!(auth(&a, &cookie).await.unwrap());
    }
    let after = count(&mut con).await;
    assert_eq!(
        [
            after[0] - before[0],
            after[1] - before[1],
            after[2] - before[2]
        ],
        [10, 10, 0],
        "scripts, HMGETs and EXISTS for 10 requests"
    );

    // A forged POST (no CSRF token) is refused and does not touch the session.
    let seen = |con: &mut redis::aio::MultiplexedConnection| {
        let key = format!("{PREFIX}session:{}", new.id().key().to_hex());
        let mut con = con.clone();
        async move {
            bounded(
                redis::cmd("HGET")
                    .arg(key)
                    .arg("m:seen")
                    .query_async::<String>(&mut con),
            )
            .await
            .unwrap()
        }
    };
    let before = seen(&mut con).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let forged = http::Request::post("/orders")
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-origin")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let refused = bounded(authenticate(&a.authenticator, &forged)).await;
    assert!(
        matches!(refused, Err(AuthError::Forbidden { .. })),
        "{refused:?}"
    );
    assert_eq!(
        seen(&mut con).await,
        before,
        "a refused request extended the session"
    );
}
