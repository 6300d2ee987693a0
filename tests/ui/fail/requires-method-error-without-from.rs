// The method's error type must be able to hold an `AuthError`.
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::{Order, User};

#[derive(Debug)]
struct DbError;

struct Service;

impl Service {
    #[requires(role("admin"))]
    fn count(&self, user: Authenticated<User>) -> Result<usize, DbError> {
        Ok(0)
    }
}

fn main() {}
