// `state` names a parameter or a field: an expression that computes would run
// before the gates that precede its first reader.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Invoice, Limits, User};

fn load_limits() -> Limits {
    Limits::default()
}

#[requires(check(auth_tests::is_approver), state = load_limits())]
async fn approve(user: Authenticated<User>, invoice: Invoice) -> u64 {
    invoice.id
}

fn main() {}
