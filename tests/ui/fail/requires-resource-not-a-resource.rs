// Every decision is audited with the resource's kind and id.
#![allow(unused)]
use auth_core::{requires, Action, Authenticated, Decision, Policy};
use auth_tests::User;

#[derive(Action)]
struct Open;
struct Door;

impl Policy<Door> for Open {
    type Principal = User;
    type State = ();

    fn decide(_: &Authenticated<User>, _: &Door, _: &()) -> Decision {
        Decision::allow("doors are open")
    }
}

#[requires(Open(door))]
fn open(user: Authenticated<User>, door: Door) {}

fn main() {}
