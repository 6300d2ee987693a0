// One name per gate; alternatives are spelled with `any`.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(role("admin", "owner"))]
fn purge(user: Authenticated<User>) {}

fn main() {}
