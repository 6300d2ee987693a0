// An action has a filter policy or a hand-written policy for a resource, never
// both: two rules for one pair, which could disagree, do not compile.
use auth_core::filter::Filter;
use auth_core::{Action, Authenticated, Decision, FilterPolicy, Policy};
use auth_tests::User;

struct Note;

#[derive(Action)]
struct Read;

impl FilterPolicy<Note> for Read {
    type Principal = User;
    type State = ();

    fn filter(_: &Authenticated<User>, (): &()) -> Filter<Note> {
        Filter::none()
    }
}

impl Policy<Note> for Read {
    type Principal = User;
    type State = ();

    fn decide(_: &Authenticated<User>, _: &Note, (): &()) -> Decision {
        Decision::allow("a second rule")
    }
}

fn main() {}
