// A handler with neither `#[requires]` nor `#[public]` cannot be mounted.
#![allow(unused)]
use auth_core::mount::SecureRoutes;
use auth_core::Authenticated;
use auth_tests::User;

fn list_orders(user: Authenticated<User>, _request: &String) -> String {
    format!("every order, for {}", user.id)
}

fn main() {
    let _routes = SecureRoutes::<&str, User, String, String>::new().route("/orders", list_orders);
}
