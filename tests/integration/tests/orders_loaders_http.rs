//! `orders-api` (axum) and `orders-actix` over real HTTP: orders are loaded by
//! the library (`Loaded<Order>`), after authentication and the function-level
//! gates, so the answers come in one order: 401, then 403 /
//! `insufficient_scope`, then 404 or 403 for the order itself. A caller learns
//! whether an order exists only once a scope lets them ask. On API keys the
//! policy chooses 404 for another user's key, where orders answer 403.

use std::net::SocketAddr;

use auth_integration::client as http;
use serde_json::json;

mod orders_support;
use orders_support::{BOTH, Framework, bearer, config, send, start};

/// Seeded: orders 1 and 2 are Alice's, 3 and 4 Bob's; 99999 does not exist.
const ALICES: &str = "/orders/1";
const BOBS: &str = "/orders/3";
const MISSING: &str = "/orders/99999";

async fn call(addr: SocketAddr, method: &str, path: &str, token: Option<&str>) -> http::Response {
    http::call(addr, method, path, token, None).await
}

fn insufficient_scope(response: &http::Response, scope: &str) -> bool {
    response.status == 403
        && response.json()["error"] == "insufficient_scope"
        && response
            .header("www-authenticate")
            .is_some_and(|challenge| challenge.contains(&format!(r#"scope="{scope}""#)))
}

async fn the_order_of_answers(framework: Framework) {
    let addr = start(framework, &config(&[])).await;
    let what = |method: &str, path: &str| format!("{framework:?} {method} {path}");

    // 1. Anonymous: 401 for a missing order and an existing one alike.
    for method in ["GET", "DELETE"] {
        for path in [ALICES, MISSING, "/orders/abc"] {
            let response = call(addr, method, path, None).await;
            assert_eq!(
                response.status,
                401,
                "{}: {}",
                what(method, path),
                response.body
            );
            assert!(response.header("www-authenticate").is_some());
        }
    }

    // 2. A read-only token deleting: `insufficient_scope` for a missing order,
    //    someone else's, and its own alike; nothing is deleted.
    let read_only = bearer(addr, "alice", Some("orders:read")).await;
    for path in [MISSING, BOBS, ALICES] {
        let response = call(addr, "DELETE", path, Some(&read_only)).await;
        assert!(
            insufficient_scope(&response, "orders:write"),
            "{}: {} {} {:?}",
            what("DELETE", path),
            response.status,
            response.body,
            response.header("www-authenticate")
        );
    }
    assert_eq!(
        call(addr, "GET", ALICES, Some(&read_only)).await.status,
        200
    );

    // A token with neither scope: the same for reading.
    let write_only = bearer(addr, "alice", Some("orders:write")).await;
    for path in [MISSING, BOBS, ALICES] {
        let response = call(addr, "GET", path, Some(&write_only)).await;
        assert!(
            insufficient_scope(&response, "orders:read"),
            "{}: {} {}",
            what("GET", path),
            response.status,
            response.body
        );
    }

    // 3. With the scope: the order itself. Missing: 404. Bob's: 403 (the order
    //    policy reveals it). Her own: 200, and 204 to delete.
    let alice = bearer(addr, "alice", None).await;
    for method in ["GET", "DELETE"] {
        let missing = call(addr, method, MISSING, Some(&alice)).await;
        assert_eq!(
            missing.status,
            404,
            "{}: {}",
            what(method, MISSING),
            missing.body
        );
        assert_eq!(missing.json()["error"], "not_found");
        let bobs = call(addr, method, BOBS, Some(&alice)).await;
        assert_eq!(bobs.status, 403, "{}: {}", what(method, BOBS), bobs.body);
        assert_eq!(bobs.json()["error"], "forbidden");
    }
    let own = call(addr, "GET", ALICES, Some(&alice)).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.json()["id"], 1);
    assert_eq!(call(addr, "DELETE", ALICES, Some(&alice)).await.status, 204);
    assert_eq!(call(addr, "GET", ALICES, Some(&alice)).await.status, 404);
    // Bob's order is still there.
    let bob = bearer(addr, "bob", None).await;
    assert_eq!(call(addr, "GET", BOBS, Some(&bob)).await.status, 200);

    // A malformed id, once the gates allowed: 400, without the input, and
    // without a bearer challenge (no other token would help).
    let malformed = call(addr, "GET", "/orders/qzx%3Cb%3E", Some(&alice)).await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    assert_eq!(malformed.json()["error"], "invalid_request");
    assert!(!malformed.body.contains("qzx"), "{}", malformed.body);
    assert!(!malformed.body.contains("<b>"), "{}", malformed.body);
    assert_eq!(malformed.header("www-authenticate"), None);
    // ... and without the scope it is the scope's 403, not the 400.
    let refused = call(addr, "DELETE", "/orders/abc", Some(&read_only)).await;
    assert!(
        insufficient_scope(&refused, "orders:write"),
        "{}",
        refused.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_of_answers_on_axum() {
    the_order_of_answers(Framework::Axum).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_of_answers_on_actix() {
    the_order_of_answers(Framework::Actix).await;
}

/// The same answers on both services, byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_services_answer_alike() {
    let mut answers = Vec::new();
    for framework in BOTH {
        let addr = start(framework, &config(&[])).await;
        let alice = bearer(addr, "alice", None).await;
        let read_only = bearer(addr, "alice", Some("orders:read")).await;
        let mut seen = Vec::new();
        for (method, path, token) in [
            ("GET", MISSING, Some(&alice)),
            ("GET", BOBS, Some(&alice)),
            ("GET", "/orders/abc", Some(&alice)),
            ("DELETE", MISSING, Some(&read_only)),
            ("GET", MISSING, None),
        ] {
            let response = call(addr, method, path, token.map(String::as_str)).await;
            seen.push((response.status, response.body));
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], answers[1]);
}

/// API keys: the policy hides another user's key (404, the same answer as for a
/// key that does not exist), where an order answers 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_api_key_is_not_found() {
    let addr = start(Framework::Axum, &config(&[])).await;
    let alice = bearer(addr, "alice", None).await;
    let bob = bearer(addr, "bob", None).await;
    let created = send(
        addr,
        "POST",
        "/auth/api-keys",
        &[("authorization", &format!("Bearer {alice}"))],
        Some(json!({ "name": "ci", "scopes": ["orders:read"] })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().expect("an id").to_owned();

    let alices_key = format!("/auth/api-keys/{id}");
    let by_bob = call(addr, "DELETE", &alices_key, Some(&bob)).await;
    let no_such = call(
        addr,
        "DELETE",
        "/auth/api-keys/0000000000000000",
        Some(&bob),
    )
    .await;
    assert_eq!(by_bob.status, 404, "{}", by_bob.body);
    assert_eq!(
        (by_bob.status, by_bob.body.clone()),
        (no_such.status, no_such.body.clone())
    );
    // Anonymous: 401 for both.
    for path in [alices_key.as_str(), "/auth/api-keys/0000000000000000"] {
        assert_eq!(call(addr, "DELETE", path, None).await.status, 401);
    }
    // Alice revokes it; then it is gone for her too.
    assert_eq!(
        call(addr, "DELETE", &alices_key, Some(&alice)).await.status,
        204
    );
    assert_eq!(
        call(addr, "DELETE", &alices_key, Some(&alice)).await.status,
        404
    );
}
