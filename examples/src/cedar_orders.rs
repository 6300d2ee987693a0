//! The order rules of [`crate::policy`], written as a Cedar policy set
//! (`examples/cedar/orders.cedar`, its schema `orders.cedarschema`): the
//! entities the users and orders are to Cedar, the decision Cedar gives, and
//! the filter of a list. The service runs them with
//! `ORDERS_API_POLICY_ENGINE=cedar` ([`crate::policy::OrderRules`]).
//!
//! It answers exactly as the Rust rules do (a property test compares both on
//! random users and orders:
//! `tests/integration/tests/cedar_orders_equivalence.rs`; the HTTP tests run
//! the service under both: `orders_cedar_http.rs`), under roles files in which
//! no role inherits `admin`, as the built-in one: the Rust read rule reads the
//! `admin` role as stored ([`User::is_admin`]), Cedar every role the user holds,
//! inherited ones included (SECURITY.md, known limit 32).

use std::path::Path;
use std::sync::LazyLock;

use auth_core::cedar::{Cedar, CedarEntity, CedarError, CedarFields, CedarFile, Parents, Record};
use auth_core::filter::Filter;
use auth_core::rbac::RoleTable;
use auth_core::{Action, Authenticated, Decision, Outcome};

use crate::domain::{Delete, Order, Read, Refund, User};

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

/// Why the order rules' Cedar files are refused at start.
#[derive(Debug, thiserror::Error)]
pub enum CedarRulesError {
    /// A file is unreadable, or fails to parse or validate (each problem at
    /// its file, line and column).
    #[error(
        "ORDERS_API_CEDAR_POLICIES / ORDERS_API_CEDAR_SCHEMA: the cedar policy set is refused:\n{0}"
    )]
    Load(#[from] CedarError),
    /// The files load, but Cedar cannot answer one of the service's questions
    /// with them (an action the schema lacks, a residual with no SQL filter).
    #[error(
        "ORDERS_API_CEDAR_POLICIES / ORDERS_API_CEDAR_SCHEMA: the cedar policy set cannot \
         decide `{action}` on an order: {why}"
    )]
    Unanswerable {
        /// The action's name (`orders.read`).
        action: &'static str,
        /// What went wrong.
        why: String,
    },
}

/// The policy set of `policies` and its schema `schema` when both are given,
/// else the built-in one; then asked each of the service's questions once,
/// so a policy set that cannot answer them stops the start rather than
/// answering 503 to every request.
///
/// # Errors
/// [`CedarRulesError`], naming the file and line, or the question.
pub fn load(files: Option<(&Path, &Path)>, roles: &RoleTable) -> Result<Cedar, CedarRulesError> {
    let cedar = match files {
        None => engine()?,
        Some((policies, schema)) => Cedar::from_files(policies, schema)?,
    };
    probe(&cedar, roles)?;
    Ok(cedar)
}

/// Asks `cedar` each question of the service for a user of no role and of
/// each role of `table`: a read and a delete list (which must become SQL
/// filters) and a refund decision (which must not be unavailable).
fn probe(cedar: &Cedar, table: &RoleTable) -> Result<(), CedarRulesError> {
    let roles = std::iter::once(None).chain(table.roles().map(|role| Some(role.name())));
    let order = Order {
        id: 1,
        owner_id: 1,
        item: String::new(),
        amount: 100,
        region: "eu".to_owned(),
        created_at: Some(0),
        refunded_at: None,
    };
    let mut context = Record::new();
    context.long("now", 0);
    for role in roles {
        let held: Vec<String> = role.iter().map(|role| (*role).to_owned()).collect();
        let Ok(grants) = table.grants(&held) else {
            continue;
        };
        let user = User {
            id: 1,
            email: String::new(),
            roles: held,
            plan: String::new(),
            region: "eu".to_owned(),
            guest: None,
            grants,
        };
        let unanswerable =
            |action: &'static str, why: String| CedarRulesError::Unanswerable { action, why };
        cedar
            .filter(&user, Read, &context, &FIELDS)
            .map_err(|error| unanswerable(<Read as Action>::NAME, error.to_string()))?;
        cedar
            .filter(&user, Delete, &context, &FIELDS)
            .map_err(|error| unanswerable(<Delete as Action>::NAME, error.to_string()))?;
        if cedar.decide(&user, Refund, &order, &context).outcome() == Outcome::Unavailable {
            return Err(unanswerable(
                <Refund as Action>::NAME,
                "the decision is unavailable (see the error logged above)".to_owned(),
            ));
        }
    }
    Ok(())
}

/// The order's attributes that a list's filter may read, and their columns.
/// `created_at` is optional in the schema, so it has no column here: a read or
/// delete rule on it cannot become a filter, and [`load`] refuses it.
pub static FIELDS: LazyLock<CedarFields<Order>> = LazyLock::new(|| {
    CedarFields::new()
        .id_int(Order::ID)
        .int("owner_id", Order::OWNER_ID)
        .int("amount", Order::AMOUNT)
        .text("region", Order::REGION)
});

/// Every order `user` may `action` (read, delete), as Cedar's partial
/// evaluation gives it: the filter of the policy's list query and of its
/// single decisions, carrying the policies it comes from as evidence. A
/// Cedar that cannot answer gives [`Filter::unavailable`]: a 503.
pub fn filter<A: Action>(cedar: &Cedar, user: &Authenticated<User>, action: A) -> Filter<Order> {
    cedar
        .filter(&**user, action, &context(user), &FIELDS)
        .unwrap_or_else(|refused| refused.to_filter())
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
    let mut context = Record::new();
    context.long("now", crate::policy::request_time(user));
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
