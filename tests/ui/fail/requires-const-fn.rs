// Gates run per request, not at compile time.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(authenticated)]
const fn me(user: Authenticated<User>) {}

fn main() {}
