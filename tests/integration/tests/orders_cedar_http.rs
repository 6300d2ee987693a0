//! The reference service with its order rules run by Cedar
//! (`ORDERS_API_POLICY_ENGINE=cedar`, the policy set
//! `examples/cedar/orders.cedar`), over real HTTP on `orders-api` (axum) and
//! `orders-actix`.
//!
//! - **The same answers.** Two instances, one on the Rust rules and one on
//!   Cedar, get the same requests in the same order: every caller (anonymous,
//!   a read-only token, customers, a manager, admins of two regions) reads,
//!   refunds and deletes every order (their own, others', another region's,
//!   around the 500.00 limit, aged past 30 days, and one that does not exist),
//!   and lists their orders page by page. Every status and error code, and
//!   every list, must be equal.
//! - **Evidence.** Under Cedar, the audit events of a decision and of a list
//!   name the Cedar policies they come from.
//! - **Fail closed.** A policy set whose refund rule errors on some orders
//!   answers 503 for those (never 200 or 403), and the other orders as before.
//! - **Refused at start.** A policy set that fails validation stops the start
//!   naming its file and line; one whose read rule has no SQL filter stops it
//!   naming the action; bad `ORDERS_API_POLICY_ENGINE` values are refused.
#![allow(clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use auth_integration::client as http;
use examples::config::Config;
use examples::service::{Service, StartError};
use serde_json::json;

mod orders_support;
use orders_support::{BOTH, Framework, Scratch, bearer, config, signed_in, start};

/// One instance of the service, on a database file of its own (so the test
/// can age orders in it).
struct Instance {
    addr: SocketAddr,
    db: Scratch,
}

async fn instance(framework: Framework, engine: &str) -> Instance {
    let db = Scratch::new(&format!("{framework:?}-{engine}.sqlite"));
    let addr = start(
        framework,
        &config(&[
            ("DATABASE_URL", db.path()),
            ("ORDERS_API_POLICY_ENGINE", engine),
        ]),
    )
    .await;
    Instance { addr, db }
}

/// What a response says, for comparing two instances: the status and the
/// error code (bodies hold times that differ by a second).
fn answer(response: &http::Response) -> (u16, String) {
    let error = if response.status >= 400 && !response.body.is_empty() {
        response.json()["error"].as_str().unwrap_or("").to_owned()
    } else {
        String::new()
    };
    (response.status, error)
}

