// A permit cannot come from request data.
use auth_core::Permit;
use auth_tests::{Delete, Order};

fn forge(body: &str) -> Permit<'static, Delete, Order> {
    serde_json::from_str(body).unwrap()
}

fn main() {}
