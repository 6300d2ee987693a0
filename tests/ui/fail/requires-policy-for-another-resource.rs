// `Update` has a policy for orders, not for invoices.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Invoice, Update, User};

#[requires(Update(invoice))]
fn update(user: Authenticated<User>, invoice: Invoice) {}

fn main() {}
