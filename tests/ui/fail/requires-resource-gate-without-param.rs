// An action alone does not say which resource.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};
use auth_tests::Update;

#[requires(Update)]
fn update(user: Authenticated<User>, order: Order) {}

fn main() {}
