// Every method of a route is checked, not only the first one.
#![allow(unused)]
use auth_core::axum::{get, SecureRouter};
use auth_core::{public, Authenticated};
use auth_tests::User;

#[public]
async fn read_orders() -> &'static str {
    "the catalog"
}

async fn delete_orders(user: Authenticated<User>) -> &'static str {
    "deleted everything"
}

fn main() {
    let _app: axum::Router =
        SecureRouter::new().route("/orders", get(read_orders).delete(delete_orders)).into_router();
}
