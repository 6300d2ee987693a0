//! Item 10 of BENCHMARKS.md: a listing through the rule's filter costs the same
//! memory and the same database work whatever the size of the table; loading
//! every row and deciding each grows with it.
//!
//! Tables of 10 000, 100 000 and 1 000 000 orders, 100 orders per owner at every
//! size (100, 1 000 and 10 000 owners; see `src/lists.rs`), built once and kept
//! under the target directory. For each:
//!
//! - peak heap bytes (dhat, in testing mode: a profiler started just before the
//!   call and dropped after it, so its peak is the call's own) of a customer's
//!   first page, an admin's first page and a customer's page in the middle of
//!   the table, after one warm-up call (the prepared statement is cached, as in
//!   a running service); and of the load-all path (every row read, each decided
//!   by `filter_authorized::<Read, _>`, then the first page);
//! - `SQLite`'s plan and counters for the customer's query: rows, virtual machine
//!   steps, full-scan steps, sorts.
//!
//! It asserts that the filter path's peak at the largest table is within
//! `SLACK` bytes of its peak at the smallest, that the load-all path's peak grows
//! at least `GROWTH` times as fast as the table, and that the customer's query
//! reads the `orders_by_owner` index with the same number of steps at every size.
//! Nothing here is timed. dhat counts the Rust heap: `SQLite`'s own allocations
//! (its page cache, at most 2 MB per connection by default) are not in these
//! figures.
//!
//! Opt-in (`test = false`) like `guard_allocations`; run it with
//!
//! ```text
//! cargo test -p auth-bench --profile bench --test list_memory -- --nocapture
//! ```
//!
//! `LIST_MEMORY_MAX_ORDERS=100000` stops at 100 000 orders (what CI runs: the
//! flatness shows across 10× already, and building and loading the largest
//! table under dhat is the slow part).

use std::hint::black_box;

use examples::db::Db;
use rusqlite::Connection;

// Shared with the `lists` bench, which uses the parts this test does not.
#[allow(dead_code)]
#[path = "../src/lists.rs"]
mod lists;
#[path = "../src/poll.rs"]
mod poll;

use examples::domain::{Order, Read};
use examples::policy::OrderRules;
use lists::{ADMIN, CUSTOMER, PAGE, first_page, mid_page};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// The sizes, smallest first.
const SIZES: [i64; 3] = [10_000, 100_000, 1_000_000];
/// How far above the smallest table's peak the largest's may be.
const SLACK: usize = 1024;
/// The load-all peak must grow at least this fraction of the table's growth (a
/// `Vec` doubles its capacity, so its peak follows the table within 2×).
const GROWTH: f64 = 0.5;

/// Peak heap bytes, and heap blocks allocated, while `op` runs (its output
/// included, dropped before the count).
fn peak<T>(op: impl FnOnce() -> T) -> (usize, u64) {
    let _profiler = dhat::Profiler::builder().testing().build();
    drop(black_box(op()));
    let stats = dhat::HeapStats::get();
    (stats.max_bytes, stats.total_blocks)
}

struct Measured {
    orders: i64,
    customer: (usize, u64),
    admin: (usize, u64),
    customer_mid: (usize, u64),
    load_all: (usize, u64),
    work: lists::Work,
}

fn measure(orders: i64) -> Measured {
    let (path, built) = lists::database(orders);
    if let Some(took) = built {
        println!(
            "built {} orders in {:.2} s: {}",
            orders,
            took.as_secs_f64(),
            path.display()
        );
    }
    let db = Db::open(path.to_str()).expect("Db::open");
    let conn = Connection::open(&path).expect("open");
    let customer = lists::principal(&db, CUSTOMER);
    let admin = lists::principal(&db, ADMIN);

    // Warm up: the statements are prepared and cached, as in a running service.
    let page = lists::filter_path(&db, &customer, first_page());
    assert_eq!(page.items.len(), PAGE as usize);
    assert!(page.items.iter().all(|order| order.owner_id == CUSTOMER));
    assert_eq!(
        lists::filter_path(&db, &admin, first_page()).items.len(),
        PAGE as usize
    );
    assert_eq!(
        lists::decide_each::<Read>(&customer, lists::load_all(&conn), &OrderRules::Rust),
        page.items,
        "both paths give the customer the same page"
    );

    let list = customer
        .authorize_list::<Read, Order>(&OrderRules::Rust)
        .expect("may list");
    let (sql, bound) = lists::filter_query(&list, first_page());
    let work = lists::work(&conn, &sql, &bound);

    Measured {
        orders,
        customer: peak(|| lists::filter_path(&db, &customer, first_page())),
        admin: peak(|| lists::filter_path(&db, &admin, first_page())),
        customer_mid: peak(|| lists::filter_path(&db, &customer, mid_page(orders))),
        load_all: peak(|| {
            lists::decide_each::<Read>(&customer, lists::load_all(&conn), &OrderRules::Rust)
        }),
        work,
    }
}

