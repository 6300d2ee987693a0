// `PolicyFor` is a view of the domain's `Policy`, not a second way in: implementing
// it for another state (or principal) does not compile.
use auth_core::{Authenticated, Decision, PolicyFor};
use auth_tests::{Archive, Order, User};

struct Local;

impl PolicyFor<Order, User, Local> for Archive {
    fn decide_for(_: &Authenticated<User>, _: &Order, _: &Local) -> Decision {
        Decision::allow("mine")
    }
}

fn main() {}
