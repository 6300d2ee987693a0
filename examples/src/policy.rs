//! Who may do what to an order: the one place the rules are written.
//!
//! Both services (axum and actix-web) use this module unchanged, for single
//! orders (resource gates) and for lists (`filter_authorized`), so the list of
//! orders cannot drift from the rule for one order.

use auth_core::{Authenticated, Decision, Policy};

use crate::domain::{Delete, Order, Read, User};

fn owner_or_admin(user: &Authenticated<User>, order: &Order) -> Decision {
    if user.is_admin() {
        Decision::allow("admin")
    } else if order.owner_id == user.id {
        Decision::allow("owner")
    } else {
        Decision::deny("not the owner of the order")
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
