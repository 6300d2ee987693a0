// A permit cannot outlive the principal it was minted for.
use auth_core::{Authenticated, Permit};
use auth_tests::{Delete, Order, User};

fn escape(user: Authenticated<User>, order: Order) -> Option<Permit<'static, Delete, Order>> {
    user.authorize::<Delete, _>(order).ok()
}

fn main() {}
