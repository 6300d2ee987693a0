// A predicate returns a `Decision`, which carries the reason for the audit log.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::User;

fn is_even(user: &Authenticated<User>) -> bool {
    user.id % 2 == 0
}

#[requires(check(is_even))]
fn even_only(user: Authenticated<User>) {}

fn main() {}
