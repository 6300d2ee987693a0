// `guests = ..` is a bool, said once.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::User;

#[requires(authenticated, guests = "yes")]
fn not_a_bool(user: Authenticated<User>) {}

#[requires(authenticated, guests = true, guests = true)]
fn twice(user: Authenticated<User>) {}

fn main() {}
