// A user who shadows `Result`, `Option`, `Ok`, `Err`, `Some`, `None` and `Box`
// does not change what the expansion does.
#![allow(dead_code, unused_imports)]

use auth_core::{requires, Authenticated};
use auth_tests::{block_on, sign_in, Order, Read, User};

type Result<T> = core::result::Result<T, String>;
struct Option;
struct Box;
#[allow(non_snake_case)]
fn Ok() {}
#[allow(non_snake_case)]
fn Err() {}
#[allow(non_upper_case_globals)]
const Some: u8 = 0;
#[allow(non_upper_case_globals)]
const None: u8 = 0;
mod core_shadow {
    pub mod core {}
}
use core_shadow::core as auth_core_shadow;

#[requires(Read(order), any(role("customer"), role("admin")))]
async fn get(_user: Authenticated<User>, order: Order) -> u64 {
    order.id
}

#[requires(authenticated)]
fn sync(user: Authenticated<User>) -> u64 {
    user.id
}

fn main() {
    let order = Order { id: 1, owner_id: 1 };
    assert_eq!(block_on(get(sign_in(1, ""), order)).into_result().unwrap_or(0), 1);
    assert_eq!(sync(sign_in(2, "")).into_result().unwrap_or(0), 2);
}
