//! Item 1 of BENCHMARKS.md: guard overhead, `#[requires(..)]` vs the same
//! auth-core calls by hand vs a hand-written `if`, for four gate sets, on the allow
//! path.
//!
//! `cargo bench -p auth-bench --bench guard`; instruction counts, which are
//! repeatable where wall time is not, come from `callgrind.sh`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../src/handlers.rs"]
mod handlers;
#[path = "../src/poll.rs"]
mod poll;

use handlers::{own_order, principal};
use poll::poll_once;

fn guard(c: &mut Criterion) {
    let user = principal();
    let scopes = user.scopes().as_str().to_owned();

    let mut group = c.benchmark_group("guard/authenticated");
    group.bench_function("macro", |b| {
        b.iter(|| poll_once(handlers::macro_authenticated(black_box(&user))));
    });
    group.bench_function("by_hand", |b| {
        b.iter(|| poll_once(handlers::by_hand_authenticated(black_box(&user))));
    });
    group.bench_function("plain", |b| {
        b.iter(|| poll_once(handlers::plain_authenticated(black_box(&user))));
    });
    group.finish();

    let mut group = c.benchmark_group("guard/role");
    group.bench_function("macro", |b| {
        b.iter(|| poll_once(handlers::macro_role(black_box(&user))));
    });
    group.bench_function("by_hand", |b| {
        b.iter(|| poll_once(handlers::by_hand_role(black_box(&user))));
    });
    group.bench_function("plain", |b| {
        b.iter(|| poll_once(handlers::plain_role(black_box(&user))));
    });
    group.finish();

    let mut group = c.benchmark_group("guard/not_role");
    group.bench_function("macro", |b| {
        b.iter(|| poll_once(handlers::macro_not_role(black_box(&user))));
    });
    group.bench_function("by_hand", |b| {
        b.iter(|| poll_once(handlers::by_hand_not_role(black_box(&user))));
    });
    group.bench_function("plain", |b| {
        b.iter(|| poll_once(handlers::plain_not_role(black_box(&user))));
    });
    group.finish();

    let mut group = c.benchmark_group("guard/resource");
    group.bench_function("macro", |b| {
        b.iter(|| {
            poll_once(handlers::macro_resource(
                black_box(&user),
                black_box(own_order()),
            ))
        });
    });
    group.bench_function("by_hand", |b| {
        b.iter(|| {
            poll_once(handlers::by_hand_resource(
                black_box(&user),
                black_box(own_order()),
            ))
        });
    });
    group.bench_function("plain", |b| {
        b.iter(|| {
            poll_once(handlers::plain_resource(
                black_box(&user),
                black_box(own_order()),
            ))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("guard/three_gates");
    group.bench_function("macro", |b| {
        b.iter(|| {
            poll_once(handlers::macro_three(
                black_box(&user),
                black_box(own_order()),
            ))
        });
    });
    group.bench_function("by_hand", |b| {
        b.iter(|| {
            poll_once(handlers::by_hand_three(
                black_box(&user),
                black_box(own_order()),
            ))
        });
    });
    group.bench_function("plain", |b| {
        b.iter(|| {
            poll_once(handlers::plain_three(
                black_box(&user),
                black_box(&scopes),
                black_box(own_order()),
            ))
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = guard
}
criterion_main!(benches);
