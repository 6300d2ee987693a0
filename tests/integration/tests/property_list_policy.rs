//! The reference service's listing and its single-order rule agree, row by row.
//!
//! For random orders in the service's real SQLite database and random
//! principals (any id, any roles), every page of `GET /orders`' query (the
//! `Read` policy's filter as the `WHERE`, keyset pagination, each row admitted
//! into a permit) put together is exactly the set of orders
//! `Authenticated::authorize::<Read, _>` allows, in both directions: the list
//! never shows an order the single-order rule denies, and never hides one it
//! allows. Under both engines of the service's rules
//! (`ORDERS_API_POLICY_ENGINE`): the Rust rules, and the Cedar policy set,
//! whose list filter is Cedar's partial evaluation; and both engines list the
//! same orders.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use auth_core::rbac::RoleTable;
use auth_core::{AuthError, Authenticated, Authenticator, Identity, Mechanism, authenticate};
use examples::access::{BUILT_IN, BUILT_IN_NAME};
use examples::cedar_orders;
use examples::db::Db;
use examples::domain::{Delete, Order, Read, User};
use examples::page::PageRequest;
use examples::policy::OrderRules;
use http::request::Parts;
use proptest::prelude::*;

/// Authenticates every request as the user it holds.
struct As(Arc<User>);

impl Authenticator for As {
    type User = User;

    async fn authenticate(&self, _: &Parts) -> Result<Identity<User>, AuthError> {
        Ok(Identity::new(
            (*self.0).clone(),
            self.0.id.to_string(),
            Mechanism::Test,
        ))
    }
}

fn principal(user: User) -> Authenticated<User> {
    let parts = http::Request::new(()).into_parts().0;
    auth_tests::block_on(authenticate(&As(Arc::new(user)), &parts)).expect("authenticated")
}

