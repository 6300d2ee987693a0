// No cast between permits of different actions.
use auth_core::Permit;
use auth_tests::{Delete, Order, Read};

fn escalate(permit: Permit<Read, Order>) -> Permit<Delete, Order> {
    permit as Permit<Delete, Order>
}

fn main() {}
