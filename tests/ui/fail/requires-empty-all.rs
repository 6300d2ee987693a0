// `all()` of nothing would check nothing.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(all())]
fn purge(user: Authenticated<User>) {}

fn main() {}
