// A closure that checks nothing does not mount on the secure router.
#![allow(unused)]
use auth_core::axum::{get, SecureRouter};
use auth_core::SharedAuthenticator;
use auth_tests::User;

fn main() {
    let _app: axum::Router<SharedAuthenticator<User>> = SecureRouter::new()
        .route("/orders", get(|| async { "every order" }))
        .into_router();
}
