// The data layer demands a delete permit; a read permit does not do.
use auth_core::Permit;
use auth_tests::{Delete, Order, Read};

fn delete_order(_permit: &Permit<'_, Delete, Order>) {}

fn handler(permit: Permit<'_, Read, Order>) {
    delete_order(&permit);
}

fn main() {}
