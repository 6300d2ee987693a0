// A handler has one policy state.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Limits, User};

#[requires(check(auth_tests::is_approver), state = limits, state = limits)]
async fn approve(user: Authenticated<User>, limits: Limits) {}

fn main() {}
