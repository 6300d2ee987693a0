// Nor can an unmarked handler that takes no principal.
#![allow(unused)]
use auth_core::mount::SecureRoutes;
use auth_tests::User;

fn health(_request: &String) -> String {
    "ok".to_owned()
}

fn main() {
    let _routes = SecureRoutes::<&str, User, String, String>::new().route("/health", health);
}
