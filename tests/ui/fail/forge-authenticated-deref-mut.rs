// A principal is read-only: no way to grant yourself a role after authentication.
#![allow(unused)]
use auth_core::Authenticated;
use auth_tests::User;

fn promote(mut alice: Authenticated<User>) {
    alice.roles.push("admin");
}

fn main() {}
