// A permission type is not a role: the message says which gate takes it.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::User;

pub struct OrdersRefund;
impl auth_core::rbac::PermissionName for OrdersRefund {
    const NAME: &'static str = "orders.refund";
}

#[requires(role(OrdersRefund))]
fn refund(user: Authenticated<User>) {}

fn main() {}
