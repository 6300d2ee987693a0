//! `RedisRateLimits` against a real `redis-server` on loopback: the same GCRA as
//! `MemoryRateLimits` (random request sequences, every answer compared), a
//! quota shared by two instances that never admit more together, and an outage
//! that answers 503, never an allow.
//!
//! Without `redis-server` on `PATH` the tests are skipped with a note, except
//! under `CI=true`, where that is a failure. Every wait is bounded.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use auth_core::limit::{
    Clock, HasPlan, ManualClock, MemoryRateLimits, PlanLimits, Plans, Quota, RateLimitStore,
    RedisRateLimits, Verdict,
};
use auth_core::revocation::{RedisConnection, RedisOptions};
use auth_core::{
    AuthError, Authenticated, Authenticator, Identity, Mechanism, Outcome, authenticate,
};
use auth_integration::redis_server::RedisServer;
use http::request::Parts;
use proptest::prelude::*;
use tokio::sync::Barrier;

const CALL_TIMEOUT: Duration = Duration::from_millis(300);
const WAIT: Duration = Duration::from_secs(10);

async fn bounded<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("a store call outlived every timeout")
}

async fn connect(server: &RedisServer, prefix: &str) -> RedisConnection {
    let options = RedisOptions::new(server.url())
        .prefix(prefix)
        .timeout(CALL_TIMEOUT);
    bounded(RedisConnection::connect(options)).await.unwrap()
}

#[derive(Clone)]
struct Customer(&'static str);

impl HasPlan for Customer {
    fn plan(&self) -> &str {
        self.0
    }
}

/// Vouches for one principal: the sanctioned way to an `Authenticated`
/// without the `testing` feature.
struct As(String, &'static str);

impl Authenticator for As {
    type User = Customer;
    async fn authenticate(&self, _: &Parts) -> Result<Identity<Customer>, AuthError> {
        Ok(Identity::new(
            Customer(self.1),
            self.0.clone(),
            Mechanism::Test,
        ))
    }
}

async fn customer(subject: &str, plan: &'static str) -> Authenticated<Customer> {
    let (parts, ()) = http::Request::new(()).into_parts();
    authenticate(&As(subject.to_owned(), plan), &parts)
        .await
        .unwrap()
}

/// One step of a random sequence: which key, which quota, how far the clock
/// moves first (backwards too).
#[derive(Debug, Clone)]
struct Step {
    key: usize,
    quota: usize,
    advance_micros: i64,
}

fn quotas() -> [Quota; 4] {
    [
        Quota::per_second(3).unwrap(),
        Quota::new(7, Duration::from_secs(60)).unwrap(),
        Quota::new(1, Duration::from_millis(1500)).unwrap(),
        Quota::new(1000, Duration::from_micros(1001)).unwrap(),
    ]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (
            0usize..3,
            0usize..4,
            prop_oneof![
                4 => Just(0i64),
                4 => 0i64..400_000,
                2 => 0i64..20_000_000,
                1 => -2_000_000i64..0,
            ],
        )
            .prop_map(|(key, quota, advance_micros)| Step {
                key,
                quota,
                advance_micros,
            }),
        1..60,
    )
}

/// The two stores give the same answer, numbers included, to every request of
/// random sequences: one arithmetic, in Rust and in Lua.
#[test]
fn memory_and_redis_agree_on_random_sequences() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let redis = runtime.block_on(connect(&server, "agree:"));
    let case = std::cell::Cell::new(0u32);
    let config = ProptestConfig::with_cases(64);
    proptest!(config, |(steps in steps())| {
        case.set(case.get() + 1);
        let case = case.get();
        // A clock near today in Unix microseconds, so Lua handles numbers of
        // the size the server's `TIME` gives.
        let time = ManualClock::new(Duration::from_secs(1_800_000_000));
        let memory = MemoryRateLimits::new(1000).with_clock(Clock::from(time.clone()));
        let shared = RedisRateLimits::new(redis.clone()).with_clock(Clock::from(time.clone()));
        let quotas = quotas();
        for (i, step) in steps.iter().enumerate() {
            let now = time.now();
            let moved = if step.advance_micros >= 0 {
                now + Duration::from_micros(step.advance_micros.unsigned_abs())
            } else {
                now.saturating_sub(Duration::from_micros(step.advance_micros.unsigned_abs()))
            };
            time.set(moved);
            let key = format!("case{case}:k{}", step.key);
            let quota = quotas[step.quota];
            let in_memory = runtime.block_on(memory.check(&key, quota)).unwrap();
            let in_redis = runtime.block_on(bounded(shared.check(&key, quota))).unwrap();
            prop_assert_eq!(in_memory, in_redis, "step {} of {:?}", i, steps);
        }
    });
}

