// A permit that is thrown away proves a check happened and then nothing used it.
#![deny(unused_must_use)]
use auth_core::Authenticated;
use auth_tests::{Delete, Order, User};

fn check_then_ignore(user: &Authenticated<User>, order: Order) {
    user.authorize::<Delete, _>(order).map(|permit| permit).ok();
    if let Ok(permit) = user.authorize::<Delete, _>(Order { id: 1, owner_id: 1 }) {
        permit;
    }
}

fn main() {}
