// The handler's record and the gatekeeper are the expansion's own: the body cannot
// name them (a registered record would clear anything with made-up decisions).
#![allow(unused)]
use auth_core::{requires, Authenticated};
use auth_tests::User;

#[requires(role("admin"))]
fn leaky(user: Authenticated<User>) -> u64 {
    let record = &__AUTH_HANDLER;
    let handler = __auth_handler;
    user.id
}

fn main() {}
