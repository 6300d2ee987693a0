use auth_core::{requires, Authenticated};
use auth_tests::{block_on, sign_in, User};

#[requires(role("admin"))]
async fn purge(user: Authenticated<User>) -> String {
    format!("purged by {}", user.id)
}

fn main() {
    assert!(block_on(purge(sign_in(1, ""))).is_denied());
    assert_eq!(block_on(purge(sign_in(3, ""))).into_result().unwrap(), "purged by 3");
}
