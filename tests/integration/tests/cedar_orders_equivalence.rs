//! orders-api's order rules in Cedar (`examples/cedar/orders.cedar`) answer
//! exactly as the Rust rules (`examples/src/policy.rs`): the same outcome
//! (allow, 403, 404, 503) for random principals (roles, ids, regions, guests,
//! the request's time) and orders, each asked through auth-core's one
//! authorization path, three ways: the Rust rules (`OrderRules::Rust`); the
//! service's own policies run by Cedar (`OrderRules::Cedar`, what
//! `ORDERS_API_POLICY_ENGINE=cedar` runs: read and delete as the filter of
//! Cedar's partial evaluation, refund as Cedar's decision); and a plain
//! `Policy` asking `Cedar::decide` for every action.
#![allow(clippy::expect_used, clippy::panic)]

use std::sync::{Arc, LazyLock};
use std::time::{Duration, UNIX_EPOCH};

use auth_core::cedar::Cedar;
use auth_core::context::RequestContext;
use auth_core::rbac::RoleTable;
use auth_core::{Action, AuthError, Authenticated, Decision, Identity, Mechanism, Outcome, Policy};
use examples::access::{BUILT_IN, BUILT_IN_NAME};
use examples::cedar_orders;
use examples::domain::{Delete, Order, Read, Refund, User};
use examples::policy::OrderRules;
use proptest::prelude::*;

// The Cedar-backed twins of the service's actions: the same names (so Cedar is
// asked about the same actions), a policy each that asks the policy set.
#[derive(Action)]
#[action(name = "orders.read")]
struct CedarRead;
#[derive(Action)]
#[action(name = "orders.delete")]
struct CedarDelete;
#[derive(Action)]
#[action(name = "orders.refund")]
struct CedarRefund;

macro_rules! cedar_policy {
    ($action:ident) => {
        impl Policy<Order> for $action {
            type Principal = User;
            type State = Cedar;
            fn decide(user: &Authenticated<User>, order: &Order, cedar: &Cedar) -> Decision {
                cedar_orders::decide(cedar, user, $action, order)
            }
        }
    };
}
cedar_policy!(CedarRead);
cedar_policy!(CedarDelete);
cedar_policy!(CedarRefund);

fn outcome<T>(result: Result<T, AuthError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Allow,
        Err(AuthError::Forbidden { .. }) => Outcome::Deny,
        Err(AuthError::NotFound { .. }) => Outcome::NotFound,
        Err(AuthError::Unavailable { .. }) => Outcome::Unavailable,
        Err(other) => panic!("an authorization answered {other:?}"),
    }
}

#[derive(Debug, Clone)]
struct Principal {
    guest: bool,
    id: i64,
    roles: Vec<&'static str>,
    region: &'static str,
    /// The request's time, Unix seconds.
    now: u64,
}

const REGIONS: [&str; 3] = ["", "eu", "us"];
/// Around the request times drawn below, so the 30-day window is crossed.
const NOW: i64 = 1_800_000_000;
const DAY: i64 = 24 * 60 * 60;

fn arb_principal() -> impl Strategy<Value = Principal> {
    (
        prop::bool::weighted(0.1),
        1_i64..6,
        prop::sample::subsequence(vec!["customer", "manager", "admin"], 0..=3),
        prop::sample::select(REGIONS.to_vec()),
        prop::sample::select(vec![0_u64, 1, 2, 3_600, 86_400]),
    )
        .prop_map(|(guest, id, roles, region, later)| Principal {
            guest,
            id,
            roles,
            region,
            now: u64::try_from(NOW).unwrap_or(0) + later,
        })
}

fn arb_order() -> impl Strategy<Value = Order> {
    let created_at = prop_oneof![
        1 => Just(None),
        1 => any::<i64>().prop_map(Some),
        // Across the 30-day window's edge, to the second.
        // (the request's time is NOW plus one of these offsets too)
        4 => prop::sample::select(vec![-1_i64, 0, 1, 2, 3, 3_599, 3_600, 3_601, 86_400, 86_401])
            .prop_map(|offset| Some(NOW - 30 * DAY + offset)),
        4 => ((NOW - 40 * DAY)..(NOW + DAY)).prop_map(Some),
    ];
    (
        1_i64..50,
        1_i64..6,
        prop_oneof![
            0_i64..100_000,
            Just(49_999),
            Just(50_000),
            Just(50_001),
            any::<i64>()
        ],
        prop::sample::select(REGIONS.to_vec()),
        created_at,
    )
        .prop_map(|(id, owner_id, amount, region, created_at)| Order {
            id,
            owner_id,
            item: "book".to_owned(),
            amount,
            region: region.to_owned(),
            created_at,
            refunded_at: None,
        })
}

