// A filter policy for every action on a local resource would, through the blanket
// `Policy`, mint permits for other crates' actions (`Delete`, `Archive`) on it:
// a type parameter cannot stand for the action.
use auth_core::filter::Filter;
use auth_core::{Action, Authenticated, FilterPolicy};
use auth_tests::User;

struct Note;

impl<A: Action> FilterPolicy<Note> for A {
    type Principal = User;
    type State = ();

    fn filter(_: &Authenticated<User>, (): &()) -> Filter<Note> {
        Filter::all()
    }
}

fn main() {}
