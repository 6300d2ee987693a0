// A permit to read is not a permit to delete.
use auth_core::Permit;
use auth_tests::{Delete, Order, Read};

fn escalate(permit: Permit<'static, Read, Order>) -> Permit<'static, Delete, Order> {
    permit.into()
}

fn main() {}
