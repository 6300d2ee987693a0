// There is no default permit.
use auth_core::Permit;
use auth_tests::{Delete, Order};

fn forge() -> Permit<'static, Delete, Order> {
    Permit::default()
}

fn main() {}
