// The expansion calls the predicate, so a generic one is named as an expression:
// `check(on_plan::<Enterprise>)`. Without the turbofish the path does not parse as
// one, and the attribute says which form it wants (fuzzing found this as a panic).
#![allow(unused)]
use auth_core::{requires, Authenticated, Decision};
use auth_tests::User;

struct Enterprise;

fn on_plan<P>(user: &Authenticated<User>) -> Decision {
    Decision::allow("on the plan")
}

#[requires(check(on_plan<Enterprise>))]
fn export(user: Authenticated<User>) {}

fn main() {}
