// `authenticated` takes no arguments.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(authenticated("bearer"))]
fn me(user: Authenticated<User>) {}

fn main() {}
