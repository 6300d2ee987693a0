// One attribute lists every gate.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(role("admin"))]
#[requires(scope("orders:write"))]
fn purge(user: Authenticated<User>) {}

fn main() {}
