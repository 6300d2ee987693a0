use auth_core::{requires, Authenticated};
use auth_tests::{block_on, sign_in, User};

#[requires(role("admin"))]
#[tracing::instrument(skip_all, fields(user = user.id))]
async fn below(user: Authenticated<User>) -> u64 {
    user.id
}

// `err` reads the declared `Result`, so it goes above `#[requires]`, which
// turns the output into `Guarded<Result<..>>`.
#[tracing::instrument(skip_all, err)]
#[requires(role("admin"))]
async fn inner(user: Authenticated<User>) -> Result<u64, String> {
    Ok(user.id)
}

fn main() {
    assert!(block_on(below(sign_in(1, ""))).is_denied());
    assert_eq!(block_on(inner(sign_in(3, ""))).into_result().unwrap(), Ok(3));
}
