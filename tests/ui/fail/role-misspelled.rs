// A typed role that does not exist does not compile: the error is at the name.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::User;

pub struct Admin;
impl auth_core::rbac::RoleName for Admin {
    const NAME: &'static str = "admin";
}

#[requires(role(Admn))]
fn list_users(user: Authenticated<User>) {}

fn main() {}
