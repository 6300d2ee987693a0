// A role is named by a string literal.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(role(admin))]
fn purge(user: Authenticated<User>) {}

fn main() {}
