// An action is a unit struct.
#![allow(unused)]
use auth_core::Action;

#[derive(Action)]
struct Update {
    force: bool,
}

fn main() {}
