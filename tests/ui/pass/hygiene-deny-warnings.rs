// The expansion is warning-free under the strictest lint levels a user may set.
#![deny(warnings, unused, rust_2018_idioms, missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]
//! A crate that denies warnings.

use auth_core::{public, requires, Authenticated};
use auth_tests::{block_on, sign_in, Order, Update, User};

/// A guarded handler.
#[requires(Update(order), role("customer"))]
pub(crate) async fn update(_user: Authenticated<User>, order: Order) -> u64 {
    order.id
}

/// A public one.
#[public]
pub(crate) fn health() -> &'static str {
    "ok"
}

fn main() {
    let order = Order { id: 2, owner_id: 1 };
    assert_eq!(block_on(update(sign_in(1, ""), order)).into_result().unwrap_or(0), 2);
    assert_eq!(health().into_result().unwrap_or(""), "ok");
}
