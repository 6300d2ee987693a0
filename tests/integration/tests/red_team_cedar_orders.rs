//! Red team (orders-api on Cedar, commit 987df98): policy sets the start probe
//! accepts that a later request cannot answer as a filter. The claim under
//! attack: an unanswerable rule is refused at start, and otherwise an outage is
//! a 503 on every path (one order, the list, a delete; HTTP on axum and
//! actix-web, and gRPC), never an allow, a 403 or an empty 200 list.
//!
//! The probe asks as one user of each role, in the region `eu`, at time 0. A
//! rule that reads an optional attribute, or nests too deep for a filter, only
//! for principals of another region escapes it; carol (an admin in `us`) is
//! such a principal here, dave (an admin in `eu`) and alice (a customer in
//! `eu`) are not.
#![allow(clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use auth_integration::client as http;
use examples::cedar_orders::{self, POLICIES, SCHEMA};
use examples::orders_grpc::pb;
use examples::orders_grpc::pb::orders_client::OrdersClient;
use examples::service::{LoginRequest, Service};
use tonic::{Code, Request};

mod orders_support;
use orders_support::{BOTH, Framework, Scratch, bearer, config, start};

/// The built-in policy set with `extra` policies, and the built-in schema.
fn files(name: &str, extra: &str) -> (Scratch, Scratch) {
    (
        Scratch::with(&format!("{name}.cedar"), &format!("{POLICIES}\n{extra}\n")),
        Scratch::with(&format!("{name}.cedarschema"), SCHEMA),
    )
}

fn engine<'a>(policies: &'a Scratch, schema: &'a Scratch) -> [(&'static str, &'a str); 3] {
    [
        ("ORDERS_API_POLICY_ENGINE", "cedar"),
        ("ORDERS_API_CEDAR_POLICIES", policies.path()),
        ("ORDERS_API_CEDAR_SCHEMA", schema.path()),
    ]
}

/// A condition on the order that holds for none of the service's orders (no
/// amount is negative) and nests `levels` deep, alternating `&&` and `||`:
/// a rule a filter cannot hold past [`auth_core::filter::Filter::MAX_DEPTH`].
fn deep(levels: i64) -> String {
    let mut expr = format!("resource.amount == -{levels}");
    for level in (0..levels).rev() {
        expr = if level % 2 == 0 {
            format!("resource.amount == -{level} && ({expr})")
        } else {
            format!("resource.amount != -{level} || ({expr})")
        };
    }
    expr
}

/// Runs `test` on a thread with a stack large enough for Cedar on these
/// policies in a debug build, and on a runtime whose workers have as much.
/// (With a debug build's frames on 2 MiB, Cedar's own stack guard refuses to
/// evaluate the deep rule, which hides the filter's answer behind a 503; a
/// release build evaluates it on a worker's 2 MiB.)
fn with_big_parser_stack<F: std::future::Future<Output = ()>>(test: impl FnOnce() -> F + Send) {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn_scoped(scope, || {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_stack_size(64 << 20)
                    .enable_all()
                    .build()
                    .expect("a runtime")
                    .block_on(test());
            })
            .expect("a thread")
            .join()
            .expect("the test passes");
    });
}

const READ_DELETE: &str =
    r#"action in [Orders::Action::"orders.read", Orders::Action::"orders.delete"]"#;

/// A read rule nested too deep for a filter is refused at start, naming the
/// action and the policy: it used to pass the probe and then deny every order
/// (403) and list none (an empty 200), where Cedar itself allows.
#[test]
fn a_rule_too_deep_for_a_filter_is_refused_at_start() {
    with_big_parser_stack(|| async { too_deep_refused() });
}

fn too_deep_refused() {
    let (policies, schema) = files(
        "deep",
        &format!(
            r#"@id("deep") forbid (principal, {READ_DELETE}, resource) when {{ {} }};"#,
            deep(66)
        ),
    );
    let roles = examples::access::load(None).expect("the built-in roles");
    let refused = cedar_orders::load(Some((policies.0.as_path(), schema.0.as_path())), &roles)
        .expect_err("a rule a filter cannot hold is refused at start");
    let message = refused.to_string();
    assert!(message.contains("`orders.read`"), "{message}");
    assert!(message.contains("`deep`"), "{message}");
}

async fn token(addr: SocketAddr, who: &str) -> String {
    bearer(addr, who, None).await
}

/// carol, for whom the rule has no filter, gets 503 for the list, for one
/// order and for its delete (which deletes nothing); the others answer as
/// before.
async fn outage_for_carol_over_http(addr: SocketAddr, what: &str) {
    let (carol, dave, alice) = (
        token(addr, "carol").await,
        token(addr, "dave").await,
        token(addr, "alice").await,
    );
    let list = http::call(addr, "GET", "/orders", Some(&carol), None).await;
    assert_eq!(list.status, 503, "{what}: carol's list: {}", list.body);
    let one = http::call(addr, "GET", "/orders/1", Some(&carol), None).await;
    assert_eq!(one.status, 503, "{what}: carol reads order 1: {}", one.body);
    let delete = http::call(addr, "DELETE", "/orders/3", Some(&carol), None).await;
    assert_eq!(
        delete.status, 503,
        "{what}: carol deletes order 3: {}",
        delete.body
    );
    let ids = |response: &http::Response| -> Vec<i64> {
        assert_eq!(response.status, 200, "{what}: {}", response.body);
        response.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|order| order["id"].as_i64().expect("an id"))
            .collect()
    };
    let all = http::call(addr, "GET", "/orders", Some(&dave), None).await;
    assert_eq!(ids(&all), [1, 2, 3, 4], "{what}: dave lists every order");
    let own = http::call(addr, "GET", "/orders", Some(&alice), None).await;
    assert_eq!(ids(&own), [1, 2], "{what}: alice lists hers");
}

