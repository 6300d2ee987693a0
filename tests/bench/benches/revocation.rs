//! Item 4 of BENCHMARKS.md: the revocation check that runs on every request, in
//! memory and in Redis on loopback (one round trip), beside a bare Redis round trip.
//!
//! `cargo bench -p auth-bench --bench revocation`. The Redis part starts its own
//! `redis-server` on a free loopback port, and is skipped (with the reason printed)
//! when there is none.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_core::revocation::{
    MemoryRevocationStore, RedisConnection, RedisOptions, RedisRevocationStore, RevocationStore,
    TokenRef,
};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../src/poll.rs"]
mod poll;
// The integration tests' harness: a `redis-server` on a free loopback port.
#[path = "../../integration/src/redis_server.rs"]
#[allow(dead_code)] // kill/signal are for the failure tests
mod redis_server;

use poll::poll_once;

/// Revoked tokens and subjects in the store while it is checked: a busy service.
const REVOKED_TOKENS: usize = 10_000;
const REVOKED_SUBJECTS: usize = 1_000;

/// A token issued a minute ago, in a session, by a subject with no cutoff.
fn clean_token(issued_at: SystemTime) -> TokenRef<'static> {
    TokenRef {
        token_id: Some("0b5f8c3e-6d1a-4f0e-9a57-3c2d1e0f9b8a"),
        session_id: Some("5e551011-b3c7-4d0e-8f3a-2b1c0d9e8f7a"),
        subject: "user-42",
        issued_at: Some(issued_at),
        cutoff: None,
    }
}

fn revoked_token(issued_at: SystemTime) -> TokenRef<'static> {
    TokenRef {
        token_id: Some("revoked-17"),
        session_id: Some("5e551011-b3c7-4d0e-8f3a-2b1c0d9e8f7a"),
        subject: "user-42",
        issued_at: Some(issued_at),
        cutoff: None,
    }
}

async fn fill<S: RevocationStore>(store: &S) {
    let now = SystemTime::now();
    let expires = now + Duration::from_secs(3600);
    for i in 0..REVOKED_TOKENS {
        store
            .revoke_token(&format!("revoked-{i}"), expires)
            .await
            .expect("revoke a token");
    }
    for i in 0..REVOKED_SUBJECTS {
        store
            .revoke_subject(&format!("subject-{i}"), now)
            .await
            .expect("revoke a subject");
    }
}

fn memory(c: &mut Criterion) {
    let store = MemoryRevocationStore::with_capacity(2 * REVOKED_TOKENS, 2 * REVOKED_SUBJECTS);
    poll_once(fill(&store));
    let issued_at = SystemTime::now() - Duration::from_secs(60);
    let clean = clean_token(issued_at);
    let revoked = revoked_token(issued_at);
    assert!(poll_once(store.check(&clean)).is_ok());
    assert!(poll_once(store.check(&revoked)).is_err());

    let mut group = c.benchmark_group("revocation/memory");
    group.bench_function("check_not_revoked", |b| {
        b.iter(|| poll_once(store.check(black_box(&clean))));
    });
    group.bench_function("check_revoked", |b| {
        b.iter(|| poll_once(store.check(black_box(&revoked))));
    });
    group.finish();
}

fn redis(c: &mut Criterion) {
    // Without `redis-server` this prints why and the Redis group is skipped.
    let Some(server) = redis_server::RedisServer::start() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let store = runtime.block_on(async {
        let redis = RedisConnection::connect(RedisOptions::new(server.url()).prefix("bench:"))
            .await
            .expect("connect to redis");
        let store = Arc::new(RedisRevocationStore::new(redis));
        fill(&store).await;
        store
    });
    let issued_at = SystemTime::now() - Duration::from_secs(60);
    let clean = clean_token(issued_at);
    let revoked = revoked_token(issued_at);
    assert!(runtime.block_on(store.check(&clean)).is_ok());
    assert!(runtime.block_on(store.check(&revoked)).is_err());

    let mut raw = runtime.block_on(async {
        redis::Client::open(server.url())
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .expect("raw connection")
    });

    let mut group = c.benchmark_group("revocation/redis");
    group.bench_function("check_not_revoked", |b| {
        b.iter(|| runtime.block_on(store.check(black_box(&clean))));
    });
    group.bench_function("check_revoked", |b| {
        b.iter(|| runtime.block_on(store.check(black_box(&revoked))));
    });
    // The floor: one bare round trip on the same kind of connection.
    group.bench_function("raw_ping", |b| {
        b.iter(|| {
            runtime.block_on(async {
                redis::cmd("PING")
                    .query_async::<String>(&mut raw)
                    .await
                    .expect("PING")
            })
        });
    });
    group.bench_function("raw_mget_3_keys", |b| {
        b.iter(|| {
            runtime.block_on(async {
                redis::cmd("MGET")
                    .arg("bench:revoked:sub:user-42")
                    .arg("bench:revoked:jti:0b5f8c3e-6d1a-4f0e-9a57-3c2d1e0f9b8a")
                    .arg("bench:revoked:jti:5e551011-b3c7-4d0e-8f3a-2b1c0d9e8f7a")
                    .query_async::<Vec<Option<String>>>(&mut raw)
                    .await
                    .expect("MGET")
            })
        });
    });
    group.finish();
    drop(server);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = memory, redis
}
criterion_main!(benches);