fn authenticated(principal: &Principal, table: &RoleTable) -> Authenticated<User> {
    let at = UNIX_EPOCH + Duration::from_secs(principal.now);
    let context = RequestContext::new(at, http::Method::POST);
    let identity = if principal.guest {
        Identity::new(User::guest("guest:x"), "guest:x", Mechanism::Guest)
    } else {
        let user = User {
            id: principal.id,
            email: format!("user{}@example.com", principal.id),
            roles: principal
                .roles
                .iter()
                .map(|&role| role.to_owned())
                .collect(),
            plan: "free".to_owned(),
            region: principal.region.to_owned(),
            guest: None,
            grants: table
                .grants(principal.roles.iter().copied())
                .expect("roles of the file"),
        };
        Identity::new(user, principal.id.to_string(), Mechanism::Test)
    };
    Authenticated::for_testing(identity.context(context))
}

static TABLE: LazyLock<RoleTable> =
    LazyLock::new(|| RoleTable::from_toml(BUILT_IN_NAME, BUILT_IN).expect("roles file"));
static CEDAR: LazyLock<Cedar> =
    LazyLock::new(|| cedar_orders::engine().expect("the built-in policy set"));
static CEDAR_RULES: LazyLock<OrderRules> = LazyLock::new(|| {
    OrderRules::Cedar(Arc::new(
        cedar_orders::load(None, &TABLE).expect("the built-in policy set"),
    ))
});

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn cedar_and_rust_order_rules_answer_alike(
        principal in arb_principal(),
        orders in prop::collection::vec(arb_order(), 1..8),
    ) {
        let (table, cedar, service) = (&*TABLE, &*CEDAR, &*CEDAR_RULES);
        let rust = &OrderRules::Rust;
        let user = authenticated(&principal, table);
        for order in orders {
            let triples = [
                (
                    "orders.read",
                    outcome(user.authorize_with::<Read, _>(order.clone(), rust)),
                    outcome(user.authorize_with::<Read, _>(order.clone(), service)),
                    outcome(user.authorize_with::<CedarRead, _>(order.clone(), cedar)),
                ),
                (
                    "orders.delete",
                    outcome(user.authorize_with::<Delete, _>(order.clone(), rust)),
                    outcome(user.authorize_with::<Delete, _>(order.clone(), service)),
                    outcome(user.authorize_with::<CedarDelete, _>(order.clone(), cedar)),
                ),
                (
                    "orders.refund",
                    outcome(user.authorize_with::<Refund, _>(order.clone(), rust)),
                    outcome(user.authorize_with::<Refund, _>(order.clone(), service)),
                    outcome(user.authorize_with::<CedarRefund, _>(order.clone(), cedar)),
                ),
            ];
            for (action, rust, service, cedar) in triples {
                prop_assert_eq!(rust, service, "{} by {:?} on {:?} (the service under cedar)", action, principal, order);
                prop_assert_eq!(rust, cedar, "{} by {:?} on {:?} (Cedar::decide)", action, principal, order);
            }
        }
    }
}

/// The generator reaches every answer of every rule, so agreement is not
/// agreement on "deny" alone.
#[test]
fn the_cases_cover_allows_and_denials_of_each_rule() {
    let table = RoleTable::from_toml(BUILT_IN_NAME, BUILT_IN).expect("roles file");
    let cedar = cedar_orders::engine().expect("the built-in policy set");
    let manager = Principal {
        guest: false,
        id: 2,
        roles: vec!["manager"],
        region: "eu",
        now: 1_800_000_000,
    };
    let user = authenticated(&manager, &table);
    let order = |owner_id, amount, region: &str, age_days: i64| Order {
        id: 1,
        owner_id,
        item: "book".to_owned(),
        amount,
        region: region.to_owned(),
        created_at: Some(NOW - age_days * DAY),
        refunded_at: None,
    };
    let refund = |order: Order| outcome(user.authorize_with::<CedarRefund, _>(order, &cedar));
    assert_eq!(refund(order(1, 100, "eu", 29)), Outcome::Allow);
    assert_eq!(refund(order(1, 100, "eu", 31)), Outcome::Deny);
    assert_eq!(refund(order(1, 50_000, "eu", 1)), Outcome::Deny);
    assert_eq!(refund(order(1, 100, "us", 1)), Outcome::Deny);
    let read = |order: Order| outcome(user.authorize_with::<CedarRead, _>(order, &cedar));
    assert_eq!(read(order(2, 100, "eu", 1)), Outcome::Allow);
    assert_eq!(read(order(1, 100, "eu", 1)), Outcome::Deny);
    let admin = Principal {
        roles: vec!["admin"],
        ..manager
    };
    let admin = authenticated(&admin, &table);
    assert_eq!(
        outcome(admin.authorize_with::<CedarDelete, _>(order(1, 100, "us", 1), &cedar)),
        Outcome::Allow
    );
}
