//! The plan gate of `GET /orders` over real HTTP, on `orders-api` (axum) and
//! `orders-actix`: each user's plan (`free`, `pro`: a column of the users table)
//! has a quota (`ORDERS_API_PLAN_FREE`, `ORDERS_API_PLAN_PRO`); past it the
//! listing is a 429 with `Retry-After`, `RateLimit-Policy` and `RateLimit`. The
//! gate stands last, so a request refused before it (no scope, no credential)
//! is not counted, and the count is per user, whatever the way in.

use std::net::SocketAddr;

use auth_integration::client as http;

mod orders_support;
use orders_support::{BOTH, Framework, bearer, config, send, session, start};

async fn list(addr: SocketAddr, token: Option<&str>) -> http::Response {
    http::get(addr, "/orders", token).await
}

async fn past_the_quota_is_a_429(framework: Framework) {
    let addr = start(framework, &config(&[("ORDERS_API_PLAN_FREE", "2/min")])).await;
    let what = format!("{framework:?}");

    // Refused before the plan gate, as often as the quota and more: not counted.
    let write_only = bearer(addr, "alice", Some("orders:write")).await;
    for _ in 0..3 {
        let response = list(addr, Some(&write_only)).await;
        assert_eq!(response.status, 403, "{what}: {}", response.body);
        assert_eq!(response.json()["error"], "insufficient_scope", "{what}");
        assert_eq!(list(addr, None).await.status, 401, "{what}");
    }

    // Alice (free, 2/min): two listings, then a 429 with the rate-limit fields.
    let alice = bearer(addr, "alice", None).await;
    for n in 1..=2 {
        let response = list(addr, Some(&alice)).await;
        assert_eq!(
            response.status, 200,
            "{what}: listing {n}: {}",
            response.body
        );
    }
    let refused = list(addr, Some(&alice)).await;
    assert_eq!(refused.status, 429, "{what}: {}", refused.body);
    let retry_after: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=30).contains(&retry_after), "{what}: {retry_after}");
    assert_eq!(
        refused.header("ratelimit-policy"),
        Some(r#""free";q=2;w=60"#),
        "{what}"
    );
    let ratelimit = refused.header("ratelimit").expect("RateLimit");
    assert!(
        ratelimit.starts_with(r#""free";r=0;t="#),
        "{what}: {ratelimit}"
    );

    // One quota per user: alice's session (orders-api has sessions) is refused too.
    if framework == Framework::Axum {
        let browser = session(addr, "alice").await;
        let by_session = send(addr, "GET", "/orders", &browser.headers(), None).await;
        assert_eq!(by_session.status, 429, "{what}: {}", by_session.body);
    }

    // Bob (pro) is not limited at that point, and keeps his own count.
    let bob = bearer(addr, "bob", None).await;
    for n in 1..=5 {
        let response = list(addr, Some(&bob)).await;
        assert_eq!(
            response.status, 200,
            "{what}: bob's listing {n}: {}",
            response.body
        );
    }
    // Other routes are not behind the plan gate.
    assert_eq!(
        http::get(addr, "/orders/1", Some(&alice)).await.status,
        200,
        "{what}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_quota_is_a_429_on_axum() {
    past_the_quota_is_a_429(Framework::Axum).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_quota_is_a_429_on_actix() {
    past_the_quota_is_a_429(Framework::Actix).await;
}

/// Within the default quotas, a user lists freely on both frameworks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_quotas_do_not_get_in_the_way() {
    for framework in BOTH {
        let addr = start(framework, &config(&[])).await;
        let alice = bearer(addr, "alice", None).await;
        for _ in 0..20 {
            assert_eq!(list(addr, Some(&alice)).await.status, 200, "{framework:?}");
        }
    }
}

/// A quota that does not parse stops the start, naming the variable.
#[test]
fn a_bad_quota_is_refused_at_start() {
    for (variable, value) in [
        ("ORDERS_API_PLAN_FREE", "60"),
        ("ORDERS_API_PLAN_PRO", "0/min"),
        ("ORDERS_API_PLAN_FREE", "ten/min"),
        ("ORDERS_API_PLAN_PRO", "5/fortnight"),
    ] {
        let error = examples::config::Config::from_lookup(|name| {
            (name == variable).then(|| value.to_owned())
        })
        .expect_err("refused");
        assert_eq!(error.variable, variable);
        assert!(error.to_string().contains("60/min"), "{error}");
    }
}

/// With `REDIS_URL`, every instance counts a user's requests together: two
/// listings on `orders-api` and `orders-actix` sharing one Redis use up alice's
/// `2/min`, on both. Without `redis-server` on `PATH` the test is skipped with a
/// note, except under `CI=true`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_redis_share_the_quota() {
    let Some(redis) = auth_integration::redis_server::RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let shared = config(&[
        ("REDIS_URL", url.as_str()),
        ("ORDERS_API_PLAN_FREE", "2/min"),
    ]);
    let one = start(Framework::Axum, &shared).await;
    let two = start(Framework::Actix, &shared).await;
    let alice = bearer(one, "alice", None).await;
    assert_eq!(list(one, Some(&alice)).await.status, 200);
    assert_eq!(list(two, Some(&alice)).await.status, 200);
    for addr in [one, two] {
        let refused = list(addr, Some(&alice)).await;
        assert_eq!(refused.status, 429, "{}", refused.body);
        assert_eq!(
            refused.header("ratelimit-policy"),
            Some(r#""free";q=2;w=60"#)
        );
        assert!(refused.header("retry-after").is_some());
    }
    let bob = bearer(two, "bob", None).await;
    assert_eq!(list(one, Some(&bob)).await.status, 200);
}
