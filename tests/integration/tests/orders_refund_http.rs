//! The attribute rule of the service over real HTTP, on `orders-api` (axum) and
//! `orders-actix`: a manager may refund orders under 500.00 in their own region
//! (`POST /orders/{id}/refund`). Each boundary: 499.99 is refunded and 500.00
//! is not, another region's order is not, a customer refunds nothing (not even
//! their own order), a manager refunds any customer's order of their region;
//! an admin, who inherits `manager`, refunds under the same rule and no more;
//! an order is refunded within 30 days of being placed, by the request's time.
//! The order of answers is the loaders': 401, then 403 `insufficient_scope`
//! and the role gate's 403 before the order is read, then 404 for no such
//! order, then the rule's 403.
//!
//! Seeded: alice (customer), bob (customer), dave (admin) and erin (manager)
//! are in `eu`, carol (admin) in `us`; orders 1 to 4 (alice's, bob's) in `eu`.

use std::net::SocketAddr;

use auth_integration::client as http;
use serde_json::json;

mod orders_support;
use orders_support::{Framework, bearer, config, start};

async fn refund(addr: SocketAddr, id: i64, token: Option<&str>) -> http::Response {
    http::call(addr, "POST", &format!("/orders/{id}/refund"), token, None).await
}

/// `who` places an order of `amount` cents; its id.
async fn order(addr: SocketAddr, token: &str, amount: i64) -> i64 {
    let created = http::call(
        addr,
        "POST",
        "/orders",
        Some(token),
        Some(json!({ "item": "refundable", "amount": amount })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.json()["id"].as_i64().expect("an id")
}

fn forbidden(response: &http::Response) -> bool {
    response.status == 403 && response.json()["error"] != "insufficient_scope"
}

async fn a_manager_refunds_under_500_in_their_region(framework: Framework) {
    let addr = start(framework, &config(&[])).await;
    let what = format!("{framework:?}");
    let alice = bearer(addr, "alice", None).await;
    let carol = bearer(addr, "carol", None).await;
    let dave = bearer(addr, "dave", None).await;
    let erin = bearer(addr, "erin", None).await;

    let under = order(addr, &alice, 49_999).await;
    let at_limit = order(addr, &alice, 50_000).await;
    let over = order(addr, &alice, 50_001).await;
    let in_us = order(addr, &carol, 100).await;

    // 1. Anonymous: 401, for an order and for no order alike.
    for id in [under, 99_999] {
        let response = refund(addr, id, None).await;
        assert_eq!(response.status, 401, "{what}: {}", response.body);
        assert!(response.header("www-authenticate").is_some(), "{what}");
    }

    // 2. A read-only token: `insufficient_scope` before the order is read, so a
    //    missing order and a refundable one answer alike.
    let read_only = bearer(addr, "erin", Some("orders:read")).await;
    for id in [under, 99_999] {
        let response = refund(addr, id, Some(&read_only)).await;
        assert_eq!(response.status, 403, "{what}: {}", response.body);
        assert_eq!(response.json()["error"], "insufficient_scope", "{what}");
        assert!(
            response
                .header("www-authenticate")
                .is_some_and(|c| c.contains(r#"scope="orders:write""#)),
            "{what}"
        );
    }

    // 3. No such order: 404.
    assert_eq!(
        refund(addr, 99_999, Some(&erin)).await.status,
        404,
        "{what}"
    );

    // 4. The rule's boundaries, for the eu manager.
    for (id, why) in [
        (at_limit, "500.00 is not under 500.00"),
        (over, "over 500.00"),
        (in_us, "an order of another region"),
    ] {
        let response = refund(addr, id, Some(&erin)).await;
        assert!(
            forbidden(&response),
            "{what}: {why}: {} {}",
            response.status,
            response.body
        );
    }
    let refunded = refund(addr, under, Some(&erin)).await;
    assert_eq!(refunded.status, 200, "{what}: 499.99: {}", refunded.body);
    let body = refunded.json();
    assert_eq!(body["id"], under, "{what}");
    assert_eq!(body["amount"], 49_999, "{what}");
    assert_eq!(body["region"], "eu", "{what}");
    assert!(
        body["refunded_at"].as_i64().is_some_and(|at| at > 0),
        "{what}: {body}"
    );
    // Recorded: the owner sees it, and a second refund is a conflict.
    let seen = http::get(addr, &format!("/orders/{under}"), Some(&alice)).await;
    assert_eq!(seen.json()["refunded_at"], body["refunded_at"], "{what}");
    assert_eq!(refund(addr, under, Some(&erin)).await.status, 409, "{what}");
    // Nothing refused was recorded.
    for id in [at_limit, over] {
        let order = http::get(addr, &format!("/orders/{id}"), Some(&alice)).await;
        assert!(
            order.json().get("refunded_at").is_none(),
            "{what}: {}",
            order.body
        );
    }

    // 5. Another customer's order, in the manager's region: what a manager is for.
    let bobs = refund(addr, 3, Some(&erin)).await;
    assert_eq!(bobs.status, 200, "{what}: bob's order: {}", bobs.body);

    // 6. A customer refunds nothing, not even their own order, and is refused
    //    before the order is read (the role gate): a missing order is a 403 too.
    let own = refund(addr, 2, Some(&alice)).await;
    assert!(forbidden(&own), "{what}: alice's own order: {}", own.body);
    let missing = refund(addr, 99_999, Some(&alice)).await;
    assert!(
        forbidden(&missing),
        "{what}: a customer, no order: {}",
        missing.body
    );

    // 7. An admin inherits `manager`, and with it the rule, not more: dave (eu)
    //    refunds an eu order; carol (us) refunds no eu order.
    let by_dave = refund(addr, 4, Some(&dave)).await;
    assert_eq!(by_dave.status, 200, "{what}: dave: {}", by_dave.body);
    let by_carol = refund(addr, 1, Some(&carol)).await;
    assert!(forbidden(&by_carol), "{what}: carol: {}", by_carol.body);
    assert_eq!(
        refund(addr, in_us, Some(&carol)).await.status,
        200,
        "{what}: carol in us"
    );
    let dave_over = refund(addr, at_limit, Some(&dave)).await;
    assert!(
        forbidden(&dave_over),
        "{what}: dave, 500.00: {}",
        dave_over.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_refunds_under_500_in_their_region_on_axum() {
    a_manager_refunds_under_500_in_their_region(Framework::Axum).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_refunds_under_500_in_their_region_on_actix() {
    a_manager_refunds_under_500_in_their_region(Framework::Actix).await;
}

/// The rule reads the request's time (`user.context().at()`): an order is
/// refunded within 30 days of being placed, not after. The orders are aged in
/// the database file the service runs on.
async fn only_within_30_days(framework: Framework) {
    let path = std::env::temp_dir().join(format!(
        "orders-refund-{framework:?}-{}.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let file = path.to_str().expect("a UTF-8 path").to_owned();
    let addr = start(framework, &config(&[("DATABASE_URL", file.as_str())])).await;
    let what = format!("{framework:?}");
    let alice = bearer(addr, "alice", None).await;
    let erin = bearer(addr, "erin", None).await;
    let day = 24 * 60 * 60;
    let mut aged = Vec::new();
    for days in [29, 31] {
        let id = order(addr, &alice, 100).await;
        let conn = rusqlite::Connection::open(&path).expect("the service's database");
        conn.execute(
            "UPDATE orders SET created_at = created_at - ?1 WHERE id = ?2",
            rusqlite::params![days * day, id],
        )
        .expect("aged");
        aged.push(id);
    }
    let recent = refund(addr, aged[0], Some(&erin)).await;
    assert_eq!(recent.status, 200, "{what}: 29 days: {}", recent.body);
    let old = refund(addr, aged[1], Some(&erin)).await;
    assert!(
        forbidden(&old),
        "{what}: 31 days: {} {}",
        old.status,
        old.body
    );
    let _ = std::fs::remove_file(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_within_30_days_on_axum() {
    only_within_30_days(Framework::Axum).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_within_30_days_on_actix() {
    only_within_30_days(Framework::Actix).await;
}