/// Every page of `GET /orders` for `token`, two at a time: the ids listed.
async fn listed(addr: SocketAddr, token: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut path = "/orders?limit=2".to_owned();
    loop {
        let page = http::call(addr, "GET", &path, Some(token), None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let page = page.json();
        for order in page["items"].as_array().expect("items") {
            ids.push(order["id"].as_i64().expect("an id"));
        }
        match page["next"].as_i64() {
            Some(next) => path = format!("/orders?limit=2&after={next}"),
            None => return ids,
        }
    }
}

/// The callers, by name, with their tokens on `addr`; `None` is anonymous.
async fn callers(addr: SocketAddr) -> Vec<(&'static str, Option<String>)> {
    let mut callers = vec![("anonymous", None)];
    callers.push((
        "erin, read-only",
        Some(bearer(addr, "erin", Some("orders:read")).await),
    ));
    for who in ["alice", "bob", "carol", "dave", "erin"] {
        callers.push((who, Some(bearer(addr, who, None).await)));
    }
    callers
}

/// Places the test's orders on `instance` (the same on both, in the same
/// order, so they get the same ids) and ages some past 30 days.
async fn place_orders(instance: &Instance, callers: &[(&str, Option<String>)]) {
    for (who, token) in callers.iter().skip(2) {
        let token = token.as_deref().expect("signed in");
        for amount in [100, 49_999, 50_000] {
            let created = http::call(
                instance.addr,
                "POST",
                "/orders",
                Some(token),
                Some(json!({ "item": format!("{who}'s"), "amount": amount })),
            )
            .await;
            assert_eq!(created.status, 201, "{}", created.body);
        }
    }
    // Every third order, 31 days old; the ones before it, 29.
    let conn = rusqlite::Connection::open(&instance.db.0).expect("the service's database");
    conn.execute(
        "UPDATE orders SET created_at = created_at - (CASE WHEN id % 3 = 0 THEN 31 ELSE 29 END) * 86400",
        [],
    )
    .expect("aged");
}

async fn both_engines_answer_alike(framework: Framework) {
    let rust = instance(framework, "rust").await;
    let cedar = instance(framework, "cedar").await;
    let on_rust = callers(rust.addr).await;
    let on_cedar = callers(cedar.addr).await;
    place_orders(&rust, &on_rust).await;
    place_orders(&cedar, &on_cedar).await;
    // Seeded 1 to 4, 15 placed, and one that does not exist.
    let ids: Vec<i64> = (1..=20).collect();

    let mut seen = std::collections::BTreeSet::new();
    let mut compared = 0;
    // Reads, then lists, then refunds (twice: the second is a 409), then
    // deletes: the same sequence on both, so both databases change alike.
    for (step, method, path) in [
        ("read", "GET", "/orders/{id}"),
        ("refund", "POST", "/orders/{id}/refund"),
        ("refund again", "POST", "/orders/{id}/refund"),
        ("delete", "DELETE", "/orders/{id}"),
    ] {
        if step == "delete" {
            // Before anything is deleted: each signed-in caller's list.
            for ((who, rust_token), (_, cedar_token)) in on_rust.iter().zip(&on_cedar) {
                if let (Some(rust_token), Some(cedar_token)) = (rust_token, cedar_token) {
                    let (a, b) = (
                        listed(rust.addr, rust_token).await,
                        listed(cedar.addr, cedar_token).await,
                    );
                    assert_eq!(a, b, "{framework:?}: {who}'s list");
                    assert!(!a.is_empty(), "{framework:?}: {who} lists something");
                }
            }
        }
        for ((who, rust_token), (_, cedar_token)) in on_rust.iter().zip(&on_cedar) {
            for id in &ids {
                let path = path.replace("{id}", &id.to_string());
                let a = http::call(rust.addr, method, &path, rust_token.as_deref(), None).await;
                let b = http::call(cedar.addr, method, &path, cedar_token.as_deref(), None).await;
                assert_eq!(
                    answer(&a),
                    answer(&b),
                    "{framework:?}: {who} {method} {path}: rust {} / cedar {}",
                    a.body,
                    b.body
                );
                seen.insert((step, a.status));
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 4 * 7 * 20);
    // Every answer of each rule was reached, so agreement is not agreement on
    // one status.
    for expected in [
        ("read", 200),
        ("read", 401),
        ("read", 403),
        ("read", 404),
        ("refund", 200),
        ("refund", 403),
        ("refund again", 409),
        ("delete", 204),
        ("delete", 403),
    ] {
        assert!(
            seen.contains(&expected),
            "{framework:?}: no {expected:?} in {seen:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_answer_alike_on_axum() {
    both_engines_answer_alike(Framework::Axum).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_answer_alike_on_actix() {
    both_engines_answer_alike(Framework::Actix).await;
}

#[tokio::test]
async fn audit_events_name_the_cedar_policies() {
    let service = Service::start(&config(&[("ORDERS_API_POLICY_ENGINE", "cedar")]))
        .await
        .expect("the service starts");
    let alice = signed_in(&service, "alice").await;
    let dave = signed_in(&service, "dave").await;

    // A list: the policies its filter comes from.
    let (page, events) =
        auth_tests::audit::capture(|| service.orders(&alice, examples::page::PageQuery::default()));
    assert!(!page.expect("a page").items.is_empty());
    let list = events
        .iter()
        .find(|event| event["resource"] == "order:*")
        .unwrap_or_else(|| panic!("a list event: {events:#?}"));
    assert_eq!(list["engine"], "cedar", "{list:#?}");
    assert_eq!(list["evidence"], "owner", "{list:#?}");
    assert_eq!(list["filter"], "owner_id = ?", "{list:#?}");

    // One order: allowed through the owner policy for alice, the admin one
    // for dave; a denial names no policy (Cedar's default deny).
    let order = service.db.order(1).expect("the database").expect("order 1");
    let (read, events) = auth_tests::audit::capture(|| {
        alice.authorize_with::<examples::domain::Read, _>(order.clone(), &service.rules)
    });
    assert!(read.is_ok(), "{read:?}");
    assert_eq!(events[0]["engine"], "cedar", "{events:#?}");
    assert_eq!(events[0]["evidence"], "owner");
    let (read, events) = auth_tests::audit::capture(|| {
        dave.authorize_with::<examples::domain::Delete, _>(order.clone(), &service.rules)
    });
    assert!(read.is_ok(), "{read:?}");
    assert_eq!(events[0]["evidence"], "admin", "{events:#?}");
}

/// The built-in policy set, with the refund rule's amount check written as an
/// arithmetic that overflows (a Cedar evaluation error) for amounts of about
/// 922 337.21 and more (the service takes up to 1 000 000.00).
const OVERFLOWING_REFUND: &str = r#"
@id("owner")
permit (principal, action in [Orders::Action::"orders.read", Orders::Action::"orders.delete"], resource)
when { resource.owner_id == principal.id };

@id("admin")
permit (principal in Orders::Role::"admin", action in [Orders::Action::"orders.read", Orders::Action::"orders.delete"], resource);

@id("manager-refund")
permit (principal in Orders::Role::"manager", action == Orders::Action::"orders.refund", resource)
when {
    principal.region != "" &&
    resource.region == principal.region &&
    resource.amount * 100000000000 < 5000000000000000 &&
    resource has created_at &&
    resource.created_at >= context.now - 2592000
};
"#;

fn files(policies: &str) -> (Scratch, Scratch) {
    let policy_file = Scratch::new("orders.cedar");
    let schema_file = Scratch::new("orders.cedarschema");
    std::fs::write(&policy_file.0, policies).expect("written");
    std::fs::write(&schema_file.0, examples::cedar_orders::SCHEMA).expect("written");
    (policy_file, schema_file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erring_policy_is_a_503_never_an_answer() {
    let (policies, schema) = files(OVERFLOWING_REFUND);
    for framework in BOTH {
        let addr = start(
            framework,
            &config(&[
                ("ORDERS_API_POLICY_ENGINE", "cedar"),
                ("ORDERS_API_CEDAR_POLICIES", policies.path()),
                ("ORDERS_API_CEDAR_SCHEMA", schema.path()),
            ]),
        )
        .await;
        let alice = bearer(addr, "alice", None).await;
        let erin = bearer(addr, "erin", None).await;
        let mut ids = Vec::new();
        for amount in [100, 100_000_000] {
            let created = http::call(
                addr,
                "POST",
                "/orders",
                Some(&alice),
                Some(json!({ "item": "x", "amount": amount })),
            )
            .await;
            assert_eq!(created.status, 201, "{framework:?}: {}", created.body);
            ids.push(created.json()["id"].as_i64().expect("an id"));
        }
        let small = http::call(
            addr,
            "POST",
            &format!("/orders/{}/refund", ids[0]),
            Some(&erin),
            None,
        )
        .await;
        assert_eq!(small.status, 200, "{framework:?}: {}", small.body);
        let erring = http::call(
            addr,
            "POST",
            &format!("/orders/{}/refund", ids[1]),
            Some(&erin),
            None,
        )
        .await;
        assert_eq!(erring.status, 503, "{framework:?}: {}", erring.body);
        // Reading it is another rule, which does not err.
        let read = http::call(
            addr,
            "GET",
            &format!("/orders/{}", ids[1]),
            Some(&alice),
            None,
        )
        .await;
        assert_eq!(read.status, 200, "{framework:?}: {}", read.body);
    }
}

async fn start_error(extra: &[(&str, &str)]) -> StartError {
    match Service::start(&config(extra)).await {
        Ok(_) => panic!("the service started with {extra:?}"),
        Err(error) => error,
    }
}

#[tokio::test]
async fn a_policy_set_that_cannot_answer_stops_the_start() {
    // A syntax error: the file and its line.
    let (policies, schema) =
        files("permit (principal, action, resource)\nwhen { resource.owner_id == };\n");
    let error = start_error(&[
        ("ORDERS_API_POLICY_ENGINE", "cedar"),
        ("ORDERS_API_CEDAR_POLICIES", policies.path()),
        ("ORDERS_API_CEDAR_SCHEMA", schema.path()),
    ])
    .await;
    assert!(matches!(error, StartError::Rules(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(&format!("{}:2:", policies.path())),
        "{message}"
    );

    // Valid, but the read rule has no filter (`like`): named at start rather
    // than a 503 on every list.
    let (policies, schema) = files(
        r#"@id("eu") permit (principal, action == Orders::Action::"orders.read", resource) when { resource.region like "e*" };"#,
    );
    let error = start_error(&[
        ("ORDERS_API_POLICY_ENGINE", "cedar"),
        ("ORDERS_API_CEDAR_POLICIES", policies.path()),
        ("ORDERS_API_CEDAR_SCHEMA", schema.path()),
    ])
    .await;
    let message = error.to_string();
    assert!(message.contains("`orders.read`"), "{message}");
    assert!(message.contains("`eu`"), "{message}");
}

#[test]
fn the_engine_variables_are_checked() {
    let lookup = |vars: &'static [(&'static str, &'static str)]| {
        Config::from_lookup(move |name| {
            vars.iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| (*value).to_owned())
        })
    };
    let refused = |vars, variable: &str| {
        let error = lookup(vars).expect_err("refused");
        assert_eq!(error.variable, variable, "{error}");
    };
    refused(
        &[("ORDERS_API_POLICY_ENGINE", "opa")],
        "ORDERS_API_POLICY_ENGINE",
    );
    refused(
        &[("ORDERS_API_POLICY_ENGINE", "Cedar")],
        "ORDERS_API_POLICY_ENGINE",
    );
    refused(
        &[("ORDERS_API_CEDAR_POLICIES", "p.cedar")],
        "ORDERS_API_CEDAR_POLICIES",
    );
    refused(
        &[
            ("ORDERS_API_POLICY_ENGINE", "cedar"),
            ("ORDERS_API_CEDAR_POLICIES", "p.cedar"),
        ],
        "ORDERS_API_CEDAR_SCHEMA",
    );
    refused(
        &[
            ("ORDERS_API_POLICY_ENGINE", "cedar"),
            ("ORDERS_API_CEDAR_SCHEMA", ""),
        ],
        "ORDERS_API_CEDAR_SCHEMA",
    );
    assert_eq!(
        lookup(&[("ORDERS_API_POLICY_ENGINE", "cedar")])
            .expect("valid")
            .policy_engine,
        examples::config::PolicyEngine::Cedar { files: None }
    );
    assert_eq!(
        lookup(&[]).expect("valid").policy_engine,
        examples::config::PolicyEngine::Rust
    );
}
