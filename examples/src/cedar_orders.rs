//! The order rules of [`crate::policy`], written as a Cedar policy set
//! (`examples/cedar/orders.cedar`, its schema `orders.cedarschema`): the
//! entities the users and orders are to Cedar, and the decision Cedar gives.
//!
//! It answers exactly as the Rust rules do (a property test compares both on
//! random users and orders:
//! `tests/integration/tests/cedar_orders_equivalence.rs`).

use std::time::UNIX_EPOCH;

use auth_core::cedar::{Cedar, CedarEntity, CedarError, CedarFile, Parents, Record};
use auth_core::{Action, Authenticated, Decision};

use crate::domain::{Order, User};

/// The policy set, compiled into the binary.
pub const POLICIES: &str = include_str!("../cedar/orders.cedar");
/// Its schema.
pub const SCHEMA: &str = include_str!("../cedar/orders.cedarschema");

/// The built-in policy set, validated against its schema.
///
/// # Errors
/// [`CedarError`], each problem at its file and line (none for the built-in
/// files: a test loads them).
pub fn engine() -> Result<Cedar, CedarError> {
    Cedar::load(
        CedarFile::new("examples/cedar/orders.cedar", POLICIES),
        CedarFile::new("examples/cedar/orders.cedarschema", SCHEMA),
    )
}

impl CedarEntity for User {
    const TYPE: &'static str = "Orders::User";

    fn cedar_id(&self) -> String {
        self.id.to_string()
    }

    fn attributes(&self, record: &mut Record) {
        record.long("id", self.id).string("region", &self.region);
    }

    /// Every role the user holds, inherited ones included (resolved through
    /// the roles file when the user was loaded).
    fn parents(&self, parents: &mut Parents) {
        for role in self.grants.roles() {
            parents.add("Orders::Role", role);
        }
    }
}

impl CedarEntity for Order {
    const TYPE: &'static str = "Orders::Order";

    fn cedar_id(&self) -> String {
        self.id.to_string()
    }

    fn attributes(&self, record: &mut Record) {
        record
            .long("owner_id", self.owner_id)
            .long("amount", self.amount)
            .string("region", &self.region);
        if let Some(placed) = self.created_at {
            record.long("created_at", placed);
        }
    }
}

/// The request's context: its one "now" (`user.context().at()`), in Unix
/// seconds, as the Rust refund rule reads it.
pub fn context(user: &Authenticated<User>) -> Record {
    let now = user
        .context()
        .at()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        });
    let mut context = Record::new();
    context.long("now", now);
    context
}

/// Cedar's decision for `user` doing `action` on `order`.
pub fn decide<A: Action>(
    cedar: &Cedar,
    user: &Authenticated<User>,
    action: A,
    order: &Order,
) -> Decision {
    cedar.decide(&**user, action, order, &context(user))
}
