// Only `state = ..` and `crate = ..` are options.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(authenticated, realm = "orders")]
fn me(user: Authenticated<User>) {}

fn main() {}
