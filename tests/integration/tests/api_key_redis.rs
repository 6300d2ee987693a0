//! API keys in a real `redis-server` on loopback, shared by two service instances.
//!
//! Each test starts its own server on a free port (no persistence). Two
//! `RedisConnection`s, each with its own store and authenticator, stand for two
//! instances of a service. Without `redis-server` on `PATH` the tests are skipped
//! with a note, except under `CI=true`, where that is a failure.
//!
//! Every wait is bounded: no test can hang.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use auth_core::api_key::{
    ApiKeyAuthenticator, ApiKeyError, ApiKeyRecord, ApiKeyStore, ApiKeys, PlaintextKey,
    RedisApiKeyStore,
};
use auth_core::revocation::{RedisConnection, RedisOptions};
use auth_core::{AuthError, Authenticated, LoadUser, Mechanism, Scopes, TokenError, authenticate};
use auth_integration::redis_server::RedisServer;

/// The bound on each store call in these tests.
const CALL_TIMEOUT: Duration = Duration::from_millis(300);
/// How late past [`CALL_TIMEOUT`] a failure may arrive on a busy machine.
const SLACK: Duration = Duration::from_millis(700);
/// The outer bound on anything a test awaits.
const WAIT: Duration = Duration::from_secs(10);

/// Users `alice` and `bob`.
struct Users;

impl LoadUser for Users {
    type User = String;

    async fn load(&self, subject: &str) -> Result<Option<String>, AuthError> {
        Ok(matches!(subject, "alice" | "bob").then(|| subject.to_owned()))
    }
}

/// One "service instance": its own connection, store, key management and
/// authenticator.
struct Instance {
    keys: ApiKeys<RedisApiKeyStore>,
    authenticator: ApiKeyAuthenticator<RedisApiKeyStore, Users>,
}

impl Instance {
    async fn start(server: &RedisServer, prefix: &str) -> Self {
        let options = RedisOptions::new(server.url())
            .prefix(prefix)
            .timeout(CALL_TIMEOUT);
        let redis = bounded(RedisConnection::connect(options))
            .await
            .expect("connects to the test server");
        let store = RedisApiKeyStore::new(redis);
        Instance {
            keys: ApiKeys::new(store.clone()),
            authenticator: ApiKeyAuthenticator::new(store, Users),
        }
    }

    async fn call(&self, key: &str) -> Result<Authenticated<String>, AuthError> {
        let (request, ()) = http::Request::builder()
            .uri("/orders")
            .header("x-api-key", key)
            .body(())
            .unwrap()
            .into_parts();
        bounded(authenticate(&self.authenticator, &request)).await
    }

    async fn create(&self, owner: &str, scopes: &[&str]) -> PlaintextKey {
        let granted = Scopes::from_space_separated("orders:read orders:write");
        let (key, _) = bounded(self.keys.create(
            owner,
            &granted,
            "integration",
            scopes.iter().copied(),
            Some(Duration::from_secs(3600)),
        ))
        .await
        .unwrap();
        key
    }
}

/// Awaits `future`, failing the test if it takes longer than [`WAIT`].
async fn bounded<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("a store call outlived every timeout")
}

fn assert_refused(result: Result<Authenticated<String>, AuthError>, expected: TokenError) {
    match result {
        Err(AuthError::InvalidToken(got)) => assert_eq!(got, expected),
        other => panic!("expected a 401 {expected:?}, got {other:?}"),
    }
}

fn assert_unavailable(result: Result<Authenticated<String>, AuthError>) {
    match result {
        Err(error @ AuthError::Unavailable { .. }) => {
            let response = error.response("api");
            assert_eq!(response.status.as_u16(), 503);
            assert_eq!(response.retry_after, Some(1));
        }
        other => panic!("expected a 503, got {other:?}"),
    }
}

