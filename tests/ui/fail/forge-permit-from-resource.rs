// A resource value is not a permit for it.
use auth_core::Permit;
use auth_tests::{Delete, Order};

fn forge(order: Order) -> Permit<'static, Delete, Order> {
    Permit::from(order)
}

fn main() {}
