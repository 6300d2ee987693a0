//! Policies: who may perform an action on a resource.

use std::future::Future;

use crate::{Action, Authenticated, Decision};

/// Decides whether a principal may perform the action `Self` on a resource `R`.
///
/// The action is `Self` and the resource is the trait's parameter, so there is at
/// most one policy per (action, resource) pair in a program, and only the crate
/// that owns the action or the resource can write it (Rust's orphan rules): no
/// other crate can add a second rule that mints permits for your types. The
/// policy names the principal type it decides for ([`Principal`](Self::Principal))
/// and the state it reads ([`State`](Self::State): a role table, a database
/// handle; `()` when none), so a permit for `R` always comes from this rule, for
/// this kind of principal.
///
/// Resource gates ([`#[requires(Update(order))]`](crate::requires)) and explicit
/// calls ([`Authenticated::authorize`]) both end here: one evaluation path. A gate
/// for an action with no policy is a compile error.
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
/// impl Policy<Order> for Update {
///     type Principal = User;
///     type State = ();
///
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
///
/// A policy that cannot decide because something it reads did not answer returns
/// [`Decision::unavailable`]: a 503, never an allow.
#[diagnostic::on_unimplemented(
    message = "no policy says who may `{Self}` a `{R}`",
    label = "`{Self}` has no policy for `{R}`",
    note = "write the rule where `{Self}` or `{R}` is defined: `impl auth_core::Policy<{R}> for {Self} {{ type Principal = ..; type State = ..; fn decide(..) -> Decision {{ .. }} }}` (or `impl auth_core::FilterPolicy<{R}> for {Self}` when the rule is a filter over the fields of `{R}`, which also answers lists)",
    note = "a policy that must await (a database, a store) implements `auth_core::AsyncPolicy` and needs an `async fn` handler"
)]
pub trait Policy<R: ?Sized>: Action {
    /// The principal type the rule decides for, e.g. your `User`.
    type Principal;
    /// What the rule reads besides the principal and the resource; `()` for
    /// nothing. A `#[requires]` handler passes it with `state = ..`.
    type State: ?Sized;

    /// Whether the rule decides for guests
    /// ([`Mechanism::Guest`](crate::Mechanism::Guest)) at all. `false` unless set:
    /// a guest is then denied (403) without `decide` running, wherever the policy
    /// is asked (a resource gate, [`Authenticated::authorize`], a filter), so a
    /// rule written for users never meets a guest by accident.
    const GUESTS: bool = false;

    /// Whether the rule is decided once per request for the same resource:
    /// when it is asked again (a resource gate and a call in the body, a
    /// permit for each row of a list), the first decision answers. `false`
    /// unless set. Set it for a rule that is costly (it queries a remote
    /// engine) and whose answer depends only on the principal, the resource's
    /// [id](crate::Resource::id) and the state: a request that changes the
    /// resource and asks again gets the first answer. The memo is keyed by the
    /// action type, the resource type's name and `KIND`, the id and the state's
    /// *address*; it never keeps an unavailable or rate-limited decision, and
    /// lives as long as the request's principal. So set it only when
    /// [`Resource::id`](crate::Resource::id) names one resource of its type
    /// (not an id unique only within a parent, such as a comment number per
    /// post), when the state does not change during the request, and when no
    /// two resource types of the program share a name and `KIND` (two versions
    /// of one crate could).
    const MEMO: bool = false;

    /// The decision for `principal` performing `Self` on `resource`.
    fn decide(
        principal: &Authenticated<Self::Principal>,
        resource: &R,
        state: &Self::State,
    ) -> Decision;
}

