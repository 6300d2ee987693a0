// A list needs the rule as a filter: `Read` has a hand-written `Policy<Order>`
// (it computes over the loaded order), so it has no query to give a list.
// Write a `FilterPolicy`, or decide each loaded row with `filter_authorized`.
use auth_core::Authenticated;
use auth_tests::{Order, Read, User};

fn list(user: &Authenticated<User>) {
    let _ = user.authorize_list::<Read, Order>(&());
}

fn main() {}
