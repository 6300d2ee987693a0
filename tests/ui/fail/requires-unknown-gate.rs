// A misspelled gate is an error with a suggestion, never a silent allow.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(rol("admin"))]
fn purge(user: Authenticated<User>) {}

fn main() {}
