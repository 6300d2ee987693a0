// A scope token has no spaces (RFC 6749 §3.3).
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(scope("orders:read orders:write"))]
fn export(user: Authenticated<User>) {}

fn main() {}
