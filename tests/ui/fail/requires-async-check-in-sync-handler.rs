// An async predicate needs an `async fn` handler.
#![allow(unused)]
use auth_core::{requires, Authenticated, Decision};
use auth_tests::User;

async fn slow(_user: &Authenticated<User>) -> Decision {
    Decision::allow("slow")
}

#[requires(check(slow))]
fn quick(user: Authenticated<User>) {}

fn main() {}
