// One principal per function.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(authenticated)]
fn transfer(from: Authenticated<User>, to: Authenticated<User>) {}

fn main() {}
