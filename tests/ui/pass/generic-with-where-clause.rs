use std::fmt::Display;

use auth_core::{requires, Authenticated, HasRoles};
use auth_tests::{sign_in, User};

#[requires(role("customer"))]
fn describe<U, T>(_user: Authenticated<U>, value: T) -> String
where
    U: HasRoles,
    T: Display,
{
    value.to_string()
}

fn main() {
    assert_eq!(describe::<User, _>(sign_in(1, ""), 5).into_result().unwrap(), "5");
    assert!(describe::<User, _>(sign_in(3, ""), 5).is_denied());
}
