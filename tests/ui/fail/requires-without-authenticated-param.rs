// A guarded function must say who is asking.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(role("admin"))]
fn purge(order: Order) {}

fn main() {}
