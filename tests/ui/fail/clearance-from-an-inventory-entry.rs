// Reading the inventory opens no door: its entries are views, and a public
// clearance needs a record of one's own, registered (and so in the matrix).
#![allow(unused)]
use auth_core::{Clearance, Guarded};

fn borrow_a_door() -> Guarded<&'static str, ()> {
    let entry = auth_core::inventory::handlers()[0];
    match Clearance::<()>::public(entry) {
        Ok(clearance) => Guarded::new(clearance, "every order"),
        Err(refusal) => refusal.into(),
    }
}

fn main() {}
