// Only the policy path mints permits.
use auth_core::Permit;
use auth_tests::{Delete, Order};

fn forge(order: Order) -> Permit<'static, Delete, Order> {
    Permit::new(order)
}

fn main() {}
