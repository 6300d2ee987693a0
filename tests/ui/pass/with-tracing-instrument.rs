use auth_core::{requires, Authenticated};
use auth_tests::{block_on, sign_in, User};

// Above `#[requires]`, `#[instrument]` wraps only what runs after the gates: its
// fields are read for callers the gates let in.
#[tracing::instrument(skip_all, fields(user = user.id))]
#[requires(role("admin"))]
async fn above(user: Authenticated<User>) -> u64 {
    user.id
}

// `err` reads the declared `Result`, which `#[requires]` keeps for the body.
#[tracing::instrument(skip_all, err)]
#[requires(role("admin"))]
async fn inner(user: Authenticated<User>) -> Result<u64, String> {
    Ok(user.id)
}

fn main() {
    assert!(block_on(above(sign_in(1, ""))).is_denied());
    assert_eq!(block_on(inner(sign_in(3, ""))).into_result().unwrap(), Ok(3));
}
