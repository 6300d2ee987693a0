// Finding 8 (a regression of the `FilterPolicy` blanket impl, not a door): a
// policy for every resource (`impl<R: Resource> Policy<R> for Audit`, "auditors
// read everything") compiled before `impl<A: FilterPolicy<R>, R> Policy<R> for A`
// and conflicts with it now, because a downstream crate may write
// `FilterPolicy<TheirResource> for Audit`. Kept here so the change is visible;
// move it to `ui/pass` if the blanket impl is replaced (e.g. by a
// `#[derive]`/macro, or a `FilterPolicy`-to-`Policy` adapter type).
use auth_core::{Action, Authenticated, Decision, Policy, Resource};
use auth_tests::User;

#[derive(Action)]
struct Audit;

impl<R: Resource> Policy<R> for Audit {
    type Principal = User;
    type State = ();
    fn decide(_: &Authenticated<User>, _: &R, (): &()) -> Decision {
        Decision::allow("auditors read everything")
    }
}

fn main() {}
