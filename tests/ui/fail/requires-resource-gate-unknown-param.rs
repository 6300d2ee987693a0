// A resource gate names a parameter of the function.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};
use auth_tests::Update;

#[requires(Update(ordr))]
fn update(user: Authenticated<User>, order: Order) {}

fn main() {}
