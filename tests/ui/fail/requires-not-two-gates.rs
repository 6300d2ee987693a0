// `not` negates one gate.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(not(role("banned"), role("suspended")))]
fn post(user: Authenticated<User>) {}

fn main() {}
