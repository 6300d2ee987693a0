// A crate that owns neither the action nor the resource cannot write their policy:
// no second rule can mint `Permit<Archive, Order>`s, whatever state or principal it
// picks.
use auth_core::{Authenticated, Decision, Policy};
use auth_tests::{Archive, Order, User};

struct Local;

impl Policy<Order> for Archive {
    type Principal = User;
    type State = Local;

    fn decide(_: &Authenticated<User>, _: &Order, _: &Local) -> Decision {
        Decision::allow("mine")
    }
}

fn main() {}