/// A forbid that reads an optional attribute (`has`), only for principals of
/// `us`: the probe (in `eu`) accepts it; for carol it is a 503 everywhere.
const UNKNOWN_AGE: &str = r#"@id("us-unknown-age")
forbid (principal, action in [Orders::Action::"orders.read", Orders::Action::"orders.delete"], resource)
when { principal.region == "us" && !(resource has created_at) };"#;

#[test]
fn a_rule_with_no_filter_for_some_principals_is_a_503_for_them_on_every_path() {
    with_big_parser_stack(outage_for_carol);
}

async fn outage_for_carol() {
    let deep_for_us = format!(
        r#"@id("us-deep") forbid (principal, {READ_DELETE}, resource)
           when {{ principal.region == "us" && ({}) }};"#,
        deep(66)
    );
    // orders-actix parses its policies on a thread of the test's own (too
    // small for Cedar's parser of the deep rule in a debug build): axum only
    // for that one; the decision is the policy's, whatever the framework.
    for (name, extra, frameworks) in [
        ("unknown-age", UNKNOWN_AGE, &BOTH[..]),
        ("deep", deep_for_us.as_str(), &[Framework::Axum][..]),
    ] {
        let (policies, schema) = files(name, extra);
        for &framework in frameworks {
            let addr = start(framework, &config(&engine(&policies, &schema))).await;
            outage_for_carol_over_http(addr, &format!("{name} on {framework:?}")).await;
        }
    }
}

/// `message` with `token` as its bearer credential.
fn signed<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii"),
    );
    request
}

/// orders-grpc decides through `authorize_with(order, &rules)`: the same 503
/// (`UNAVAILABLE`) for carol's read, delete and list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_with_no_filter_is_unavailable_over_grpc() {
    let (policies, schema) = files("grpc", UNKNOWN_AGE);
    let service = Service::start(&config(&engine(&policies, &schema)))
        .await
        .expect("the service starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(
        examples::orders_grpc::server(&service)
            .serve_with_listener(listener, std::future::pending()),
    );
    let mut client = None;
    for _ in 0..100 {
        if let Ok(connected) = OrdersClient::connect(format!("http://{addr}")).await {
            client = Some(connected);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut client = client.expect("orders-grpc answers");
    let carol = service
        .login(
            None,
            &LoginRequest {
                email: "carol@example.com".to_owned(),
                password: "carol-password".to_owned(),
                scope: None,
            },
        )
        .await
        .expect("carol signs in")
        .access_token;
    let read = client
        .get_order(signed(pb::GetOrderRequest { id: 1 }, &carol))
        .await
        .expect_err("no answer");
    assert_eq!(read.code(), Code::Unavailable, "{read:?}");
    let delete = client
        .delete_order(signed(pb::DeleteOrderRequest { id: 3 }, &carol))
        .await
        .expect_err("no answer");
    assert_eq!(delete.code(), Code::Unavailable, "{delete:?}");
    let list = client
        .list_my_orders(signed(
            pb::ListMyOrdersRequest { limit: 0, after: 0 },
            &carol,
        ))
        .await
        .expect_err("no answer");
    assert_eq!(list.code(), Code::Unavailable, "{list:?}");
    assert!(
        service.db.order(3).expect("the database").is_some(),
        "nothing was deleted"
    );
}

/// `if c then t else e` becomes `(c && t) || (!c && e)`: `c` twice. Nested in
/// the condition, `n` levels of a 20-line rule became 2^n comparisons (n = 20:
/// 3 million SQL parameters, a 67 MB `WHERE`, over a second per request in a
/// debug build), on every read and every list. The probe accepted it, though
/// the list's query is past SQLite's 32 766 parameters. Such a rule is now
/// refused at start, as one with no filter.
#[test]
fn a_rule_whose_filter_explodes_is_refused_at_start() {
    with_big_parser_stack(|| async {
        let mut cond = "resource.amount == 0".to_owned();
        for k in 1..=20 {
            cond = format!("if ({cond}) then resource.amount == {k} else resource.owner_id == {k}");
        }
        let (policies, schema) = files(
            "ite",
            &format!(
                r#"@id("ite") permit (principal, action == Orders::Action::"orders.read", resource) when {{ {cond} }};"#
            ),
        );
        let roles = examples::access::load(None).expect("the built-in roles");
        let started = std::time::Instant::now();
        let refused = cedar_orders::load(Some((policies.0.as_path(), schema.0.as_path())), &roles)
            .expect_err("a rule whose filter explodes is refused at start");
        let message = refused.to_string();
        assert!(message.contains("`orders.read`"), "{message}");
        assert!(message.contains("`ite`"), "{message}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "refused before the filter is built: {:?}",
            started.elapsed()
        );
    });
}
