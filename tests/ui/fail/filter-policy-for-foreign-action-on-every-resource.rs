// A filter policy of another crate's action for every resource would mint
// `Permit<Archive, Order>` for that crate's `Order`: a type parameter cannot
// stand for the resource of a foreign action.
use auth_core::filter::Filter;
use auth_core::{Authenticated, FilterPolicy};
use auth_tests::{Archive, User};

impl<R> FilterPolicy<R> for Archive {
    type Principal = User;
    type State = ();

    fn filter(_: &Authenticated<User>, (): &()) -> Filter<R> {
        Filter::all()
    }
}

fn main() {}