// One test function: dhat counts for the whole process, so the measurements must
// not run in parallel with anything else.
#[test]
fn a_listing_through_the_filter_is_flat_in_the_table_size() {
    let max: i64 = std::env::var("LIST_MEMORY_MAX_ORDERS")
        .ok()
        .map_or(SIZES[SIZES.len() - 1], |text| {
            text.parse().expect("LIST_MEMORY_MAX_ORDERS is a number")
        });
    let results: Vec<Measured> = SIZES
        .iter()
        .filter(|&&orders| orders <= max)
        .map(|&orders| measure(orders))
        .collect();
    assert!(results.len() >= 2, "at least two sizes to compare");

    println!(
        "{:>9} | {:>24} | {:>24} | {:>24} | {:>26} | customer's query",
        "orders",
        "customer, first page",
        "admin, first page",
        "customer, mid page",
        "load all + decide each"
    );
    for m in &results {
        println!(
            "{:>9} | {:>10} B {:>6} blocks | {:>10} B {:>6} blocks | {:>10} B {:>6} blocks | {:>12} B {:>7} blocks | {} rows, {} VM steps, {} full-scan steps, {} sorts; {}",
            m.orders,
            m.customer.0,
            m.customer.1,
            m.admin.0,
            m.admin.1,
            m.customer_mid.0,
            m.customer_mid.1,
            m.load_all.0,
            m.load_all.1,
            m.work.rows,
            m.work.vm_steps,
            m.work.fullscan_steps,
            m.work.sorts,
            m.work.plan.join("; ")
        );
    }

    let smallest = &results[0];
    let largest = &results[results.len() - 1];
    for (path, small, large) in [
        (
            "customer, first page",
            smallest.customer.0,
            largest.customer.0,
        ),
        ("admin, first page", smallest.admin.0, largest.admin.0),
        (
            "customer, mid page",
            smallest.customer_mid.0,
            largest.customer_mid.0,
        ),
    ] {
        assert!(
            large <= small + SLACK,
            "{path}: the filter path's peak heap grew with the table: {small} B at {} orders, {large} B at {}",
            smallest.orders,
            largest.orders
        );
    }
    #[allow(clippy::cast_precision_loss, reason = "ratios of sizes")]
    let (grew, table_grew) = (
        largest.load_all.0 as f64 / smallest.load_all.0 as f64,
        largest.orders as f64 / smallest.orders as f64,
    );
    assert!(
        grew >= GROWTH * table_grew,
        "the load-all path's peak grew {grew:.1}× for a table {table_grew:.0}× larger: the comparison measures nothing"
    );

    for m in &results {
        assert!(
            m.work
                .plan
                .iter()
                .any(|line| line.contains("orders_by_owner")),
            "the customer's query at {} orders does not read the orders_by_owner index: {:?}",
            m.orders,
            m.work.plan
        );
        assert_eq!(
            m.work.fullscan_steps, 0,
            "a full scan at {} orders",
            m.orders
        );
        assert_eq!(m.work.sorts, 0, "a sort at {} orders", m.orders);
        assert_eq!(
            m.work.rows,
            i64::from(PAGE) + 1,
            "LIMIT 51 at {} orders",
            m.orders
        );
    }
    assert_eq!(
        largest.work.vm_steps, smallest.work.vm_steps,
        "the customer's query did more work on the larger table"
    );
}
