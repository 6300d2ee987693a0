// A parameter becomes one permit.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};
use auth_tests::{Read, Update};

#[requires(Read(order), Update(order))]
fn update(user: Authenticated<User>, order: Order) {}

fn main() {}
