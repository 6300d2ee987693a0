use auth_core::{requires, Authenticated};
use auth_tests::{sign_in, User};

#[requires(authenticated)]
fn me(user: Authenticated<User>) -> u64 {
    user.id
}

fn main() {
    assert_eq!(me(sign_in(1, "")).into_result().unwrap(), 1);
}
