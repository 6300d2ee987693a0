// No cast between permits of different actions.
use auth_core::Permit;
use auth_tests::{Delete, Order, Read};

fn escalate(permit: Permit<'static, Read, Order>) -> Permit<'static, Delete, Order> {
    permit as Permit<'static, Delete, Order>
}

fn main() {}
