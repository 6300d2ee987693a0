// `any()` of nothing would never allow; it is an error, not a silent deny or allow.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(any())]
fn purge(user: Authenticated<User>) {}

fn main() {}
