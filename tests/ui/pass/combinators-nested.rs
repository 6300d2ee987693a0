use auth_core::{requires, Authenticated};
use auth_tests::{sign_in, User};

#[requires(
    any(role("admin"), all(role("customer"), scope("orders:read"))),
    not(permission("orders.refund")),
)]
fn list(user: Authenticated<User>) -> u64 {
    user.id
}

fn main() {
    assert_eq!(list(sign_in(3, "")).into_result().unwrap(), 3);
    assert_eq!(list(sign_in(1, "orders:read")).into_result().unwrap(), 1);
    assert!(list(sign_in(1, "")).is_denied());
    // bob has the refund permission, which `not(..)` excludes
    assert!(list(sign_in(2, "orders:read")).is_denied());
}
