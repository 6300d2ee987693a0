//! Item 10 of BENCHMARKS.md: the reference service's orders table at a given size,
//! and the two ways to list a customer's first page of it.
//!
//! - [`database`]: an `SQLite` file made by `examples::db::Db::open` (the service's
//!   own schema and `orders_by_owner` index), then filled through a second
//!   connection in one transaction (`synchronous = OFF`, no journal): `n` orders
//!   across `n / 100` owners, order `i` owned by user `(i - 1) % owners + 1`, so
//!   every owner has exactly 100 orders spread over the whole table. Users 1 and 2
//!   are the seeded customers (alice, bob), 3 and 4 the seeded admins (carol,
//!   dave), 5 the seeded manager (erin); the others are customers with a dummy
//!   password hash. Built once and kept under the target directory
//!   (`auth-bench-lists/`), rebuilt when the service's schema changes.
//! - [`filter_path`]: `GET /orders` as `examples::service::Service::orders` does
//!   it: `authorize_list::<Read, Order>`, `Db::orders`, `ListPermit::admit_all`.
//! - [`load_all`] + [`decide_each`]: the slow path, every row loaded
//!   (`SELECT id, owner_id, item, amount, region, created_at, refunded_at FROM
//!   orders ORDER BY id`) and decided by `filter_authorized::<Read, _>`, then the first page
//!   of what it kept.
//! - [`work`]: what `SQLite` did for a query: its plan and its statement counters.
//!
//! Included with `#[path]` by the `lists` bench and the `list_memory` test, so both
//! measure the same code.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use auth_core::filter::{SqlDialect, Value};
use auth_core::{
    Action, AuthError, Authenticated, Authenticator, Decision, Identity, ListPermit, Mechanism,
    Permit, Policy,
};
use examples::db::Db;
use examples::domain::{Order, Read, User};
use examples::page::{Page, PageRequest};
use examples::policy::OrderRules;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, StatementStatus, params, params_from_iter};

use crate::poll::poll_once;

/// The page size of the measurements.
pub const PAGE: u32 = 50;
/// Orders per owner at every size.
pub const ORDERS_PER_OWNER: i64 = 100;
/// A seeded customer (alice).
pub const CUSTOMER: i64 = 1;
/// A seeded admin (carol).
pub const ADMIN: i64 = 3;
/// The items the orders cycle through: the seed's four.
const ITEMS: [&str; 4] = [
    "espresso machine",
    "coffee beans",
    "tea kettle",
    "green tea",
];
/// The query of the slow path: today's load-all, before the filter.
pub const LOAD_ALL: &str =
    "SELECT id, owner_id, item, amount, region, created_at, refunded_at FROM orders ORDER BY id";

/// The first page, as `?limit=50` asks for it.
pub fn first_page() -> PageRequest {
    PageRequest {
        limit: PAGE,
        after: i64::MIN,
    }
}

/// A page in the middle of an `orders`-row table: `?limit=50&after=orders/2`.
pub fn mid_page(orders: i64) -> PageRequest {
    PageRequest {
        limit: PAGE,
        after: orders / 2,
    }
}

/// Where the built databases are kept: `<target>/auth-bench-lists/`, beside the
/// profile directory the running bench or test was built into.
fn cache_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable");
    // <target>/<profile>/deps/<binary>
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the executable is under <target>/<profile>/deps");
    let dir = target.join("auth-bench-lists");
    std::fs::create_dir_all(&dir).expect("the cache directory");
    dir
}

/// The service's schema (`sqlite_master`), as `Db::open` creates it.
fn schema(path: &Path) -> String {
    let conn = Connection::open(path).expect("open");
    let mut statement = conn
        .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
        .expect("prepare");
    statement
        .query_map([], |row| {
            Ok(format!(
                "{} {} {}",
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?.unwrap_or_default()
            ))
        })
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows")
        .join("\n")
}

