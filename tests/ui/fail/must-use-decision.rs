// A decision that is computed and ignored checks nothing.
#![deny(unused_must_use)]
use auth_core::{gate, Authenticated};
use auth_tests::User;

fn forgot(user: &Authenticated<User>) {
    gate::role(user, "admin");
}

fn main() {}
