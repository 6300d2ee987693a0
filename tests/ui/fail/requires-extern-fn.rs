// An `extern` function's callers cannot receive a denial.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(authenticated)]
extern "C" fn me(user: Authenticated<User>) {}

fn main() {}
