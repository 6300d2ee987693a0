// A permit to read is not a permit to delete.
use auth_core::Permit;
use auth_tests::{Delete, Order, Read};

fn escalate(permit: Permit<Read, Order>) -> Permit<Delete, Order> {
    permit.into()
}

fn main() {}
