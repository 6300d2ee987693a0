// The attribute goes on functions.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(authenticated)]
struct Handler;

fn main() {}
