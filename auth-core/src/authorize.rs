//! The one evaluation path: from a principal, gates and policies to permits.
//!
//! [`#[requires]`](crate::requires) expands to calls of [`Gatekeeper`]; explicit
//! checks in a function body call the `authorize*` methods of [`Authenticated`].
//! Both record the decision in the audit log and mint the [`Permit`] in one place.

use std::fmt;

use crate::audit::{self, Subject};
use crate::inventory::HandlerInfo;
use crate::{Action, AsyncPolicy, AuthError, Authenticated, Decision, Permit, Policy, Resource};

/// Where a policy was asked: in a function body, or by gate number `.1` of a
/// handler. Looked up only when the decision is audited.
#[derive(Clone, Copy)]
enum Site {
    Body,
    Gate(&'static HandlerInfo, usize),
}

/// Records `decision` and turns it into a permit for `resource`, or the error.
#[allow(
    clippy::inline_always,
    reason = "measured: inlined, an allowed decision is never built in memory"
)]
#[inline(always)]
fn conclude<A, R, U>(
    principal: &Authenticated<U>,
    site: Site,
    resource: R,
    decision: Decision,
) -> Result<Permit<A, R>, AuthError>
where
    A: Action,
    R: Resource,
{
    audit::decision(
        &decision,
        || {
            let (handler, rule) = match site {
                Site::Body => ("", A::NAME),
                Site::Gate(handler, gate) => (handler.name(), handler.gate(gate)),
            };
            Subject {
                principal: principal.subject(),
                handler,
                rule,
                action: A::NAME,
                resource_kind: R::KIND,
            }
        },
        || resource.id(),
    );
    decision.into_result().map(|()| Permit::new(resource))
}

impl<U> Authenticated<U> {
    /// Asks policy `A` whether this principal may perform `A` on `resource`, and
    /// returns the permit that proves it.
    ///
    /// Call it right after loading a resource by id; the permit then carries that
    /// very value to the data layer.
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use auth_core::{Action, AuthError, Authenticated, Decision, Identity, Mechanism, Permit, Policy, Resource};
    ///
    /// #[derive(Action)]
    /// struct Delete;
    /// struct Order { id: u64, owner: String }
    /// impl Resource for Order {
    ///     const KIND: &'static str = "order";
    ///     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
    /// }
    /// impl Policy<Order, ()> for Delete {
    ///     fn decide(user: &Authenticated<()>, order: &Order, _: &()) -> Decision {
    ///         Decision::allow_if(order.owner == user.subject(), "owner", "not the owner")
    ///     }
    /// }
    ///
    /// let alice = Authenticated::for_testing(Identity::new((), "alice", Mechanism::Test));
    /// let permit: Permit<Delete, Order> = alice.authorize(Order { id: 1, owner: "alice".into() })?;
    /// assert_eq!(permit.id, 1);
    ///
    /// let denied = alice.authorize::<Delete, _>(Order { id: 2, owner: "bob".into() });
    /// assert!(matches!(denied, Err(AuthError::Forbidden { .. })));
    /// # }
    /// # Ok::<(), auth_core::AuthError>(())
    /// ```
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] when the policy denies, [`AuthError::NotFound`] when
    /// it hides the resource, [`AuthError::InsufficientScope`] when a scope is missing.
    pub fn authorize<A, R>(&self, resource: R) -> Result<Permit<A, R>, AuthError>
    where
        A: Policy<R, U>,
        R: Resource,
    {
        self.authorize_with::<A, R, ()>(resource, &())
    }

    /// Like [`authorize`](Self::authorize), for a policy that reads `state`.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] when the policy denies, [`AuthError::NotFound`] when
    /// it hides the resource, [`AuthError::InsufficientScope`] when a scope is missing.
    pub fn authorize_with<A, R, S>(&self, resource: R, state: &S) -> Result<Permit<A, R>, AuthError>
    where
        A: Policy<R, U, S>,
        R: Resource,
    {
        let decision = <A as Policy<R, U, S>>::decide(self, &resource, state);
        conclude(self, Site::Body, resource, decision)
    }

    /// Like [`authorize_with`](Self::authorize_with), for a policy that awaits
    /// (pass `&()` when it reads no state).
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] when the policy denies, [`AuthError::NotFound`] when
    /// it hides the resource, [`AuthError::InsufficientScope`] when a scope is missing.
    pub async fn authorize_async<A, R, S>(
        &self,
        resource: R,
        state: &S,
    ) -> Result<Permit<A, R>, AuthError>
    where
        A: AsyncPolicy<R, U, S>,
        R: Resource,
    {
        let decision = <A as AsyncPolicy<R, U, S>>::decide(self, &resource, state).await;
        conclude(self, Site::Body, resource, decision)
    }

    /// Authorizes each row of a list and keeps the permitted ones, in order.
    ///
    /// Lists go through the same policy as single objects, so a listing cannot
    /// drift from the rule for one object (no second, hand-written `WHERE`).
    /// Rows that are denied are dropped; each decision is audited.
    pub fn filter_authorized<A, R, S>(
        &self,
        rows: impl IntoIterator<Item = R>,
        state: &S,
    ) -> Vec<Permit<A, R>>
    where
        A: Policy<R, U, S>,
        R: Resource,
    {
        rows.into_iter()
            .filter_map(|row| self.authorize_with::<A, R, S>(row, state).ok())
            .collect()
    }
}

