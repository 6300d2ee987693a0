// A `#[public]` handler that demands a signed-in caller is really `#[requires(authenticated)]`.
#![allow(unused)]
use auth_core::{public, Authenticated};
use auth_tests::User;

#[public]
fn me(user: Authenticated<User>) -> u64 {
    user.id
}

fn main() {}