/// A database of `orders` orders (a multiple of [`ORDERS_PER_OWNER`]), and how
/// long building it took (`None` when it was already built).
pub fn database(orders: i64) -> (PathBuf, Option<Duration>) {
    assert!(orders % ORDERS_PER_OWNER == 0 && orders >= 4 * ORDERS_PER_OWNER);
    let dir = cache_dir();
    let pid = std::process::id();
    // A fresh database of the service's schema: the key of the cache.
    let fresh = dir.join(format!("schema.{pid}.sqlite"));
    let _ = std::fs::remove_file(&fresh);
    drop(Db::open(Some(fresh.to_str().expect("a UTF-8 path"))).expect("Db::open"));
    let schema = schema(&fresh);

    let path = dir.join(format!("orders-{orders}.sqlite"));
    if path.exists() && self::schema(&path) == schema && count(&path) == orders {
        let _ = std::fs::remove_file(&fresh);
        return (path, None);
    }
    let started = Instant::now();
    fill(&fresh, orders);
    assert_eq!(count(&fresh), orders);
    std::fs::rename(&fresh, &path).expect("rename into the cache");
    (path, Some(started.elapsed()))
}

fn count(path: &Path) -> i64 {
    Connection::open(path)
        .expect("open")
        .query_row("SELECT COUNT(*) FROM orders", [], |row| row.get(0))
        .expect("count")
}

/// Replaces the seed's orders by `orders` orders across `orders / 100` owners.
fn fill(path: &Path, orders: i64) {
    let owners = orders / ORDERS_PER_OWNER;
    let mut conn = Connection::open(path).expect("open");
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA journal_mode = OFF;")
        .expect("pragmas");
    let transaction = conn.transaction().expect("transaction");
    transaction
        .execute("DELETE FROM orders", [])
        .expect("delete the seed's orders");
    {
        // Users 1 to 5 are the seed's.
        let mut insert = transaction
            .prepare(
                "INSERT INTO users (id, email, password_hash, roles)
                 VALUES (?1, ?2, 'not a password hash', 'customer')",
            )
            .expect("prepare");
        for id in 6..=owners {
            insert
                .execute(params![id, format!("user{id}@example.com")])
                .expect("insert a user");
        }
        let mut insert = transaction
            .prepare("INSERT INTO orders (id, owner_id, item, amount) VALUES (?1, ?2, ?3, ?4)")
            .expect("prepare");
        for id in 1..=orders {
            let item = ITEMS[usize::try_from(id % 4).expect("small")];
            insert
                .execute(params![id, (id - 1) % owners + 1, item, id * 37 % 100_000])
                .expect("insert an order");
        }
    }
    transaction.commit().expect("commit");
}

/// Hands out one fixed principal: the sanctioned way to an `Authenticated`
/// without the `testing` feature.
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

/// User `id` of `db`, authenticated.
pub fn principal(db: &Db, id: i64) -> Authenticated<User> {
    let user = db.user(id).expect("the database").expect("the user");
    let (parts, ()) = http::Request::new(()).into_parts();
    poll_once(auth_core::authenticate(&Fixed(user), &parts)).expect("authenticated")
}

/// `GET /orders?limit=&after=` as the service serves it
/// (`examples::service::Service::orders`, after the page size check).
pub fn filter_path(db: &Db, user: &Authenticated<User>, page: PageRequest) -> Page<Order> {
    let list = user
        .authorize_list::<Read, Order>(&OrderRules::Rust)
        .expect("a customer may list");
    let Page { items, next } = db.orders(&list, page).expect("the database");
    let items = list
        .admit_all(items)
        .expect("every row is the filter's")
        .into_iter()
        .map(Permit::into_resource)
        .collect();
    Page { items, next }
}

fn order_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Order> {
    Ok(Order {
        id: row.get(0)?,
        owner_id: row.get(1)?,
        item: row.get(2)?,
        amount: row.get(3)?,
        region: row.get(4)?,
        created_at: row.get(5)?,
        refunded_at: row.get(6)?,
    })
}

