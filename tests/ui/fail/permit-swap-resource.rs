// A permit cannot be pointed at another resource value.
use auth_core::Permit;
use auth_tests::{Order, Update};

fn swap(permit: &mut Permit<'_, Update, Order>, other: Order) {
    *permit.resource() = other;
}

fn main() {}
