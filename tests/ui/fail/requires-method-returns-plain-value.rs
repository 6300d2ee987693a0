// A method keeps its signature, so it must be able to return the denial.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

struct Service;

impl Service {
    #[requires(role("admin"))]
    fn count(&self, user: Authenticated<User>) -> usize {
        0
    }
}

fn main() {}
