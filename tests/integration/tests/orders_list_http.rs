//! `GET /orders` through the rule's filter: the right rows over real HTTP on
//! both frameworks, pages that never skip or repeat a row, and one audit event
//! for the whole list (not one per row), whose filter shape says how it was
//! narrowed.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use auth_integration::client as http;
use examples::page::PageQuery;
use examples::service::Service;
use serde_json::{Value, json};

mod orders_support;
use orders_support::{Framework, config, signed_in, start};

async fn login(addr: SocketAddr, who: &str) -> String {
    let body =
        json!({ "email": format!("{who}@example.com"), "password": format!("{who}-password") });
    let response = http::call(addr, "POST", "/auth/login", None, Some(body)).await;
    assert_eq!(response.status, 200, "login of {who}: {}", response.body);
    response.json()["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// Every page of `GET /orders` with `limit`, put together: the owners and ids.
async fn all_pages(addr: SocketAddr, token: &str, limit: u32) -> Vec<(i64, i64)> {
    let mut rows = Vec::new();
    let mut path = format!("/orders?limit={limit}");
    loop {
        let response = http::get(addr, &path, Some(token)).await;
        assert_eq!(response.status, 200, "{path}: {}", response.body);
        let page: Value = response.json();
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= limit as usize, "{path}: {}", response.body);
        rows.extend(items.iter().map(|order| {
            (
                order["owner_id"].as_i64().expect("an owner"),
                order["id"].as_i64().expect("an id"),
            )
        }));
        match page["next"].as_i64() {
            Some(next) => path = format!("/orders?limit={limit}&after={next}"),
            None => return rows,
        }
    }
}

async fn lists_through_the_filter(framework: Framework) {
    let addr = start(framework, &config(&[])).await;
    let alice = login(addr, "alice").await;
    let bob = login(addr, "bob").await;
    let carol = login(addr, "carol").await;
    // More orders than one page, for both customers.
    for (token, n) in [(&alice, 5), (&bob, 3)] {
        for i in 0..n {
            let response = http::call(
                addr,
                "POST",
                "/orders",
                Some(token),
                Some(json!({ "item": format!("thing {i}"), "amount": 100 + i })),
            )
            .await;
            assert_eq!(response.status, 201, "{framework:?}: {}", response.body);
        }
    }
    for limit in [1, 2, 3, 50] {
        let hers = all_pages(addr, &alice, limit).await;
        assert_eq!(hers.len(), 7, "{framework:?} limit {limit}: {hers:?}");
        assert!(hers.iter().all(|(owner, _)| *owner == 1), "{hers:?}");
        let ids: Vec<i64> = hers.iter().map(|(_, id)| *id).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "in id order, no repeats: {ids:?}"
        );

        let his = all_pages(addr, &bob, limit).await;
        assert_eq!(his.len(), 5, "{framework:?}: {his:?}");
        assert!(his.iter().all(|(owner, _)| *owner == 2), "{his:?}");

        // The admin sees every order, each exactly once.
        let every = all_pages(addr, &carol, limit).await;
        let ids: BTreeSet<i64> = every.iter().map(|(_, id)| *id).collect();
        assert_eq!(ids.len(), every.len(), "no repeats");
        assert_eq!(every.len(), 12, "{framework:?}: {every:?}");
    }
    // A cursor past the end is an empty last page, not an error.
    let response = http::get(addr, "/orders?after=9223372036854775807", Some(&alice)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json(), json!({ "items": [], "next": null }));
}

#[tokio::test]
async fn lists_through_the_filter_on_axum() {
    lists_through_the_filter(Framework::Axum).await;
}

#[tokio::test]
async fn lists_through_the_filter_on_actix() {
    lists_through_the_filter(Framework::Actix).await;
}

/// One list, one audit event: principal, action, `order:*` and the filter's
/// shape, never a value and never one event per row.
#[tokio::test]
async fn a_list_is_one_audit_event_with_the_filter_shape() {
    let service = Service::start(&config(&[]))
        .await
        .expect("the service starts");
    let alice = signed_in(&service, "alice").await;
    let carol = signed_in(&service, "carol").await;

    let (page, events) =
        auth_tests::audit::capture(|| service.orders(&alice, PageQuery::default()));
    let page = page.expect("alice's orders");
    assert_eq!(page.items.len(), 2, "{page:?}");
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(event["principal"], "1");
    assert_eq!(event["action"], "orders.read");
    assert_eq!(event["resource"], "order:*");
    assert_eq!(event["decision"], "allow");
    assert_eq!(event["filter"], "owner_id = ?", "{event:#?}");

    let (page, events) =
        auth_tests::audit::capture(|| service.orders(&carol, PageQuery::default()));
    assert_eq!(page.expect("every order").items.len(), 4);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(
        events[0]["filter"], "TRUE",
        "an admin's filter selects every order"
    );
}
