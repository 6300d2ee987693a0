//! Policies: who may perform an action on a resource.

use std::future::Future;

use crate::{Action, Authenticated, Decision};

/// Decides whether a principal `U` may perform the action `Self` on a resource
/// `R`, using state `S` (a role table, a database handle; `()` when none).
///
/// The action is `Self`, so each action states its own rule, and a gate for an
/// action with no rule is a compile error. Resource gates
/// ([`#[requires(Update(order))]`](crate::requires)) and explicit calls
/// ([`Authenticated::authorize`]) both end here: one evaluation path.
///
/// ```
/// use auth_core::{Action, Authenticated, Decision, Policy, Resource};
///
/// #[derive(Action)]
/// struct Update;
///
/// struct User { id: u64, admin: bool }
/// struct Order { id: u64, owner_id: u64 }
/// # impl Resource for Order {
/// #     const KIND: &'static str = "order";
/// #     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
/// # }
///
/// impl Policy<Order, User> for Update {
///     fn decide(user: &Authenticated<User>, order: &Order, _: &()) -> Decision {
///         if user.admin {
///             Decision::allow("admin")
///         } else if order.owner_id == user.id {
///             Decision::allow("owner")
///         } else {
///             Decision::deny("not the owner")
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "no policy says who may `{Self}` a `{R}`",
    label = "`{Self}` has no policy for `{R}`",
    note = "write the rule: `impl auth_core::Policy<{R}, {U}, {S}> for {Self} {{ fn decide(..) -> Decision {{ .. }} }}`",
    note = "a policy that must await (a database, a store) implements `auth_core::AsyncPolicy` and needs an `async fn` handler"
)]
pub trait Policy<R, U, S = ()>: Action {
    /// The decision for `principal` performing `Self` on `resource`.
    fn decide(principal: &Authenticated<U>, resource: &R, state: &S) -> Decision;
}

/// A [`Policy`] that may await: it queries a store, a database, a remote service.
///
/// Every [`Policy`] is also an `AsyncPolicy`, so `async fn` handlers accept both.
///
/// ```
/// use auth_core::{Action, AsyncPolicy, Authenticated, Decision};
/// # use auth_core::Resource;
///
/// #[derive(Action)]
/// struct Approve;
/// struct Invoice { id: u64 }
/// # impl Resource for Invoice {
/// #     const KIND: &'static str = "invoice";
/// #     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
/// # }
/// struct Limits; // a handle to a store
/// impl Limits {
///     async fn within_limit(&self, _user: &str, _invoice: u64) -> bool { true }
/// }
///
/// impl AsyncPolicy<Invoice, String, Limits> for Approve {
///     async fn decide(user: &Authenticated<String>, invoice: &Invoice, limits: &Limits) -> Decision {
///         let ok = limits.within_limit(user.subject(), invoice.id).await;
///         Decision::allow_if(ok, "within approval limit", "over approval limit")
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "no policy says who may `{Self}` a `{R}`",
    label = "`{Self}` has no policy for `{R}`",
    note = "write the rule: `impl auth_core::Policy<{R}, {U}, {S}> for {Self} {{ fn decide(..) -> Decision {{ .. }} }}` (or `AsyncPolicy` if it must await)"
)]
pub trait AsyncPolicy<R, U, S = ()>: Action {
    /// The decision for `principal` performing `Self` on `resource`.
    fn decide(
        principal: &Authenticated<U>,
        resource: &R,
        state: &S,
    ) -> impl Future<Output = Decision> + Send;
}

impl<A, R, U, S> AsyncPolicy<R, U, S> for A
where
    A: Policy<R, U, S>,
{
    fn decide(
        principal: &Authenticated<U>,
        resource: &R,
        state: &S,
    ) -> impl Future<Output = Decision> + Send {
        std::future::ready(<A as Policy<R, U, S>>::decide(principal, resource, state))
    }
}

/// A principal with roles, for the [`role`](crate::gate::role) gate.
///
/// ```
/// use auth_core::HasRoles;
///
/// struct User { roles: Vec<String> }
///
/// impl HasRoles for User {
///     fn has_role(&self, role: &str) -> bool {
///         self.roles.iter().any(|r| r == role)
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no roles, so a `role(..)` gate cannot check it",
    label = "the principal type of this handler",
    note = "implement `auth_core::HasRoles` for `{Self}`, reading roles from a verified source"
)]
pub trait HasRoles {
    /// Whether the principal holds `role`.
    fn has_role(&self, role: &str) -> bool;
}

/// A principal with fine-grained permissions, for the
/// [`permission`](crate::gate::permission) gate.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no permissions, so a `permission(..)` gate cannot check it",
    label = "the principal type of this handler",
    note = "implement `auth_core::HasPermissions` for `{Self}`"
)]
pub trait HasPermissions {
    /// Whether the principal holds `permission`.
    fn has_permission(&self, permission: &str) -> bool;
}

impl<T: HasRoles + ?Sized> HasRoles for &T {
    fn has_role(&self, role: &str) -> bool {
        (**self).has_role(role)
    }
}

impl<T: HasPermissions + ?Sized> HasPermissions for &T {
    fn has_permission(&self, permission: &str) -> bool {
        (**self).has_permission(permission)
    }
}
