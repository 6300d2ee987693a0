use auth_core::{requires, Authenticated, Decision};
use auth_tests::{block_on, sign_in, Limits, User};

fn business_hours(_user: &Authenticated<User>) -> Decision {
    Decision::allow("always open in tests")
}

#[requires(check(business_hours))]
fn sync_check(user: Authenticated<User>) -> u64 {
    user.id
}

#[requires(check(auth_tests::is_approver), state = limits)]
async fn async_check(user: Authenticated<User>, limits: &Limits) -> u64 {
    let _ = limits;
    user.id
}

fn main() {
    assert_eq!(sync_check(sign_in(1, "")).into_result().unwrap(), 1);
    let limits = Limits::default();
    assert!(block_on(async_check(sign_in(1, ""), &limits)).is_denied());
}