/// Evaluates the gates of one handler for one principal, in order, recording each
/// decision against the handler's [`HandlerInfo`].
///
/// This is what [`#[requires]`](crate::requires) expands to; hand-written code can
/// use it the same way. It is public and grants nothing a caller could not get
/// from the policies themselves.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use auth_core::{gate, Authenticated, Gatekeeper, Identity, Mechanism, Scopes};
/// use auth_core::inventory::HandlerInfo;
///
/// static HANDLER: HandlerInfo =
///     HandlerInfo::guarded("export", module_path!(), file!(), line!(), &[r#"scope("export")"#]);
///
/// let user = Authenticated::for_testing(
///     Identity::new((), "1", Mechanism::Test).scopes(Scopes::from_space_separated("export")),
/// );
/// let gatekeeper = Gatekeeper::new(&user, &HANDLER);
/// gatekeeper.check(0, gate::scope(gatekeeper.principal(), "export"))?;
/// let _clearance = gatekeeper.clear();
/// # }
/// # Ok::<(), auth_core::AuthError>(())
/// ```
pub struct Gatekeeper<'p, U> {
    principal: &'p Authenticated<U>,
    handler: &'static HandlerInfo,
}

impl<'p, U> Gatekeeper<'p, U> {
    /// Starts checking `handler`'s gates for `principal`.
    pub fn new(principal: &'p Authenticated<U>, handler: &'static HandlerInfo) -> Self {
        Gatekeeper { principal, handler }
    }

    /// The principal being checked.
    pub fn principal(&self) -> &'p Authenticated<U> {
        self.principal
    }

    /// Records the decision of function-level gate number `gate` (an index into
    /// [`HandlerInfo::gates`]).
    ///
    /// # Errors
    /// The error the denial maps to ([`Decision::into_result`]).
    #[allow(
        clippy::inline_always,
        reason = "measured: inlined, an allowed decision is never built in memory"
    )]
    #[inline(always)]
    pub fn check(&self, gate: usize, decision: Decision) -> Result<(), AuthError> {
        audit::decision(
            &decision,
            || Subject {
                principal: self.principal.subject(),
                handler: self.handler.name(),
                rule: self.handler.gate(gate),
                action: "call",
                resource_kind: "handler",
            },
            || QualifiedName(self.handler),
        );
        decision.into_result()
    }

    /// Starts resource gate number `gate`: a policy will decide about `resource`,
    /// reading `state` (`&()` when it reads none). Name the action next, with
    /// [`ResourceCheck::authorize`] or [`ResourceCheck::authorize_async`].
    ///
    /// The resource and state are fixed before the action is named, so a missing
    /// policy is reported for these exact types.
    pub fn resource<'a, R, S>(
        &'a self,
        gate: usize,
        resource: R,
        state: &'a S,
    ) -> ResourceCheck<'a, U, R, S> {
        ResourceCheck {
            principal: self.principal,
            handler: self.handler,
            gate,
            resource,
            state,
        }
    }

    /// Ends the checks: every gate allowed.
    pub fn clear(self) -> Clearance {
        Clearance { _private: () }
    }
}

/// One resource gate of a [`Gatekeeper`], waiting for its action.
#[must_use = "a resource check does nothing until `authorize` runs the policy"]
pub struct ResourceCheck<'a, U, R, S> {
    principal: &'a Authenticated<U>,
    handler: &'static HandlerInfo,
    gate: usize,
    resource: R,
    state: &'a S,
}

impl<U, R, S> ResourceCheck<'_, U, R, S> {
    /// Runs policy `A` and returns the permit.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] when the policy denies, [`AuthError::NotFound`] when
    /// it hides the resource, [`AuthError::InsufficientScope`] when a scope is missing.
    pub fn authorize<A>(self) -> Result<Permit<A, R>, AuthError>
    where
        R: Resource,
        A: Action + Policy<R, U, S>,
    {
        let decision = <A as Policy<R, U, S>>::decide(self.principal, &self.resource, self.state);
        conclude(
            self.principal,
            Site::Gate(self.handler, self.gate),
            self.resource,
            decision,
        )
    }

    /// Runs policy `A`, which may await, and returns the permit.
    ///
    /// # Errors
    /// As [`authorize`](Self::authorize).
    pub async fn authorize_async<A>(self) -> Result<Permit<A, R>, AuthError>
    where
        R: Resource,
        A: Action + AsyncPolicy<R, U, S>,
    {
        let decision =
            <A as AsyncPolicy<R, U, S>>::decide(self.principal, &self.resource, self.state).await;
        conclude(
            self.principal,
            Site::Gate(self.handler, self.gate),
            self.resource,
            decision,
        )
    }
}

struct QualifiedName(&'static HandlerInfo);

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.0.module(), self.0.name())
    }
}

/// Evidence that a [`Gatekeeper`] ran every gate of a handler and each allowed.
/// [`Guarded::new`](crate::Guarded::new) asks for it.
#[derive(Debug)]
#[must_use]
pub struct Clearance {
    _private: (),
}
