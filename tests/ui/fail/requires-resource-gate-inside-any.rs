// A permit comes only from its own policy, never from `any(role(..), ..)`.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};
use auth_tests::Update;

#[requires(any(role("admin"), Update(order)))]
fn update(user: Authenticated<User>, order: Order) {}

fn main() {}
