//! Who may do what to an order: the one place the rules are declared.
//!
//! Every service (axum, actix-web, tonic) uses this module unchanged. The rule
//! for reading and deleting an order is a [`FilterPolicy`]: one filter over the
//! order's columns that decides a single order (resource gates, `authorize`)
//! and narrows the listing's SQL query (`GET /orders`), so the list of orders
//! cannot drift from the rule for one order, and a listing reads one page,
//! never the table.
//!
//! The rules are written twice, and the service runs one of them
//! (`ORDERS_API_POLICY_ENGINE`, [`OrderRules`]): in Rust, in this module (the
//! default), or as the Cedar policy set `examples/cedar/orders.cedar`
//! ([`crate::cedar_orders`]). The policies' state says which; the handlers and
//! their `#[requires(..)]` are the same for both. Under Cedar, the filter of a
//! list is Cedar's own answer to "which orders may this user read", its
//! partial evaluation turned into the same SQL `WHERE`; a Cedar that cannot
//! answer is a 503, never an allow. Both give the same answers: a property
//! test compares them (`tests/integration/tests/cedar_orders_equivalence.rs`),
//! and the HTTP tests run under both (`orders_cedar_http.rs`).

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use auth_core::cedar::Cedar;
use auth_core::filter::Filter;
use auth_core::rbac::{RoleName as _, RoleTable};
use auth_core::{Authenticated, Decision, FilterPolicy, HasRoles as _, Policy};

use crate::access::roles::Manager;
use crate::api_keys::{ApiKey, Revoke};
use crate::cedar_orders::{self, CedarRulesError};
use crate::config::PolicyEngine;
use crate::domain::{Delete, Order, Read, Refund, User};

/// Which engine decides the order rules (read, delete, refund): the state of
/// their policies, chosen at start (`ORDERS_API_POLICY_ENGINE`).
#[derive(Debug, Clone, Default)]
pub enum OrderRules {
    /// The Rust rules of this module.
    #[default]
    Rust,
    /// The Cedar policy set ([`crate::cedar_orders`]), validated at start.
    Cedar(Arc<Cedar>),
}

impl OrderRules {
    /// The engine `engine` names, its files loaded, validated and probed
    /// ([`cedar_orders::load`]) against the roles of `roles`.
    ///
    /// # Errors
    /// [`CedarRulesError`] for a Cedar policy set that is refused.
    pub fn start(engine: &PolicyEngine, roles: &RoleTable) -> Result<OrderRules, CedarRulesError> {
        let chosen = match engine {
            PolicyEngine::Rust => OrderRules::Rust,
            PolicyEngine::Cedar { files } => {
                let files = files
                    .as_ref()
                    .map(|(policies, schema)| (policies.as_path(), schema.as_path()));
                OrderRules::Cedar(Arc::new(cedar_orders::load(files, roles)?))
            }
        };
        tracing::info!(engine = chosen.name(), "the order rules' engine");
        Ok(chosen)
    }

    /// The engine's name, as `ORDERS_API_POLICY_ENGINE` spells it.
    pub fn name(&self) -> &'static str {
        match self {
            OrderRules::Rust => "rust",
            OrderRules::Cedar(_) => "cedar",
        }
    }
}

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
    type State = OrderRules;

    fn filter(user: &Authenticated<User>, rules: &OrderRules) -> Filter<Order> {
        match rules {
            OrderRules::Rust => owner_or_admin(user),
            OrderRules::Cedar(cedar) => cedar_orders::filter(cedar, user, Read),
        }
    }
}

impl FilterPolicy<Order> for Delete {
    type Principal = User;
    type State = OrderRules;

    fn filter(user: &Authenticated<User>, rules: &OrderRules) -> Filter<Order> {
        match rules {
            OrderRules::Rust => owner_or_admin(user),
            OrderRules::Cedar(cedar) => cedar_orders::filter(cedar, user, Delete),
        }
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

/// A manager may refund orders under 500.00 in their own region, within 30 days
/// of the order: the attribute rule of the service (ABAC), on the principal's
/// role and region, the order's amount, region and age, and the request's time
/// (`user.context().at()`, so every decision of one request sees one "now").
/// An order whose age is unknown (a database of an older version) is not
/// refunded.
///
/// - The role is read through the roles file ([`User::grants`]), inheritance
///   included: an admin holds `manager`, so an admin refunds under the same
///   rule, in their own region and under the limit, and nothing else. No role
///   refunds 500.00 or more, or another region's order, through the API: a
///   larger refund is a decision for people, not a role.
/// - The owner does not matter: a manager refunds any customer's order of their
///   region (that is what a manager is for), and a customer, even the owner, no
///   order.
/// - Every refusal is a 403: whoever may read the order knows it exists, and a
///   manager who may not refund it learns only that.
///
/// A rule on values only the loaded order has (its amount) has no filter: it
/// decides one order at a time, which is all a refund needs.
impl Policy<Order> for Refund {
    type Principal = User;
    type State = OrderRules;

    fn decide(user: &Authenticated<User>, order: &Order, rules: &OrderRules) -> Decision {
        match rules {
            OrderRules::Rust => refund(user, order),
            OrderRules::Cedar(cedar) => cedar_orders::decide(cedar, user, Refund, order),
        }
    }
}

/// The refund rule in Rust.
fn refund(user: &Authenticated<User>, order: &Order) -> Decision {
    if !user.has_role(Manager::NAME) {
        return Decision::deny("only a manager refunds orders");
    }
    if user.region.is_empty() || order.region != user.region {
        return Decision::deny("the order is of another region than the manager's");
    }
    if order.amount >= Order::REFUND_LIMIT_CENTS {
        return Decision::deny("the order is of 500.00 or more");
    }
    let now = request_time(user);
    match order.created_at {
        Some(placed) if now.saturating_sub(placed) <= Order::REFUND_WINDOW_SECS => {}
        Some(_) => return Decision::deny("the order is older than 30 days"),
        None => return Decision::deny("the order's age is unknown"),
    }
    Decision::allow("a manager, in their region, under 500.00")
}

/// The request's one "now", recorded when it was authenticated, in Unix
/// seconds: what every rule on time reads, in Rust and in Cedar (`context.now`).
pub fn request_time(user: &Authenticated<User>) -> i64 {
    user.context()
        .at()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}
