// `#[public]` takes no arguments.
#![allow(unused)]
use auth_core::public;

#[public(role("admin"))]
fn health() -> &'static str {
    "ok"
}

fn main() {}
