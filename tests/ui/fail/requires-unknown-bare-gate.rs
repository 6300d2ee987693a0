// A misspelled `authenticated`.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(authenticatd)]
fn me(user: Authenticated<User>) {}

fn main() {}
