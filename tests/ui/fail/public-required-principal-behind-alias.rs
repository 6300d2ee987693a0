// A `#[public]` handler cannot demand a principal, spelled `Authenticated<_>` or not.
#![allow(unused)]
use auth_core::{public, Authenticated};
use auth_tests::User;

type Caller = Authenticated<User>;

#[public]
async fn me(user: Caller) -> String {
    format!("user {}", user.id)
}

fn main() {}
