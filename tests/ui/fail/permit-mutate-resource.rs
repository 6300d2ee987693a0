// The checked value cannot be changed behind the permit (check one, use another).
#![allow(unused)]
use auth_core::Permit;
use auth_tests::{Order, Update};

fn reassign(mut permit: Permit<'_, Update, Order>) {
    permit.owner_id = 99;
}

fn main() {}