#[tokio::test]
async fn a_key_made_on_one_instance_works_on_another_until_revoked_there() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = Instance::start(&server, "svc:").await;
    let b = Instance::start(&server, "svc:").await;
    let other_service = Instance::start(&server, "other:").await;

    let key = a.create("alice", &["orders:read"]).await;
    let alice = b.call(key.expose()).await.unwrap();
    assert_eq!(alice.subject(), "alice");
    assert_eq!(alice.info().mechanism(), Mechanism::ApiKey);
    assert_eq!(alice.info().token_id(), Some(key.id()));
    assert_eq!(alice.scopes().as_str(), "orders:read");
    assert!(alice.info().expires_at().is_some());
    // Keys are namespaced: another prefix does not know it.
    assert_refused(other_service.call(key.expose()).await, TokenError::Revoked);

    // Another user cannot revoke it, from any instance.
    let refused = bounded(b.keys.revoke("bob", key.id())).await;
    assert!(matches!(refused, Err(ApiKeyError::NotFound)), "{refused:?}");
    b.call(key.expose()).await.unwrap();

    // Revoked on A: refused on B by the very next request.
    bounded(a.keys.revoke("alice", key.id())).await.unwrap();
    assert_refused(b.call(key.expose()).await, TokenError::Revoked);
    assert_refused(a.call(key.expose()).await, TokenError::Revoked);
    assert!(bounded(b.keys.list("alice")).await.unwrap().is_empty());
    // A use recorded after the revocation does not bring back a shell of it.
    bounded(b.keys.store().touch(key.id(), SystemTime::now()))
        .await
        .unwrap();
    assert!(
        bounded(b.keys.store().find(key.id()))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn listing_shows_records_and_no_secret_or_hash() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = Instance::start(&server, "svc:").await;
    let b = Instance::start(&server, "svc:").await;

    let first = a.create("alice", &["orders:read", "orders:write"]).await;
    let second = a.create("alice", &[]).await;
    let bobs = a.create("bob", &[]).await;

    // Used once on B: the last use is recorded, and A's listing sees it.
    b.call(first.expose()).await.unwrap();
    let listed = bounded(a.keys.list("alice")).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(ApiKeyRecord::id).collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(ids.contains(&first.id()) && ids.contains(&second.id()));
    assert!(!ids.contains(&bobs.id()));
    let first_record = listed.iter().find(|r| r.id() == first.id()).unwrap();
    assert_eq!(first_record.scopes().as_str(), "orders:read orders:write");
    assert_eq!(first_record.name(), "integration");
    assert!(first_record.last_used_at().is_some());
    let second_record = listed.iter().find(|r| r.id() == second.id()).unwrap();
    assert_eq!(second_record.last_used_at(), None);
    assert!(second_record.scopes().is_empty());

    // What a listing caller can print holds neither a secret nor a hash.
    let hash = bounded(a.keys.store().find(first.id()))
        .await
        .unwrap()
        .unwrap()
        .secret_hash()
        .to_bytes();
    let hash_hex = hash.iter().fold(String::new(), |mut hex, byte| {
        write!(hex, "{byte:02x}").unwrap();
        hex
    });
    let shown = format!("{listed:?}");
    for key in [&first, &second] {
        assert!(!shown.contains(secret_of(key)), "{shown}");
    }
    assert!(!shown.contains(&hash_hex), "{shown}");

    // And Redis itself never saw a plaintext key: only the hash.
    if let Some(dump) = dump(&server) {
        assert!(dump.contains(&hash_hex), "the hash is stored: {dump}");
        for key in [&first, &second, &bobs] {
            assert!(
                !dump.contains(secret_of(key)),
                "a plaintext secret in Redis"
            );
        }
    }
}

#[tokio::test]
async fn a_redis_outage_is_a_503_never_an_allow() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let a = Instance::start(&server, "svc:").await;
    let key = a.create("alice", &["orders:read"]).await;
    a.call(key.expose()).await.unwrap();

    // Frozen: a hung Redis fails within the timeout.
    server.signal("STOP");
    let started = Instant::now();
    assert_unavailable(a.call(key.expose()).await);
    assert!(
        started.elapsed() < CALL_TIMEOUT + SLACK,
        "{:?}",
        started.elapsed()
    );
    server.signal("CONT");
    a.call(key.expose()).await.unwrap();

    // Killed: refused until it is back.
    server.kill();
    for _ in 0..3 {
        assert_unavailable(a.call(key.expose()).await);
    }
    // Management fails closed too.
    let created = bounded(
        a.keys
            .create("alice", &Scopes::none(), "k", [] as [&str; 0], None),
    )
    .await;
    assert!(
        matches!(
            created,
            Err(ApiKeyError::Store(AuthError::Unavailable { .. }))
        ),
        "{created:?}"
    );

    // Back, without persistence: the key is gone, and is refused (a 401), not let in.
    server.spawn();
    let deadline = Instant::now() + WAIT;
    loop {
        match a.call(key.expose()).await {
            Err(AuthError::Unavailable { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            result => {
                assert_refused(result, TokenError::Revoked);
                break;
            }
        }
    }
}

/// The 52 secret characters of `key`.
fn secret_of(key: &PlaintextKey) -> &str {
    &key.expose()[21..73]
}

/// Every key and field in the test server, through `redis-cli`; `None` (after
/// saying why) when it is not installed and this is not CI.
fn dump(server: &RedisServer) -> Option<String> {
    let url = server.url();
    let cli = |args: &[&str]| {
        Command::new("redis-cli")
            .args(["-u", &url, "--raw"])
            .args(args)
            .output()
    };
    let Ok(keys) = cli(&["--scan"]) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "`redis-cli` is not on PATH: CI must install it (apt-get install redis-tools)"
        );
        eprintln!("skipped the raw dump: `redis-cli` is not on PATH");
        return None;
    };
    let keys = String::from_utf8(keys.stdout).unwrap();
    let mut dump = String::new();
    for key in keys.lines() {
        let kind = String::from_utf8(cli(&["TYPE", key]).unwrap().stdout).unwrap();
        let content = match kind.trim() {
            "hash" => cli(&["HGETALL", key]),
            "set" => cli(&["SMEMBERS", key]),
            other => panic!("unexpected key type {other} for {key}"),
        };
        dump.push_str(key);
        dump.push('\n');
        dump.push_str(&String::from_utf8(content.unwrap().stdout).unwrap());
    }
    assert!(dump.contains("apikey:key:"), "{dump}");
    Some(dump)
}
