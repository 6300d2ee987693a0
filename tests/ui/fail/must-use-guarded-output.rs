// A guarded handler's output carries either the response or the denial; dropping it drops the denial.
#![deny(unused_must_use)]
use auth_core::{requires, Authenticated};
use auth_tests::User;

#[requires(role("admin"))]
fn purge(_user: Authenticated<User>) {}

fn caller(user: Authenticated<User>) {
    purge(user);
}

fn main() {}