/// A [`Policy`] that may await: it queries a store, a database, a remote service.
///
/// Every [`Policy`] is also an `AsyncPolicy`, so `async fn` handlers accept both;
/// an action has one or the other for a given resource, never both. When the
/// store does not answer, return [`Decision::unavailable`]: a 503, never an allow.
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
///     async fn within_limit(&self, _user: &str, _invoice: u64) -> Result<bool, std::io::Error> { Ok(true) }
/// }
///
/// impl AsyncPolicy<Invoice> for Approve {
///     type Principal = String;
///     type State = Limits;
///
///     async fn decide(user: &Authenticated<String>, invoice: &Invoice, limits: &Limits) -> Decision {
///         match limits.within_limit(user.subject(), invoice.id).await {
///             Ok(ok) => Decision::allow_if(ok, "within approval limit", "over approval limit"),
///             Err(_) => Decision::unavailable("limits store", None),
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "no policy says who may `{Self}` a `{R}`",
    label = "`{Self}` has no policy for `{R}`",
    note = "write the rule where `{Self}` or `{R}` is defined: `impl auth_core::Policy<{R}> for {Self} {{ type Principal = ..; type State = ..; fn decide(..) -> Decision {{ .. }} }}` (or `AsyncPolicy` if it must await, or `FilterPolicy` when the rule is a filter over the fields of `{R}`)"
)]
pub trait AsyncPolicy<R: ?Sized>: Action {
    /// The principal type the rule decides for.
    type Principal;
    /// What the rule reads besides the principal and the resource; `()` for nothing.
    type State: ?Sized;

    /// Whether the rule decides for guests at all; see [`Policy::GUESTS`].
    const GUESTS: bool = false;

    /// Whether the rule is decided once per request for the same resource;
    /// see [`Policy::MEMO`].
    const MEMO: bool = false;

    /// The decision for `principal` performing `Self` on `resource`.
    fn decide(
        principal: &Authenticated<Self::Principal>,
        resource: &R,
        state: &Self::State,
    ) -> impl Future<Output = Decision> + Send;
}

impl<A, R> AsyncPolicy<R> for A
where
    A: Policy<R>,
    R: ?Sized,
{
    type Principal = A::Principal;
    type State = A::State;
    const GUESTS: bool = <A as Policy<R>>::GUESTS;
    const MEMO: bool = <A as Policy<R>>::MEMO;

    fn decide(
        principal: &Authenticated<Self::Principal>,
        resource: &R,
        state: &Self::State,
    ) -> impl Future<Output = Decision> + Send {
        std::future::ready(<A as Policy<R>>::decide(principal, resource, state))
    }
}

/// The policy of `Self` on `R`, for principal `U` reading state `S`: what a
/// resource gate of a `#[requires]` handler asks for. Implemented for every
/// [`Policy`] with that principal and state; never implement it yourself.
#[diagnostic::on_unimplemented(
    message = "no policy lets a `{U}` `{Self}` a `{R}` reading `{S}`",
    label = "`{Self}` has no policy for `{R}` with this principal and state",
    note = "write the rule where `{Self}` or `{R}` is defined: `impl auth_core::Policy<{R}> for {Self} {{ type Principal = {U}; type State = {S}; fn decide(..) -> Decision {{ .. }} }}` (or `FilterPolicy` when the rule is a filter over the fields of `{R}`)",
    note = "if the rule exists, its `Principal` or `State` differs from this handler's: the handler's principal is `Authenticated<{U}>`, and its state (`state = ..`, or `()` without one) is `{S}`",
    note = "a policy that must await (a database, a store) implements `auth_core::AsyncPolicy` and needs an `async fn` handler"
)]
pub trait PolicyFor<R: ?Sized, U, S: ?Sized>: Action + sealed::Sync<R, U, S> {
    /// [`Policy::MEMO`].
    #[doc(hidden)]
    const MEMO: bool;

    /// Runs the policy.
    #[doc(hidden)]
    fn decide_for(principal: &Authenticated<U>, resource: &R, state: &S) -> Decision;
}

impl<A, R> PolicyFor<R, A::Principal, A::State> for A
where
    A: Policy<R>,
    R: ?Sized,
{
    const MEMO: bool = <A as Policy<R>>::MEMO;

    #[inline]
    fn decide_for(
        principal: &Authenticated<A::Principal>,
        resource: &R,
        state: &A::State,
    ) -> Decision {
        if refuses_guest(principal, <A as Policy<R>>::GUESTS) {
            return guest_refused();
        }
        <A as Policy<R>>::decide(principal, resource, state)
    }
}