/// Every order of the table, in id order: the slow path's read.
pub fn load_all(conn: &Connection) -> Vec<Order> {
    conn.prepare_cached(LOAD_ALL)
        .expect("prepare")
        .query_map([], order_from_row)
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// The floor of the filter path: the statement `Db::orders` runs (from
/// [`filter_query`], made once), prepared and cached, its rows read into
/// `Order`s; no rule, no permit, no page.
pub fn sql_only(conn: &Connection, sql: &str, bound: &[SqlValue]) -> Vec<Order> {
    conn.prepare_cached(sql)
        .expect("prepare")
        .query_map(params_from_iter(bound), order_from_row)
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// The slow path after the read: one decision per row
/// (`filter_authorized::<A, _>`, one audit event each), then the first page of
/// what was kept.
pub fn decide_each<A>(user: &Authenticated<User>, rows: Vec<Order>, state: &A::State) -> Vec<Order>
where
    A: Policy<Order, Principal = User>,
{
    let mut kept: Vec<Order> = user
        .filter_authorized::<A, _>(rows, state)
        .expect("decided")
        .into_iter()
        .map(Permit::into_resource)
        .collect();
    kept.truncate(PAGE as usize);
    kept
}

/// The rule of `Read` written by hand as a `Policy` (owner or admin), as the
/// service had it before its rule became a filter: the slow path without
/// building the filter again for every row.
#[derive(Action)]
pub struct ReadByHand;

impl Policy<Order> for ReadByHand {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, order: &Order, (): &()) -> Decision {
        if user.is_admin() {
            Decision::allow("admin")
        } else {
            Decision::allow_if(
                order.owner_id == user.id,
                "owner",
                "not the owner of the order",
            )
        }
    }
}

/// The statement `Db::orders` runs for `list` and `page`, with its parameters
/// (the same text: `examples/src/db.rs`).
pub fn filter_query(
    list: &ListPermit<'_, Read, Order>,
    page: PageRequest,
) -> (String, Vec<SqlValue>) {
    let (clause, filter_params) = list.filter().to_sql(SqlDialect::Sqlite).into_parts();
    let sql = format!(
        "SELECT id, owner_id, item, amount, region, created_at, refunded_at FROM orders
             WHERE {clause} AND id > ? ORDER BY id LIMIT ?"
    );
    let mut bound: Vec<SqlValue> = filter_params
        .into_iter()
        .map(|value| match value {
            Value::Int(n) => SqlValue::Integer(n),
            Value::Text(text) => SqlValue::Text(text),
            Value::Bool(b) => SqlValue::Integer(i64::from(b)),
            other => panic!("a filter value the service does not bind: {other:?}"),
        })
        .collect();
    bound.push(SqlValue::Integer(page.after));
    bound.push(SqlValue::Integer(i64::from(page.limit) + 1));
    (sql, bound)
}

/// What `SQLite` did for one run of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    /// `EXPLAIN QUERY PLAN`, one detail per line.
    pub plan: Vec<String>,
    /// Rows the statement returned.
    pub rows: i64,
    /// Virtual machine steps (`SQLITE_STMTSTATUS_VM_STEP`): proportional to the
    /// rows and index entries visited.
    pub vm_steps: i32,
    /// Steps of a full table scan (`SQLITE_STMTSTATUS_FULLSCAN_STEP`).
    pub fullscan_steps: i32,
    /// Sorts (`SQLITE_STMTSTATUS_SORT`): 0 when the order comes from an index.
    pub sorts: i32,
}

/// Runs `sql` once with `bound` on `conn`, to the end, and reads its plan and
/// counters.
pub fn work(conn: &Connection, sql: &str, bound: &[SqlValue]) -> Work {
    let plan = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("prepare the plan")
        .query_map(params_from_iter(bound), |row| row.get::<_, String>(3))
        .expect("plan")
        .collect::<Result<Vec<_>, _>>()
        .expect("plan rows");
    let mut statement = conn.prepare(sql).expect("prepare");
    let mut rows = 0;
    {
        let mut cursor = statement.query(params_from_iter(bound)).expect("query");
        while cursor.next().expect("step").is_some() {
            rows += 1;
        }
    }
    Work {
        plan,
        rows,
        vm_steps: statement.get_status(StatementStatus::VmStep),
        fullscan_steps: statement.get_status(StatementStatus::FullscanStep),
        sorts: statement.get_status(StatementStatus::Sort),
    }
}
