// Duplicates inside a combinator too.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(any(role("admin"), role("admin")))]
fn purge(user: Authenticated<User>) {}

fn main() {}
