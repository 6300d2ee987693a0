use auth_core::{requires, AuthError, Authenticated};
use auth_tests::{block_on, sign_in, User};

#[derive(Debug, PartialEq)]
enum ApiError {
    BadInput,
    Auth(u16),
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        ApiError::Auth(error.status().as_u16())
    }
}

impl From<std::num::ParseIntError> for ApiError {
    fn from(_: std::num::ParseIntError) -> Self {
        ApiError::BadInput
    }
}

#[requires(role("customer"))]
async fn parse(_user: Authenticated<User>, input: String) -> Result<u64, ApiError> {
    let n: u64 = input.parse()?;
    Ok(n)
}

fn main() {
    assert_eq!(block_on(parse(sign_in(1, ""), "12".into())).flatten(), Ok(12));
    assert_eq!(block_on(parse(sign_in(1, ""), "x".into())).flatten(), Err(ApiError::BadInput));
    assert_eq!(block_on(parse(sign_in(3, ""), "12".into())).flatten(), Err(ApiError::Auth(403)));
}
