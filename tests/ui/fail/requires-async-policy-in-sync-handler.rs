// A policy that awaits needs an `async fn` handler.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Approve, Invoice, Limits, User};

#[requires(Approve(invoice), state = limits)]
fn approve(user: Authenticated<User>, limits: &Limits, invoice: Invoice) {}

fn main() {}
