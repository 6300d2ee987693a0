// The axum secure router mounts only `#[requires]` or `#[public]` handlers.
#![allow(unused)]
use auth_core::axum::{get, SecureRouter};
use auth_core::{Authenticated, SharedAuthenticator};
use auth_tests::User;

async fn list_orders(user: Authenticated<User>) -> String {
    format!("every order, for {}", user.id)
}

fn main() {
    let _app: axum::Router<SharedAuthenticator<User>> =
        SecureRouter::new().route("/orders", get(list_orders)).into_router();
}
