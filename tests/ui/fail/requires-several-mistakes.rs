// Independent mistakes are reported together, in one build.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(rol("admin"), any(), Update(ordr))]
fn update(user: Authenticated<User>, order: Order) {}

fn main() {}
