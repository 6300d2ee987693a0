// The same gate twice is a copy-paste mistake.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(role("admin"), scope("orders:write"), role("admin"))]
fn purge(user: Authenticated<User>) {}

fn main() {}
