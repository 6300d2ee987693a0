// In a method that returns `Box::pin(async move { .. })`, the gates run inside
// that block: a statement before it would run for every caller.
#![allow(unused)]
use std::future::Future;
use std::pin::Pin;

use auth_core::{requires, AuthError, Authenticated};
use auth_tests::User;

struct Service;

fn audit_trail(_: &str) {}

impl Service {
    #[requires(role("admin"))]
    fn purge(
        &self,
        user: Authenticated<User>,
    ) -> Pin<Box<dyn Future<Output = Result<(), AuthError>> + Send + '_>> {
        audit_trail("purge requested");
        Box::pin(async move { Ok(()) })
    }
}

fn main() {}
