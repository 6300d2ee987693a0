// An empty role name names nothing.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(role(""))]
fn purge(user: Authenticated<User>) {}

fn main() {}
