//! The service's data: users, orders, products, and the actions on orders.

use auth_core::filter::Field;
use auth_core::limit::HasPlan;
use auth_core::rbac::{Grants, RoleName as _};
use auth_core::{Action, HasPermissions, HasRoles, Resource};
use serde::{Deserialize, Serialize};

/// A user, as the database knows them *now*. The service re-reads the user on
/// every request, so roles never come from a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The user id; the `sub` of their tokens.
    pub id: i64,
    /// Their sign-in email.
    pub email: String,
    /// Their roles, e.g. `customer`, `admin`.
    pub roles: Vec<String>,
    /// Their plan tier, `free` or `pro`: what the plan gate on `GET /orders`
    /// counts them against (`ORDERS_API_PLAN_FREE`, `ORDERS_API_PLAN_PRO`). A
    /// guest's is `free`.
    pub plan: String,
    /// Where they work or buy, e.g. `eu`, `us`: a manager refunds orders of
    /// their own region ([`crate::policy`]). A guest's is empty, no region.
    pub region: String,
    /// For a guest (`POST /auth/guest`): its subject, `guest:<random>`; such a
    /// principal has id 0, no email and no roles. `None` for every user of the
    /// database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest: Option<String>,
    /// What `roles` grant, inheritance included, resolved through the roles file
    /// when the user is loaded for a request
    /// ([`UserStore`](crate::service::UserStore)); nothing until then. The
    /// `role(..)` and `permission(..)` gates read it.
    #[serde(skip)]
    pub grants: Grants,
}

impl HasRoles for User {
    fn has_role(&self, role: &str) -> bool {
        self.grants.has_role(role)
    }
}

impl HasPermissions for User {
    fn has_permission(&self, permission: &str) -> bool {
        self.grants.has_permission(permission)
    }
}

impl HasPlan for User {
    fn plan(&self) -> &str {
        &self.plan
    }
}

/// The plan of a new user, and the column's default.
pub const FREE_PLAN: &str = "free";
/// The paid plan (bob's, seeded).
pub const PRO_PLAN: &str = "pro";

/// The administrator role. The service refuses to demote the last user who has it.
pub const ADMIN_ROLE: &str = crate::access::roles::Admin::NAME;
/// The canonical subject: the id in decimal, as the service writes it into
/// `sub`. A token spelled otherwise (`"01"`, `"+1"`) is refused by the
/// authenticator, so it cannot dodge a revocation keyed on `"1"`.
impl auth_core::jwt::HasSubject for User {
    fn canonical_subject(&self) -> std::borrow::Cow<'_, str> {
        match &self.guest {
            Some(subject) => std::borrow::Cow::Borrowed(subject),
            None => std::borrow::Cow::Owned(self.id.to_string()),
        }
    }
}

impl User {
    /// The principal of a guest token: no id, no email, no roles.
    pub fn guest(subject: &str) -> Self {
        User {
            id: 0,
            email: String::new(),
            roles: Vec::new(),
            plan: FREE_PLAN.to_owned(),
            region: String::new(),
            guest: Some(subject.to_owned()),
            grants: Grants::default(),
        }
    }

    /// Whether the user holds the administrator role, as stored (no role
    /// inherits it).
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|role| role == ADMIN_ROLE)
    }
}

/// An order, owned by one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// Order id.
    pub id: i64,
    /// The owner's user id.
    pub owner_id: i64,
    /// What was ordered.
    pub item: String,
    /// The amount, in cents.
    pub amount: i64,
    /// The region it was placed in: its owner's when it was placed.
    pub region: String,
    /// When it was placed (Unix seconds); absent for an order of a database
    /// made before the column existed, whose age is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// When it was refunded (Unix seconds); absent until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<i64>,
}

impl Order {
    /// The most a manager refunds, exclusive: 500.00, in cents. An order of
    /// this amount or more is refunded by nobody through the API.
    pub const REFUND_LIMIT_CENTS: i64 = 50_000;
    /// How long after it was placed an order may be refunded: 30 days, in
    /// seconds, measured at the request's time (`user.context().at()`).
    pub const REFUND_WINDOW_SECS: i64 = 30 * 24 * 60 * 60;

    /// The `owner_id` column, for the rules' filters ([`crate::policy`]).
    pub const OWNER_ID: Field<Order, i64> = Field::int("owner_id", |order| order.owner_id);
    /// The `id` column.
    pub const ID: Field<Order, i64> = Field::int("id", |order| order.id);
    /// The `amount` column, in cents.
    pub const AMOUNT: Field<Order, i64> = Field::int("amount", |order| order.amount);
    /// The `region` column.
    pub const REGION: Field<Order, str> = Field::text("region", |order| &order.region);
}

impl Resource for Order {
    const KIND: &'static str = "order";

    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

/// A new order, as a client sends it. Unknown fields (such as `owner_id`) are
/// rejected, never honoured: the owner is the caller.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// What to order.
    pub item: String,
    /// The amount, in cents.
    pub amount: i64,
}

/// A product of the public catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    /// Product id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its price, in cents.
    pub price: i64,
}

/// Read an order.
#[derive(Action)]
#[action(name = "orders.read")]
pub struct Read;

/// Delete an order.
#[derive(Action)]
#[action(name = "orders.delete")]
pub struct Delete;

/// Refund an order (`POST /orders/{id}/refund`): a manager's, under
/// [`Order::REFUND_LIMIT_CENTS`] in their own region ([`crate::policy`]).
#[derive(Action)]
#[action(name = "orders.refund")]
pub struct Refund;
