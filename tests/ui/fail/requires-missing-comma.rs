// Gates are separated by commas.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(role("admin") scope("orders:write"))]
fn purge(user: Authenticated<User>) {}

fn main() {}
