// A closure is not a handler with a record: there is no public constructor for a
// `Guarded` output it could return instead of going through `#[public]`.
#![allow(unused)]
use auth_core::axum::{get, SecureRouter};
use auth_core::{Guarded, SharedAuthenticator};
use auth_tests::User;

fn main() {
    let _app: axum::Router<SharedAuthenticator<User>> = SecureRouter::new()
        .route("/orders", get(|| async { Guarded::<_, ()>::public("every order") }))
        .into_router();
}
