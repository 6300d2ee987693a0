use std::fmt::Display;

use auth_core::{requires, Authenticated};
use auth_tests::{block_on, sign_in, User};

#[requires(authenticated)]
fn sync_display(user: Authenticated<User>) -> impl Display {
    user.id
}

#[requires(authenticated)]
async fn async_iter(user: Authenticated<User>) -> impl Iterator<Item = u64> {
    std::iter::repeat(user.id).take(2)
}

fn main() {
    assert_eq!(sync_display(sign_in(1, "")).into_result().unwrap().to_string(), "1");
    assert_eq!(block_on(async_iter(sign_in(2, ""))).into_result().unwrap().sum::<u64>(), 4);
}
