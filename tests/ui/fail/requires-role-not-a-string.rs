// A role is named by a type (`role(Admin)`) or a string literal (`role("admin")`).
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(role(admin))]
fn purge(user: Authenticated<User>) {}

fn main() {}
