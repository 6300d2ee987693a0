// `#[action(..)]` accepts `name = ".."` only.
#![allow(unused)]
use auth_core::Action;

#[derive(Action)]
#[action(label = "update")]
struct Update;

fn main() {}
