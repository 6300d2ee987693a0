// A permit for an invoice is not a permit for an order.
use auth_core::Permit;
use auth_tests::{Invoice, Order, Read};

fn read_order(_permit: &Permit<'_, Read, Order>) {}

fn handler(permit: Permit<'_, Read, Invoice>) {
    read_order(&permit);
}

fn main() {}
