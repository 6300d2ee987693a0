// `#[requires]` with no gate says nothing.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires]
fn purge(user: Authenticated<User>) {}

fn main() {}
