// `#[public]` reads who a handler admits from its parameters: a principal behind a
// type alias would be mounted as admitting anyone, with no authentication first.
#![allow(unused)]
use auth_core::{public, Authenticated};
use auth_tests::User;

type MaybeUser = Option<Authenticated<User>>;

#[public]
async fn greet(guest: MaybeUser) -> String {
    guest.map_or_else(|| "hello stranger".to_owned(), |user| format!("hello {}", user.id))
}

fn main() {}
