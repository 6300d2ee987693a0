// A permit borrows the principal it was minted for: it cannot be kept for a later
// request (a static, a shared cache) and replayed for another caller.
use std::sync::Mutex;

use auth_core::{Authenticated, Permit};
use auth_tests::{Delete, Order, User};

static REMEMBERED: Mutex<Vec<Permit<'static, Delete, Order>>> = Mutex::new(Vec::new());

fn remember(user: &Authenticated<User>, order: Order) {
    if let Ok(permit) = user.authorize::<Delete, _>(order) {
        REMEMBERED.lock().unwrap().push(permit);
    }
}

fn main() {}
