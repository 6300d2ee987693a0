// Only action types name resource gates.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[requires(Order(order))]
fn update(user: Authenticated<User>, order: Order) {}

fn main() {}
