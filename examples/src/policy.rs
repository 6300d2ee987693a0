//! Who may do what to an order: the one place the rules are written.
//!
//! Both services (axum and actix-web) use this module unchanged. The rule is a
//! [`FilterPolicy`]: one filter over the order's columns that decides a single
//! order (resource gates, `authorize`) and narrows the listing's SQL query
//! (`GET /orders`), so the list of orders cannot drift from the rule for one
//! order, and a listing reads one page, never the table.

use auth_core::filter::Filter;
use auth_core::{Authenticated, FilterPolicy};

use crate::domain::{Delete, Order, Read, User};

/// An admin may act on every order, anyone else on their own:
/// `owner_id = <user id> OR <the user is an admin>`.
fn owner_or_admin(user: &User) -> Filter<Order> {
    Order::OWNER_ID
        .eq(user.id)
        .named("owner")
        .or(Filter::when(user.is_admin()).named("admin"))
}

impl FilterPolicy<Order> for Read {
    type Principal = User;
    type State = ();

    fn filter(user: &Authenticated<User>, (): &()) -> Filter<Order> {
        owner_or_admin(user)
    }
}

impl FilterPolicy<Order> for Delete {
    type Principal = User;
    type State = ();

    fn filter(user: &Authenticated<User>, (): &()) -> Filter<Order> {
        owner_or_admin(user)
    }
}
