// A gate for an action nobody wrote a policy for.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};
use auth_tests::Archive;

#[requires(Archive(order))]
fn archive(user: Authenticated<User>, order: Order) {}

fn main() {}