/// The service's database in a file, and a second connection to it that
/// replaces the orders for each case.
struct Fixture {
    db: Db,
    writer: rusqlite::Connection,
    path: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn fixture() -> Fixture {
    let path = std::env::temp_dir().join(format!(
        "auth-core-list-policy-{}-{:?}.sqlite",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_file(&path);
    let file = path.to_str().expect("a UTF-8 temporary path");
    let db = Db::open(Some(file)).expect("the service's database");
    let writer = rusqlite::Connection::open(&path).expect("a second connection");
    // A scratch file: no need to wait for the disk.
    writer
        .execute_batch("PRAGMA synchronous = OFF")
        .expect("synchronous off");
    Fixture { db, writer, path }
}

fn replace_orders(writer: &rusqlite::Connection, orders: &[Order]) {
    // One transaction per case, not one synced write per row.
    let transaction = writer.unchecked_transaction().expect("a transaction");
    transaction
        .execute("DELETE FROM orders", [])
        .expect("emptied");
    for order in orders {
        transaction
            .execute(
                "INSERT INTO orders (id, owner_id, item, amount) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![order.id, order.owner_id, order.item, order.amount],
            )
            .expect("an order");
    }
    transaction.commit().expect("committed");
}

fn user() -> impl Strategy<Value = User> {
    (
        0_i64..=6,
        prop::sample::subsequence(vec!["customer", "admin", "manager", "Admin"], 0..=2),
    )
        .prop_map(|(id, roles)| User {
            id,
            email: format!("user{id}@example.com"),
            roles: roles.iter().map(|role| (*role).to_owned()).collect(),
            plan: "free".to_owned(),
            region: "eu".to_owned(),
            guest: None,
            // The Rust rule reads the stored roles (`User::is_admin`); Cedar
            // reads what they grant through the roles file, as the service
            // resolves them (`Admin` is no role of the file).
            grants: TABLE
                .grants(roles.iter().filter(|role| **role != "Admin"))
                .expect("roles of the file"),
        })
}

static TABLE: LazyLock<RoleTable> =
    LazyLock::new(|| RoleTable::from_toml(BUILT_IN_NAME, BUILT_IN).expect("roles file"));
static CEDAR: LazyLock<OrderRules> = LazyLock::new(|| {
    OrderRules::Cedar(Arc::new(
        cedar_orders::load(None, &TABLE).expect("the built-in policy set"),
    ))
});

/// Orders with increasing ids (with gaps) owned by the seeded users 1 to 4.
fn orders() -> impl Strategy<Value = Vec<Order>> {
    prop::collection::vec((1_i64..=3, 1_i64..=4, 0_i64..100_000), 0..30).prop_map(|rows| {
        let mut id = 0;
        rows.into_iter()
            .map(|(gap, owner_id, amount)| {
                id += gap;
                Order {
                    id,
                    owner_id,
                    item: format!("item {id}"),
                    amount,
                    region: "eu".to_owned(),
                    created_at: None,
                    refunded_at: None,
                }
            })
            .collect()
    })
}

/// Every page of the listing, put together.
fn listed(db: &Db, user: &Authenticated<User>, rules: &OrderRules, limit: u32) -> Vec<i64> {
    let list = user
        .authorize_list::<Read, Order>(rules)
        .expect("a list permit");
    let mut ids = Vec::new();
    let mut after = i64::MIN;
    loop {
        let page = db
            .orders(&list, PageRequest { limit, after })
            .expect("a page");
        assert!(page.items.len() <= limit as usize);
        let permits = list.admit_all(page.items).expect("every row admitted");
        ids.extend(permits.iter().map(|permit| permit.id));
        match page.next {
            Some(next) => after = next,
            None => return ids,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_listing_is_exactly_what_the_single_order_rule_allows(
        orders in orders(),
        user in user(),
        limit in 1_u32..6,
    ) {
        thread_local! {
            static FIXTURE: Fixture = fixture();
        }
        FIXTURE.with(|fixture| {
            replace_orders(&fixture.writer, &orders);
            let principal = principal(user);
            let mut lists = Vec::new();
            for rules in [&OrderRules::Rust, &*CEDAR] {
                let allowed: Vec<i64> = orders
                    .iter()
                    .filter(|order| {
                        principal.authorize_with::<Read, _>((*order).clone(), rules).is_ok()
                    })
                    .map(|order| order.id)
                    .collect();
                let listed = listed(&fixture.db, &principal, rules, limit);
                prop_assert_eq!(&listed, &allowed, "user {:?} under {}", principal.roles, rules.name());

                // Delete states the same rule: its filter selects what it allows.
                let delete = principal
                    .authorize_list::<Delete, Order>(rules)
                    .expect("a list permit");
                for order in &orders {
                    prop_assert_eq!(
                        delete.filter().matches(order),
                        principal.authorize_with::<Delete, _>(order.clone(), rules).is_ok()
                    );
                }
                lists.push(listed);
            }
            prop_assert_eq!(&lists[0], &lists[1], "the engines list alike for {:?}", principal.roles);
            Ok(())
        })?;
    }
}

/// A page asks the database for one page: for a customer the plan walks the
/// `(owner_id, id)` index, never the table.
#[test]
fn a_customer_page_is_an_index_range_not_a_scan() {
    let fixture = fixture();
    let alice = principal(User {
        id: 1,
        email: "alice@example.com".into(),
        roles: vec!["customer".into()],
        plan: "free".into(),
        region: "eu".into(),
        guest: None,
        grants: TABLE.grants(["customer"]).expect("a role of the file"),
    });
    // Cedar's residual (`resource.owner_id == 1`) is the same query as the
    // Rust filter.
    for rules in [&OrderRules::Rust, &*CEDAR] {
        let list = alice
            .authorize_list::<Read, Order>(rules)
            .expect("a list permit");
        let sql = list.filter().to_sql(auth_core::filter::SqlDialect::Sqlite);
        assert_eq!(sql.clause(), "`owner_id` = ?", "under {}", rules.name());
        let plan: Vec<String> = fixture
            .writer
            .prepare(&format!(
                "EXPLAIN QUERY PLAN SELECT id, owner_id, item, amount, region, created_at, refunded_at FROM orders
                 WHERE {} AND id > ? ORDER BY id LIMIT ?",
                sql.clause()
            ))
            .expect("the plan")
            .query_map(rusqlite::params![1, i64::MIN, 51], |row| {
                row.get::<_, String>(3)
            })
            .expect("runs")
            .collect::<Result<_, _>>()
            .expect("the plan's rows");
        let plan = plan.join("\n");
        assert!(
            plan.contains("USING COVERING INDEX orders_by_owner")
                || plan.contains("USING INDEX orders_by_owner"),
            "{plan}"
        );
        assert!(!plan.contains("SCAN orders"), "{plan}");
        assert!(
            !plan.contains("TEMP B-TREE"),
            "no sort of the whole selection: {plan}"
        );
    }
}
