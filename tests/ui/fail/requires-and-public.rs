// A handler is either guarded or public.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};
use auth_core::public;

#[requires(authenticated)]
#[public]
fn me(user: Authenticated<User>) {}

fn main() {}
