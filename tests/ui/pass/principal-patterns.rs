use auth_core::{requires, Authenticated};
use auth_tests::{sign_in, User};

#[requires(authenticated)]
fn wildcard(_: Authenticated<User>) -> u8 {
    1
}

#[requires(authenticated)]
fn mutable(mut user: Authenticated<User>) -> u64 {
    let id = user.id;
    user = sign_in(2, "");
    id + user.id
}

#[requires(authenticated)]
fn borrowed(user: &Authenticated<User>) -> u64 {
    user.id
}

#[requires(authenticated)]
fn qualified(user: auth_core::Authenticated<User>) -> u64 {
    user.id
}

fn main() {
    assert_eq!(wildcard(sign_in(1, "")).into_result().unwrap(), 1);
    assert_eq!(mutable(sign_in(1, "")).into_result().unwrap(), 3);
    assert_eq!(borrowed(&sign_in(1, "")).into_result().unwrap(), 1);
    assert_eq!(qualified(sign_in(1, "")).into_result().unwrap(), 1);
}
