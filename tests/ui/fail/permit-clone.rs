// A permit cannot be cloned, so it cannot be kept and reused for something else.
use auth_core::Permit;
use auth_tests::{Delete, Order};

fn keep(permit: &Permit<'static, Delete, Order>) -> Permit<'static, Delete, Order> {
    permit.clone()
}

fn main() {}
