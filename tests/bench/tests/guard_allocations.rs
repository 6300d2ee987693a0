//! Item 1 of BENCHMARKS.md: `#[requires]` adds no heap allocation on the allow
//! path.
//!
//! Every heap allocation of the process goes through dhat's counting allocator
//! (its testing mode: no profile file, no unsafe code here). Each handler of the
//! `guard` bench is called a hundred times after one warm-up call; the guarded ones
//! must not allocate at all, and must allocate exactly as often as the same
//! auth-core calls written by hand.
//!
//! Opt-in (`test = false`), so that `cargo test --workspace` builds none of the
//! bench peers; run it with
//!
//! ```text
//! cargo test -p auth-bench --profile bench --test guard_allocations
//! ```

use std::hint::black_box;

#[path = "../src/handlers.rs"]
mod handlers;
#[path = "../src/poll.rs"]
mod poll;

use handlers::{own_order, principal};
use poll::poll_once;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

const CALLS: u64 = 100;

/// Heap blocks allocated by `CALLS` calls of `call`, after one warm-up call (a
/// `tracing` call site registers itself on first use).
fn blocks(mut call: impl FnMut()) -> u64 {
    call();
    let before = dhat::HeapStats::get().total_blocks;
    for _ in 0..CALLS {
        call();
    }
    dhat::HeapStats::get().total_blocks - before
}

/// Keeps the optimizer from removing a call whose output is unused.
fn consume<T>(output: T) {
    black_box(output);
}

// One test function: dhat counts for the whole process, so the measurements must
// not run in parallel with anything else.
#[test]
fn guards_add_no_allocation_on_the_allow_path() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let user = principal();
    let scopes = user.scopes().as_str().to_owned();

    // The counter works: a handler that clones a `String` is seen allocating.
    let cloning = blocks(|| {
        black_box(user.subject().to_owned());
    });
    assert_eq!(cloning, CALLS, "dhat must see one allocation per clone");

    let user = &user;
    let scopes = scopes.as_str();
    let cases: [(&str, u64, u64, u64); 5] = [
        (
            "authenticated",
            blocks(|| consume(poll_once(handlers::macro_authenticated(black_box(user))))),
            blocks(|| consume(poll_once(handlers::by_hand_authenticated(black_box(user))))),
            blocks(|| consume(poll_once(handlers::plain_authenticated(black_box(user))))),
        ),
        (
            "role",
            blocks(|| consume(poll_once(handlers::macro_role(black_box(user))))),
            blocks(|| consume(poll_once(handlers::by_hand_role(black_box(user))))),
            blocks(|| consume(poll_once(handlers::plain_role(black_box(user))))),
        ),
        (
            "not_role",
            blocks(|| consume(poll_once(handlers::macro_not_role(black_box(user))))),
            blocks(|| consume(poll_once(handlers::by_hand_not_role(black_box(user))))),
            blocks(|| consume(poll_once(handlers::plain_not_role(black_box(user))))),
        ),
        (
            "resource",
            blocks(|| {
                consume(poll_once(handlers::macro_resource(
                    black_box(user),
                    own_order(),
                )));
            }),
            blocks(|| {
                consume(poll_once(handlers::by_hand_resource(
                    black_box(user),
                    own_order(),
                )));
            }),
            blocks(|| {
                consume(poll_once(handlers::plain_resource(
                    black_box(user),
                    own_order(),
                )));
            }),
        ),
        (
            "three_gates",
            blocks(|| {
                consume(poll_once(handlers::macro_three(
                    black_box(user),
                    own_order(),
                )));
            }),
            blocks(|| {
                consume(poll_once(handlers::by_hand_three(
                    black_box(user),
                    own_order(),
                )));
            }),
            blocks(|| {
                consume(poll_once(handlers::plain_three(
                    black_box(user),
                    scopes,
                    own_order(),
                )));
            }),
        ),
    ];
    for (gates, by_macro, by_hand, plain) in cases {
        println!(
            "{gates:>13}: heap blocks per {CALLS} calls: macro {by_macro}, by hand {by_hand}, plain {plain}"
        );
    }
    for (gates, by_macro, by_hand, _) in cases {
        assert_eq!(
            by_macro, 0,
            "`#[requires({gates})]` allocated on the allow path"
        );
        assert_eq!(
            by_macro, by_hand,
            "{gates}: the macro allocates more than the same calls by hand"
        );
    }
}
