// `state` is read only by resource gates and predicates.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Limits, User};

#[requires(role("admin"), state = limits)]
fn purge(user: Authenticated<User>, limits: Limits) {}

fn main() {}
