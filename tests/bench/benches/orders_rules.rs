//! Item 11 of BENCHMARKS.md, the reference service's part: its order rules run
//! by Rust and by Cedar (`ORDERS_API_POLICY_ENGINE`), through the very calls
//! the service makes, side by side in one run.
//!
//! - `orders_rules/read`: one order decided by the `Read` policy, a
//!   `FilterPolicy` (`authorize_with::<Read, _>(order, &rules)`): under Rust, the
//!   filter built from the principal and matched; under Cedar, Cedar's partial
//!   evaluation for the principal turned into the filter, then matched. And
//!   `Cedar::decide` on the same question (the engine's plain decision, as a
//!   `Policy` would ask it), for scale. A customer on their own order, an
//!   admin, a customer on another's order.
//! - `orders_rules/list`: `authorize_list::<Read, Order>(&rules)`, the list's one
//!   decision (its filter, its audit event off), for a customer and an admin.
//! - `orders_rules/refund`: the refund rule (a `Policy`), a manager on an order
//!   of their region.
//!
//! The bench asserts first that both engines answer every case alike.
//!
//! `cargo bench -p auth-bench --bench orders_rules` (≈ 1 min).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::cedar::Cedar;
use auth_core::{AuthError, Authenticated, Authenticator, Identity, Mechanism};
use criterion::{Criterion, criterion_group, criterion_main};
use examples::cedar_orders;
use examples::domain::{Order, Read, Refund, User};
use examples::policy::OrderRules;

#[path = "../src/poll.rs"]
mod poll;

/// Hands out one fixed principal.
struct Fixed(User);

impl Authenticator for Fixed {
    type User = User;

    async fn authenticate(&self, _: &http::request::Parts) -> Result<Identity<User>, AuthError> {
        Ok(Identity::new(
            self.0.clone(),
            self.0.id.to_string(),
            Mechanism::Test,
        ))
    }
}

fn principal(table: &auth_core::rbac::RoleTable, id: i64, role: &str) -> Authenticated<User> {
    let user = User {
        id,
        email: format!("user{id}@example.com"),
        roles: vec![role.to_owned()],
        plan: "free".to_owned(),
        region: "eu".to_owned(),
        guest: None,
        grants: table.grants([role]).expect("a role of the file"),
    };
    let (parts, ()) = http::Request::new(()).into_parts();
    poll::poll_once(auth_core::authenticate(&Fixed(user), &parts)).expect("authenticated")
}

fn order(id: i64, owner_id: i64) -> Order {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    Order {
        id,
        owner_id,
        item: "kettle".to_owned(),
        amount: 4_500,
        region: "eu".to_owned(),
        created_at: Some(i64::try_from(now).expect("a time") - 86_400),
        refunded_at: None,
    }
}

fn bench(c: &mut Criterion) {
    let table = examples::access::load(None).expect("the built-in roles file");
    let cedar: Arc<Cedar> =
        Arc::new(cedar_orders::load(None, &table).expect("the built-in policy set"));
    let engines = [
        ("rust", OrderRules::Rust),
        ("cedar", OrderRules::Cedar(Arc::clone(&cedar))),
    ];
    let customer = principal(&table, 1, "customer");
    let admin = principal(&table, 4, "admin");
    let manager = principal(&table, 5, "manager");
    let own = order(10, 1);
    let others = order(11, 2);
    let cases = [
        ("customer_own", &customer, &own, true),
        ("admin", &admin, &others, true),
        ("customer_other", &customer, &others, false),
    ];

    // Both engines answer alike before anything is timed.
    for (_, rules) in &engines {
        for (name, user, order, allowed) in &cases {
            let answer = user.authorize_with::<Read, _>((*order).clone(), rules);
            assert_eq!(answer.is_ok(), *allowed, "{} {name}", rules.name());
        }
        assert!(
            manager
                .authorize_with::<Refund, _>(others.clone(), rules)
                .is_ok()
        );
    }

    let mut group = c.benchmark_group("orders_rules/read");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for (name, user, order, _) in &cases {
        for (engine, rules) in &engines {
            group.bench_function(format!("{engine}_filter_policy/{name}"), |b| {
                b.iter(|| {
                    black_box(user.authorize_with::<Read, _>(black_box((*order).clone()), rules))
                        .is_ok()
                });
            });
        }
        group.bench_function(format!("cedar_decide/{name}"), |b| {
            b.iter(|| black_box(cedar_orders::decide(&cedar, user, Read, black_box(order))));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("orders_rules/list");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for (name, user) in [("customer", &customer), ("admin", &admin)] {
        for (engine, rules) in &engines {
            group.bench_function(format!("{engine}/{name}"), |b| {
                b.iter(|| {
                    black_box(user.authorize_list::<Read, Order>(rules))
                        .map(|list| list.filter().is_all())
                });
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("orders_rules/refund");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for (engine, rules) in &engines {
        group.bench_function(format!("{engine}/manager"), |b| {
            b.iter(|| {
                black_box(manager.authorize_with::<Refund, _>(black_box(others.clone()), rules))
                    .is_ok()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