/// The [`AsyncPolicy`] of `Self` on `R`, for principal `U` reading state `S`: what a
/// resource gate of an `async` `#[requires]` handler asks for. Never implement it
/// yourself.
#[diagnostic::on_unimplemented(
    message = "no policy lets a `{U}` `{Self}` a `{R}` reading `{S}`",
    label = "`{Self}` has no policy for `{R}` with this principal and state",
    note = "write the rule where `{Self}` or `{R}` is defined: `impl auth_core::Policy<{R}> for {Self} {{ type Principal = {U}; type State = {S}; fn decide(..) -> Decision {{ .. }} }}` (or `AsyncPolicy` if it must await, or `FilterPolicy` when the rule is a filter over the fields of `{R}`)",
    note = "if the rule exists, its `Principal` or `State` differs from this handler's: the handler's principal is `Authenticated<{U}>`, and its state (`state = ..`, or `()` without one) is `{S}`"
)]
pub trait AsyncPolicyFor<R: ?Sized, U, S: ?Sized>: Action + sealed::Async<R, U, S> {
    /// [`AsyncPolicy::GUESTS`]: callers refuse a guest before building the
    /// policy's future, so the allow path awaits the policy and nothing else.
    #[doc(hidden)]
    const GUESTS: bool;

    /// [`AsyncPolicy::MEMO`].
    #[doc(hidden)]
    const MEMO: bool;

    /// Runs the policy (for a guest only when [`GUESTS`](Self::GUESTS)).
    #[doc(hidden)]
    fn decide_for(
        principal: &Authenticated<U>,
        resource: &R,
        state: &S,
    ) -> impl Future<Output = Decision> + Send;
}

impl<A, R> AsyncPolicyFor<R, A::Principal, A::State> for A
where
    A: AsyncPolicy<R>,
    R: ?Sized,
{
    const GUESTS: bool = <A as AsyncPolicy<R>>::GUESTS;
    const MEMO: bool = <A as AsyncPolicy<R>>::MEMO;

    #[inline]
    fn decide_for(
        principal: &Authenticated<A::Principal>,
        resource: &R,
        state: &A::State,
    ) -> impl Future<Output = Decision> + Send {
        <A as AsyncPolicy<R>>::decide(principal, resource, state)
    }
}

/// Whether a policy that does not decide for guests is asked about one.
#[inline]
pub(crate) fn refuses_guest<U>(principal: &Authenticated<U>, guests: bool) -> bool {
    !guests && principal.info().mechanism() == crate::Mechanism::Guest
}

#[cold]
pub(crate) fn guest_refused() -> Decision {
    Decision::deny("the policy does not decide for guests (`Policy::GUESTS` is false)")
}

mod sealed {
    //! `PolicyFor` and `AsyncPolicyFor` are views of `Policy` and `AsyncPolicy`,
    //! not a second way to write a rule: their supertraits hold for exactly the
    //! principal and state a written policy names, and no other crate can name
    //! them to add more.

    use crate::{AsyncPolicy, Policy};

    pub trait Sync<R: ?Sized, U, S: ?Sized> {}

    impl<A: Policy<R>, R: ?Sized> Sync<R, A::Principal, A::State> for A {}

    pub trait Async<R: ?Sized, U, S: ?Sized> {}

    impl<A: AsyncPolicy<R>, R: ?Sized> Async<R, A::Principal, A::State> for A {}
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
///
/// ```
/// use auth_core::{HasPermissions, requires, Authenticated};
///
/// struct User { permissions: Vec<String> }
///
/// impl HasPermissions for User {
///     fn has_permission(&self, permission: &str) -> bool {
///         self.permissions.iter().any(|p| p == permission)
///     }
/// }
///
/// #[requires(permission("orders.refund"))]
/// async fn refund(user: Authenticated<User>) -> &'static str {
///     "refunded"
/// }
/// ```
///
/// With a roles file (feature `rbac`), forward it to the user's
/// `rbac::Grants`, which resolves inheritance.
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
