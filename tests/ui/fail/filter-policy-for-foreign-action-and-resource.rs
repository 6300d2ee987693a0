// A crate that owns neither the action nor the resource cannot state their rule
// as a filter either: the blanket `Policy` of every `FilterPolicy` opens no second
// way to mint `Permit<Archive, Order>`s.
use auth_core::filter::Filter;
use auth_core::{Authenticated, FilterPolicy};
use auth_tests::{Archive, Order, User};

impl FilterPolicy<Order> for Archive {
    type Principal = User;
    type State = ();

    fn filter(_: &Authenticated<User>, (): &()) -> Filter<Order> {
        Filter::all()
    }
}

fn main() {}
