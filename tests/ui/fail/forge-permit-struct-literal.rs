// A permit cannot be written as a struct literal.
use std::marker::PhantomData;

use auth_core::Permit;
use auth_tests::{Delete, Order};

fn forge(order: Order) -> Permit<'static, Delete, Order> {
    Permit { resource: order, action: PhantomData }
}

fn main() {}
