// The principal must be bound to a name the gates can read.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(authenticated)]
fn me((user, _): (Authenticated<User>, u8)) {}

fn main() {}
