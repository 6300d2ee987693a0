// The actix-web secure scope mounts only `#[requires]` or `#[public]` handlers.
#![allow(unused)]
use auth_core::actix::{get, SecureScope};
use auth_core::Authenticated;
use auth_tests::User;

async fn list_orders(user: Authenticated<User>) -> String {
    format!("every order, for {}", user.id)
}

fn main() {
    let _scope = SecureScope::new("").route("/orders", get(list_orders));
}
