//! Who may do what to an order: the one place the rules are written.
//!
//! Both services (axum and actix-web) use this module unchanged, for single
//! orders (resource gates) and for lists (`filter_authorized`), so the list of
//! orders cannot drift from the rule for one order. A listing narrows its query
//! with [`readable_orders`], the same rule as a query filter: the single-order
//! decision is derived from it, and the policy still judges every row loaded.

use auth_core::{Authenticated, Decision, Policy};

use crate::api_keys::{ApiKey, Revoke};
use crate::domain::{Delete, Order, Read, User};

/// The orders a user may see, as a query filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderFilter {
    /// Every order (an admin).
    All,
    /// The orders of this owner (anyone else: their own).
    OwnedBy(i64),
}

/// The rule, as a query filter: an admin sees every order, anyone else their
/// own. [`Read`] and [`Delete`] decide single orders by it.
pub fn readable_orders(user: &User) -> OrderFilter {
    if user.is_admin() {
        OrderFilter::All
    } else {
        OrderFilter::OwnedBy(user.id)
    }
}

fn owner_or_admin(user: &Authenticated<User>, order: &Order) -> Decision {
    match readable_orders(user) {
        OrderFilter::All => Decision::allow("admin"),
        OrderFilter::OwnedBy(owner) if owner == order.owner_id => Decision::allow("owner"),
        OrderFilter::OwnedBy(_) => Decision::deny("not the owner of the order"),
    }
}

impl Policy<Order> for Read {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, order: &Order, (): &()) -> Decision {
        owner_or_admin(user, order)
    }
}

impl Policy<Order> for Delete {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, order: &Order, (): &()) -> Decision {
        owner_or_admin(user, order)
    }
}

/// Only the owner revokes a key. Anyone else is told it does not exist (404,
/// [`Decision::not_found`]) where an order answers 403: an API key's id is a
/// credential's public half, and whether one exists is nobody else's business.
impl Policy<ApiKey> for Revoke {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, key: &ApiKey, (): &()) -> Decision {
        if key.0.owner() == user.subject() {
            Decision::allow("owner of the key")
        } else {
            Decision::not_found("not the owner of the key")
        }
    }
}
