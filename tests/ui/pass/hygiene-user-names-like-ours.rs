// A user's own names, even ones that look like the expansion's, do not clash.
use auth_core::{requires, Authenticated};
use auth_tests::{sign_in, User};

#[requires(authenticated)]
fn handler(user: Authenticated<User>, gate: u8, state: u8, clearance: u8) -> u64 {
    let __auth = 1;
    user.id + u64::from(gate + state + clearance) + __auth
}

fn main() {
    assert_eq!(handler(sign_in(1, ""), 1, 1, 1).into_result().unwrap(), 5);
}
