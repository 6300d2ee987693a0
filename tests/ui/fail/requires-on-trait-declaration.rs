// Put the attribute on the implementation, which has the body.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

trait Orders {
    #[requires(authenticated)]
    fn list(&self, user: Authenticated<User>) -> Vec<Order>;
}

fn main() {}
