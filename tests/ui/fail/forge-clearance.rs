// A clearance only comes out of a gatekeeper whose gates all allowed, or out of a
// registered `#[public]` record: it cannot be made up.
use auth_core::{Authenticated, Clearance, Guarded};
use auth_tests::User;

fn forge() -> Guarded<&'static str, Authenticated<User>> {
    Guarded::new(Clearance { caller: std::marker::PhantomData }, "every order")
}

fn main() {}
