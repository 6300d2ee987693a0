//! `RedisTotpStore` against a real `redis-server` on loopback: two `Totp`s on two
//! connections stand for two instances of a service.
//!
//! Without `redis-server` on `PATH` the tests are skipped with a note, except
//! under `CI=true`, where that is a failure. Every wait is bounded.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_core::AuthError;
use auth_core::mfa::{AttemptLimit, RedisTotpStore, StepUp, Totp, TotpError, TotpSecret};
use auth_core::revocation::{RedisConnection, RedisOptions};
use auth_integration::redis_server::RedisServer;
use tokio::sync::Barrier;

/// The bound on each store call.
const CALL_TIMEOUT: Duration = Duration::from_millis(300);
/// The outer bound on anything a test awaits.
const WAIT: Duration = Duration::from_secs(10);
const STEP: Duration = Duration::from_secs(30);

async fn bounded<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("a store call outlived every timeout")
}

/// One "service instance": its own connection, the shared prefix.
async fn instance(server: &RedisServer, limit: AttemptLimit) -> Totp<RedisTotpStore> {
    let options = RedisOptions::new(server.url())
        .prefix("svc:")
        .timeout(CALL_TIMEOUT);
    let redis = bounded(RedisConnection::connect(options)).await.unwrap();
    Totp::builder("ACME", RedisTotpStore::new(redis))
        .attempt_limit(limit)
        .build()
        .unwrap()
}

/// Enrols `subject` on `totp` and confirms with the current code.
async fn enrolled(totp: &Totp<RedisTotpStore>, subject: &str) -> TotpSecret {
    let enrollment = bounded(totp.enroll(subject, "alice")).await.unwrap();
    let secret = enrollment.secret().clone();
    bounded(totp.confirm(subject, &secret.code_at(SystemTime::now())))
        .await
        .unwrap();
    secret
}

#[tokio::test]
async fn a_code_accepted_on_one_instance_is_refused_on_another() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = instance(&server, AttemptLimit::DEFAULT).await;
    let b = instance(&server, AttemptLimit::DEFAULT).await;
    let secret = enrolled(&a, "u1").await;
    assert!(bounded(b.is_enrolled("u1")).await.unwrap());

    // The confirmation code is spent everywhere.
    let confirmation = secret.code_at(SystemTime::now());
    let result = bounded(b.verify("u1", &confirmation, &["pwd"])).await;
    assert!(matches!(result, Err(TotpError::ReusedCode)), "{result:?}");

    let next = secret.code_at(SystemTime::now() + STEP);
    let step_up: StepUp = bounded(b.verify("u1", &next, &["pwd"])).await.unwrap();
    assert_eq!(step_up.amr(), ["pwd", "otp"]);
    let result = bounded(a.verify("u1", &next, &["pwd"])).await;
    assert!(matches!(result, Err(TotpError::ReusedCode)), "{result:?}");

    // Removed on one instance, gone on the other.
    bounded(a.remove("u1")).await.unwrap();
    let result = bounded(b.verify("u1", &next, &["pwd"])).await;
    assert!(matches!(result, Err(TotpError::NotEnrolled)), "{result:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_sent_concurrently_to_two_instances_is_accepted_once() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    // Enough attempts that none of the eight is throttled.
    let limit = AttemptLimit::new(50, Duration::from_secs(300)).unwrap();
    let instances = [
        Arc::new(instance(&server, limit).await),
        Arc::new(instance(&server, limit).await),
    ];
    // Several rounds, each on a fresh enrolment, to give a race a chance to show.
    for round in 0..10 {
        bounded(instances[0].remove("u1")).await.unwrap();
        let secret = enrolled(&instances[round % 2], "u1").await;
        let code = secret.code_at(SystemTime::now() + STEP);
        let barrier = Arc::new(Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let totp = Arc::clone(&instances[i % 2]);
                let barrier = Arc::clone(&barrier);
                let code = code.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    totp.verify("u1", &code, &["pwd"]).await
                })
            })
            .collect();
        let mut accepted = 0;
        for task in tasks {
            match bounded(task).await.unwrap() {
                Ok(_) => accepted += 1,
                Err(TotpError::ReusedCode) => {}
                Err(other) => panic!("round {round}: {other:?}"),
            }
        }
        assert_eq!(
            accepted, 1,
            "round {round}: exactly one of eight is accepted"
        );
    }
}

#[tokio::test]
async fn the_attempt_limit_is_shared_by_every_instance() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = instance(&server, AttemptLimit::DEFAULT).await;
    let b = instance(&server, AttemptLimit::DEFAULT).await;
    let secret = enrolled(&a, "u1").await;
    let good = secret.code_at(SystemTime::now() + STEP);
    let wrong = if good == "000000" { "111111" } else { "000000" };
    for totp in [&a, &b, &a, &b, &a] {
        let result = bounded(totp.verify("u1", wrong, &["pwd"])).await;
        assert!(matches!(result, Err(TotpError::InvalidCode)), "{result:?}");
    }
    // The sixth, with the right code, on either instance: refused unchecked.
    for totp in [&b, &a] {
        let result = bounded(totp.verify("u1", &good, &["pwd"])).await;
        let Err(TotpError::Throttled { retry_after }) = result else {
            panic!("expected throttling, got {result:?}");
        };
        assert!(retry_after > Duration::from_secs(290) && retry_after <= Duration::from_secs(300));
    }
    // Another account is not affected.
    let other = enrolled(&b, "u2").await;
    let _: StepUp = bounded(a.verify("u2", &other.code_at(SystemTime::now() + STEP), &["pwd"]))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_success_resets_the_shared_count() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = instance(&server, AttemptLimit::DEFAULT).await;
    let b = instance(&server, AttemptLimit::DEFAULT).await;
    let secret = enrolled(&a, "u1").await;
    for _ in 0..4 {
        assert!(bounded(b.verify("u1", "12345", &["pwd"])).await.is_err());
    }
    let _: StepUp = bounded(a.verify("u1", &secret.code_at(SystemTime::now() + STEP), &["pwd"]))
        .await
        .unwrap();
    for _ in 0..5 {
        let result = bounded(b.verify("u1", "12345", &["pwd"])).await;
        assert!(
            matches!(result, Err(TotpError::MalformedCode)),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn with_redis_gone_nothing_is_accepted() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let a = instance(&server, AttemptLimit::DEFAULT).await;
    let secret = enrolled(&a, "u1").await;
    server.kill();
    let code = secret.code_at(SystemTime::now() + STEP);
    for _ in 0..3 {
        let result = bounded(a.verify("u1", &code, &["pwd"])).await;
        match result {
            Err(TotpError::Auth(AuthError::Unavailable { component, .. })) => {
                assert_eq!(component, "totp store");
            }
            other => panic!("expected a 503, got {other:?}"),
        }
    }
    let result = bounded(a.enroll("u2", "bob")).await;
    assert!(matches!(result, Err(TotpError::Auth(_))), "{result:?}");
    assert_eq!(
        bounded(a.confirm("u1", &code))
            .await
            .unwrap_err()
            .status()
            .as_u16(),
        503
    );
    assert!(bounded(a.is_enrolled("u1")).await.is_err());
}
