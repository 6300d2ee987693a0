//! Item 10 of BENCHMARKS.md: lists as queries. 1 000 000 orders across 10 000
//! owners in the reference service's `SQLite` schema (a file; see
//! `src/lists.rs`), measured in one run so that the ratios compare like with like.
//!
//! - `lists/filter`: `GET /orders` as the service serves it
//!   (`authorize_list::<Read, Order>`, `Db::orders`, `ListPermit::admit_all`): a
//!   customer's first page of 50 (the `orders_by_owner` index), an admin's (the
//!   filter is `TRUE`: the first 50 of the table), both again in the middle of
//!   the table (`after=500000`), and the customer's first page with an audit
//!   subscriber on (the list's one event formatted into `io::sink`); and the
//!   floor: the same statement on a second connection, rows read into `Order`s,
//!   no rule and no permits.
//! - `lists/load_all`: today's slow path, every row loaded and decided: the
//!   service's `Read` (its filter policy as a `Policy`) with audit off, then with
//!   an audit subscriber on (one event per row); the rule written by hand as a
//!   `Policy` (no filter built per row); and the read alone, without a decision
//!   (the floor of this path).
//!
//! Before the groups run, the bench prints `SQLite`'s plan and work for each query
//! (`EXPLAIN QUERY PLAN`, rows, virtual machine steps, full-scan steps, sorts).
//!
//! `cargo bench -p auth-bench --bench lists` (≈ 2 min; building the database
//! the first time adds its build time, printed).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use examples::db::Db;
use examples::domain::{Order, Read};
use examples::policy::OrderRules;
use rusqlite::Connection;

#[path = "../src/lists.rs"]
mod lists;
#[path = "../src/poll.rs"]
mod poll;

use lists::{ADMIN, CUSTOMER, ORDERS_PER_OWNER, ReadByHand, first_page, mid_page};

/// The table of the issue.
const ORDERS: i64 = 1_000_000;

/// A subscriber that formats every event, as a service logging its audit trail
/// would, into nowhere.
fn audit_on() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_writer(std::io::sink)
        .with_max_level(tracing::Level::INFO)
        .finish()
}

fn report(db: &Db, conn: &Connection) {
    let customer = lists::principal(db, CUSTOMER);
    let admin = lists::principal(db, ADMIN);
    for (who, user) in [("customer", &customer), ("admin", &admin)] {
        for (at, page) in [("first page", first_page()), ("mid page", mid_page(ORDERS))] {
            let list = user
                .authorize_list::<Read, Order>(&OrderRules::Rust)
                .expect("may list");
            let (sql, bound) = lists::filter_query(&list, page);
            let work = lists::work(conn, &sql, &bound);
            println!(
                "filter path, {who}, {at}: {} rows, {} VM steps, {} full-scan steps, {} sorts; plan: {}",
                work.rows,
                work.vm_steps,
                work.fullscan_steps,
                work.sorts,
                work.plan.join("; ")
            );
            if who == "customer" && at == "first page" {
                println!(
                    "  SQL: {}",
                    sql.split_whitespace().collect::<Vec<_>>().join(" ")
                );
            }
        }
    }
    let work = lists::work(conn, lists::LOAD_ALL, &[]);
    println!(
        "load-all path: {} rows, {} VM steps, {} full-scan steps, {} sorts; plan: {}",
        work.rows,
        work.vm_steps,
        work.fullscan_steps,
        work.sorts,
        work.plan.join("; ")
    );
    let fast = lists::filter_path(db, &customer, first_page());
    let slow = lists::decide_each::<Read>(&customer, lists::load_all(conn), &OrderRules::Rust);
    assert_eq!(
        fast.items, slow,
        "both paths give the customer the same page"
    );
    assert_eq!(fast.items.len(), lists::PAGE as usize);
}

fn bench(c: &mut Criterion) {
    let (path, built) = lists::database(ORDERS);
    match built {
        Some(took) => println!(
            "built {} ({ORDERS} orders, {} owners) in {:.1} s",
            path.display(),
            ORDERS / ORDERS_PER_OWNER,
            took.as_secs_f64()
        ),
        None => println!("reusing {}", path.display()),
    }
    let db = Db::open(path.to_str()).expect("Db::open");
    let conn = Connection::open(&path).expect("open");
    report(&db, &conn);
    let customer = lists::principal(&db, CUSTOMER);
    let admin = lists::principal(&db, ADMIN);

    let mut group = c.benchmark_group("lists/filter");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("customer_first_page", |b| {
        b.iter(|| lists::filter_path(&db, black_box(&customer), first_page()));
    });
    group.bench_function("admin_first_page", |b| {
        b.iter(|| lists::filter_path(&db, black_box(&admin), first_page()));
    });
    group.bench_function("customer_mid_page", |b| {
        b.iter(|| lists::filter_path(&db, black_box(&customer), mid_page(ORDERS)));
    });
    group.bench_function("admin_mid_page", |b| {
        b.iter(|| lists::filter_path(&db, black_box(&admin), mid_page(ORDERS)));
    });
    let list = customer
        .authorize_list::<Read, Order>(&OrderRules::Rust)
        .expect("may list");
    let (sql, bound) = lists::filter_query(&list, first_page());
    group.bench_function("customer_first_page_sql_only", |b| {
        b.iter(|| lists::sql_only(&conn, black_box(&sql), &bound));
    });
    tracing::subscriber::with_default(audit_on(), || {
        group.bench_function("customer_first_page_audit_on", |b| {
            b.iter(|| lists::filter_path(&db, black_box(&customer), first_page()));
        });
    });
    group.finish();

    // About a second an iteration: 10 samples of one iteration each.
    let mut group = c.benchmark_group("lists/load_all");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.bench_function("customer_read", |b| {
        b.iter(|| {
            lists::decide_each::<Read>(
                black_box(&customer),
                lists::load_all(&conn),
                &OrderRules::Rust,
            )
        });
    });
    tracing::subscriber::with_default(audit_on(), || {
        group.bench_function("customer_read_audit_on", |b| {
            b.iter(|| {
                lists::decide_each::<Read>(
                    black_box(&customer),
                    lists::load_all(&conn),
                    &OrderRules::Rust,
                )
            });
        });
    });
    group.bench_function("customer_by_hand_policy", |b| {
        b.iter(|| {
            lists::decide_each::<ReadByHand>(black_box(&customer), lists::load_all(&conn), &())
        });
    });
    group.bench_function("read_only", |b| {
        b.iter(|| lists::load_all(&conn));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
