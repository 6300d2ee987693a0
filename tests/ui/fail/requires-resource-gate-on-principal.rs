// The principal is not the resource.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};
use auth_tests::Update;

#[requires(Update(user))]
fn update(user: Authenticated<User>, order: Order) {}

fn main() {}
