// A principal cannot be written as a struct literal: its fields are private.
use auth_core::{AuthInfo, Authenticated};
use auth_tests::User;

fn forge(user: User, info: AuthInfo) -> Authenticated<User> {
    Authenticated { user, info }
}

fn main() {}