/// Two instances on one Redis, hammering one principal concurrently on the
/// server's clock: together they admit the burst, not twice it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_exceed_the_quota_together() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let plans = || {
        Plans::new()
            .with("free", Quota::per_hour(50).unwrap())
            .unwrap()
    };
    let instances = [
        Arc::new(PlanLimits::new(
            plans(),
            RedisRateLimits::new(connect(&server, "svc:").await),
        )),
        Arc::new(PlanLimits::new(
            plans(),
            RedisRateLimits::new(connect(&server, "svc:").await),
        )),
    ];
    let barrier = Arc::new(Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let limits = Arc::clone(&instances[i % 2]);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                let mut outcomes = Vec::new();
                for _ in 0..20 {
                    outcomes.push(
                        limits
                            .check(&customer("7", "free").await, "")
                            .await
                            .outcome(),
                    );
                }
                outcomes
            })
        })
        .collect();
    let mut admitted = 0;
    let mut limited = 0;
    for task in tasks {
        for outcome in bounded(task).await.unwrap() {
            match outcome {
                Outcome::Allow => admitted += 1,
                Outcome::RateLimited => limited += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!((admitted, limited), (50, 110));
    // Another principal has a quota of its own.
    let other = instances[1].check(&customer("8", "free").await, "").await;
    assert!(other.is_allowed(), "{other:?}");
}

/// Redis gone, or hung: the gate answers 503 within the timeout, never an
/// allow; and counts again once Redis is back.
#[tokio::test]
async fn an_outage_is_a_503_never_an_allow() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let plans = Plans::new()
        .with("free", Quota::per_minute(60).unwrap())
        .unwrap();
    let limits = PlanLimits::new(plans, RedisRateLimits::new(connect(&server, "down:").await));
    assert!(
        limits
            .check(&customer("1", "free").await, "")
            .await
            .is_allowed()
    );

    server.signal("STOP");
    let hung = bounded(limits.check(&customer("1", "free").await, "")).await;
    server.signal("CONT");
    assert_eq!(hung.outcome(), Outcome::Unavailable);

    server.kill();
    for _ in 0..3 {
        let decision = bounded(limits.check(&customer("1", "free").await, "")).await;
        assert_eq!(decision.outcome(), Outcome::Unavailable);
        // ...and `not(..)` of it is no allow either.
        assert_eq!(decision.clone().negate().outcome(), Outcome::Unavailable);
        let response = decision.into_result().unwrap_err().response("api");
        assert_eq!(response.status.as_u16(), 503);
        assert_eq!(response.retry_after, Some(1));
    }

    server.spawn();
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let decision = bounded(limits.check(&customer("1", "free").await, "")).await;
        if decision.is_allowed() {
            break;
        }
        assert_eq!(decision.outcome(), Outcome::Unavailable);
        assert!(
            std::time::Instant::now() < deadline,
            "Redis never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A key's state expires when its window has passed, on the server's clock.
#[tokio::test]
async fn keys_expire_once_their_window_has_passed() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let redis = connect(&server, "ttl:").await;
    let store = RedisRateLimits::new(redis);
    let quota = Quota::new(2, Duration::from_millis(400)).unwrap();
    let first = bounded(store.check("k", quota)).await.unwrap();
    assert!(
        matches!(first, Verdict::Admitted { remaining: 1, .. }),
        "{first:?}"
    );
    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg("ttl:ratelimit:k")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(
        (1..=200).contains(&ttl),
        "the key lives one emission interval: {ttl} ms"
    );
}
