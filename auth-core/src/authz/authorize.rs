//! The one evaluation path: from a principal, gates and policies to permits.
//!
//! [`#[requires]`](crate::requires) expands to calls of [`Gatekeeper`]; explicit
//! checks in a function body call the `authorize*` methods of [`Authenticated`].
//! Both record the decision in the audit log and mint the [`Permit`] in one place.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::audit::{self, Subject};
use crate::authz::guarded::Guarded;
use crate::authz::memo::{Memo, MemoKey};
use std::future::Future;

use crate::authz::load::{DecideOn, DecideOnAsync, LoadError};
use crate::authz::policy::{AsyncPolicyFor, PolicyFor};
use crate::authz::resource::{other_tenant, other_tenant_refused};
use crate::inventory::{Access, HandlerInfo};
use crate::mount::PublicCaller;
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
) -> Result<Permit<'_, A, R>, AuthError>
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
    decision
        .into_result()
        .map(|()| Permit::new(principal.info(), resource))
}

/// The decision of the policy of `A` on `resource`, on the one evaluation
/// path: another tenant's resource is refused before the policy runs, and a
/// memoized policy ([`Policy::MEMO`]) answers from the request's memo.
#[allow(
    clippy::inline_always,
    reason = "measured: inlined, the tenant and memo tests fold away for resources and policies without them"
)]
#[inline(always)]
pub(crate) fn decide<A, R, U, S>(principal: &Authenticated<U>, resource: &R, state: &S) -> Decision
where
    A: PolicyFor<R, U, S>,
    R: Resource,
    S: ?Sized,
{
    if other_tenant(principal.info(), resource) {
        return other_tenant_refused();
    }
    if !<A as PolicyFor<R, U, S>>::MEMO {
        return <A as PolicyFor<R, U, S>>::decide_for(principal, resource, state);
    }
    let memo = principal.info().memo();
    let key = Memo::key::<A, R, S>(resource, state);
    if let Some(decision) = memo.get(&key) {
        return decision;
    }
    let decision = <A as PolicyFor<R, U, S>>::decide_for(principal, resource, state);
    memo.put(key, &decision);
    decision
}

/// What `decide_async!` finds before an async policy runs.
pub(crate) enum BeforePolicy {
    /// Decided without the policy: another tenant's resource, a guest the
    /// policy does not decide for, or a memoized answer.
    Decided(Decision),
    /// The policy must run; its decision is kept under this key when the policy
    /// is memoized ([`Policy::MEMO`]). Boxed: it is held across the policy's
    /// `.await`, and unboxed it made every resource gate's future 64 bytes
    /// larger, memoized or not.
    Run(Option<Box<MemoKey>>),
}

/// The checks [`decide`] makes, for a policy that may await: another tenant's
/// resource is refused and a guest the policy does not decide for is refused,
/// both before the policy's future is built, and a memoized policy answers from
/// the request's memo.
#[allow(
    clippy::inline_always,
    reason = "measured: inlined, the tenant, guest and memo tests fold away for resources and policies without them"
)]
#[inline(always)]
pub(crate) fn before_async<A, R, U, S>(
    principal: &Authenticated<U>,
    resource: &R,
    state: &S,
) -> BeforePolicy
where
    A: AsyncPolicyFor<R, U, S>,
    R: Resource,
    S: ?Sized,
{
    if other_tenant(principal.info(), resource) {
        return BeforePolicy::Decided(other_tenant_refused());
    }
    if crate::authz::policy::refuses_guest(principal, <A as AsyncPolicyFor<R, U, S>>::GUESTS) {
        return BeforePolicy::Decided(crate::authz::policy::guest_refused());
    }
    if !<A as AsyncPolicyFor<R, U, S>>::MEMO {
        return BeforePolicy::Run(None);
    }
    let key = Memo::key::<A, R, S>(resource, state);
    match principal.info().memo().get(&key) {
        Some(decision) => BeforePolicy::Decided(decision),
        None => BeforePolicy::Run(Some(Box::new(key))),
    }
}

/// [`decide`] for a policy that may await, written into the caller's own
/// future: [`before_async`], then the policy's future, awaited directly, then
/// the memo. Not an `async fn`: its future, nested in every resource gate's,
/// held the memo key across the `.await` (unboxed) and made a `Read(order)`
/// gate 9 instructions dearer, memoized or not (BENCHMARKS.md item 1).
macro_rules! decide_async {
    ($a:ty, $r:ty, $u:ty, $s:ty; $principal:expr, $resource:expr, $state:expr) => {{
        let (principal, resource, state) = ($principal, $resource, $state);
        match $crate::authz::authorize::before_async::<$a, $r, $u, $s>(principal, resource, state) {
            $crate::authz::authorize::BeforePolicy::Decided(decision) => decision,
            $crate::authz::authorize::BeforePolicy::Run(key) => {
                let decision =
                    <$a as $crate::authz::policy::AsyncPolicyFor<$r, $u, $s>>::decide_for(
                        principal, resource, state,
                    )
                    .await;
                if let Some(key) = key {
                    principal.info().memo().put(*key, &decision);
                }
                decision
            }
        }
    }};
}
// For `testing::PolicyTable`; this module calls it by its textual scope.
#[cfg(feature = "testing")]
pub(crate) use decide_async;

impl<U> Authenticated<U> {
    /// Asks the policy of `A` on `R` whether this principal may perform `A` on
    /// `resource`, and returns the permit that proves it.
    ///
    /// Call it right after loading a resource by id; the permit then carries that
    /// very value to the data layer, and borrows this principal.
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
    /// impl Policy<Order> for Delete {
    ///     type Principal = ();
    ///     type State = ();
    ///     fn decide(user: &Authenticated<()>, order: &Order, _: &()) -> Decision {
    ///         Decision::allow_if(order.owner == user.subject(), "owner", "not the owner")
    ///     }
    /// }
    ///
    /// let alice = Authenticated::for_testing(Identity::new((), "alice", Mechanism::Test));
    /// let permit: Permit<Delete, Order> = alice.authorize(Order { id: 1, owner: "alice".into() })?;
    /// assert_eq!(permit.id, 1);
    /// assert_eq!(permit.principal().subject(), "alice");
    ///
    /// let denied = alice.authorize::<Delete, _>(Order { id: 2, owner: "bob".into() });
    /// assert!(matches!(denied, Err(AuthError::Forbidden { .. })));
    /// # }
    /// # Ok::<(), auth_core::AuthError>(())
    /// ```
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] when the policy denies, [`AuthError::NotFound`] when
    /// it hides the resource, [`AuthError::InsufficientScope`] when a scope is
    /// missing, [`AuthError::Unavailable`] when it could not decide.
    pub fn authorize<A, R>(&self, resource: R) -> Result<Permit<'_, A, R>, AuthError>
    where
        A: Policy<R, Principal = U, State = ()>,
        R: Resource,
    {
        self.authorize_with::<A, R>(resource, &())
    }

    /// Like [`authorize`](Self::authorize), for a policy that reads `state`.
    ///
    /// # Errors
    /// As [`authorize`](Self::authorize).
    pub fn authorize_with<A, R>(
        &self,
        resource: R,
        state: &A::State,
    ) -> Result<Permit<'_, A, R>, AuthError>
    where
        A: Policy<R, Principal = U>,
        R: Resource,
    {
        let decision = decide::<A, R, U, A::State>(self, &resource, state);
        conclude(self, Site::Body, resource, decision)
    }

    /// Like [`authorize_with`](Self::authorize_with), for a policy that awaits
    /// (pass `&()` when it reads no state).
    ///
    /// # Errors
    /// As [`authorize`](Self::authorize).
    pub async fn authorize_async<A, R>(
        &self,
        resource: R,
        state: &A::State,
    ) -> Result<Permit<'_, A, R>, AuthError>
    where
        A: AsyncPolicy<R, Principal = U>,
        R: Resource,
    {
        let decision = decide_async!(A, R, U, A::State; self, &resource, state);
        conclude(self, Site::Body, resource, decision)
    }

    /// Authorizes each row of a list and keeps the permitted ones, in order.
    ///
    /// Lists go through the same policy as single objects, so a listing cannot
    /// drift from the rule for one object (no second, hand-written `WHERE`).
    /// Denied rows are dropped; each decision is audited.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the policy could not decide on a row: a
    /// list with rows silently missing is not an answer, so the whole list fails
    /// closed (503).
    pub fn filter_authorized<A, R>(
        &self,
        rows: impl IntoIterator<Item = R>,
        state: &A::State,
    ) -> Result<Vec<Permit<'_, A, R>>, AuthError>
    where
        A: Policy<R, Principal = U>,
        R: Resource,
    {
        let mut permitted = Vec::new();
        for row in rows {
            keep_permitted(&mut permitted, self.authorize_with::<A, R>(row, state))?;
        }
        Ok(permitted)
    }

    /// Like [`filter_authorized`](Self::filter_authorized), for a policy that
    /// awaits: each row is decided in turn, and a row it cannot decide fails the
    /// whole list.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the policy could not decide on a row.
    pub async fn filter_authorized_async<A, R>(
        &self,
        rows: impl IntoIterator<Item = R>,
        state: &A::State,
    ) -> Result<Vec<Permit<'_, A, R>>, AuthError>
    where
        A: AsyncPolicy<R, Principal = U>,
        R: Resource,
    {
        let mut permitted = Vec::new();
        for row in rows {
            let decided = self.authorize_async::<A, R>(row, state).await;
            keep_permitted(&mut permitted, decided)?;
        }
        Ok(permitted)
    }
}

/// Keeps an allowed row, drops a denied one, and fails on an undecided one.
fn keep_permitted<'p, A, R>(
    permitted: &mut Vec<Permit<'p, A, R>>,
    decided: Result<Permit<'p, A, R>, AuthError>,
) -> Result<(), AuthError> {
    match decided {
        Ok(permit) => permitted.push(permit),
        Err(error @ AuthError::Unavailable { .. }) => return Err(error),
        Err(_) => {}
    }
    Ok(())
}

/// How many gates one handler may have: one bit each in the gatekeeper's record.
const MAX_GATES: usize = 64;

/// Evaluates the gates of one handler for one principal, recording each decision
/// against the handler's [`HandlerInfo`], and gives a [`Clearance`] only when
/// every gate of that record allowed.
///
/// This is what [`#[requires]`](crate::requires) expands to; hand-written code can
/// use it the same way, under the same rules: the record must be registered in the
/// [inventory](crate::inventory) (so the matrix shows the handler), and
/// [`clear`](Self::clear) refuses until each of its gates was checked and allowed.
/// It grants nothing a caller could not get from the policies themselves.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use auth_core::{gate, Authenticated, Gatekeeper, Identity, Mechanism, Scopes};
/// use auth_core::inventory::{HandlerInfo, Registration};
///
/// static HANDLER: HandlerInfo =
///     HandlerInfo::guarded("export", module_path!(), file!(), line!(), &[r#"scope("export")"#]);
/// auth_core::inventory::submit!(Registration::new(&HANDLER));
///
/// let user = Authenticated::for_testing(
///     Identity::new((), "1", Mechanism::Test).scopes(Scopes::from_space_separated("export")),
/// );
/// let mut gatekeeper = Gatekeeper::new(&user, &HANDLER);
/// let decision = gate::scope(gatekeeper.principal(), "export");
/// gatekeeper.check(0, decision)?;
/// let _clearance = gatekeeper.clear()?;
///
/// // No gate checked: no clearance.
/// assert!(Gatekeeper::new(&user, &HANDLER).clear().is_err());
/// # }
/// # Ok::<(), auth_core::AuthError>(())
/// ```
pub struct Gatekeeper<'p, U> {
    principal: &'p Authenticated<U>,
    handler: &'static HandlerInfo,
    /// Bit `i` set: gate `i` was checked and allowed.
    allowed: u64,
    /// A guest at a handler that does not accept guests: every gate refuses.
    guest_refused: bool,
}

impl<'p, U> Gatekeeper<'p, U> {
    /// How many gates one handler may have.
    pub const MAX_GATES: usize = MAX_GATES;

    /// Starts checking `handler`'s gates for `principal`.
    ///
    /// A guest ([`Mechanism::Guest`](crate::Mechanism::Guest)) at a handler whose
    /// record does not [accept guests](HandlerInfo::accepting_guests) is refused:
    /// [`admit`](Self::admit) answers 403 (`#[requires]` asks it before any gate),
    /// and [`clear`](Self::clear) refuses, so the handler never runs for the guest
    /// whichever gates were checked. (Policies refuse guests on their own, unless
    /// they set [`Policy::GUESTS`](crate::Policy::GUESTS).)
    pub fn new(principal: &'p Authenticated<U>, handler: &'static HandlerInfo) -> Self {
        Gatekeeper {
            principal,
            handler,
            allowed: 0,
            guest_refused: principal.info().mechanism() == crate::Mechanism::Guest
                && !handler.accepts_guests(),
        }
    }

    /// Whether the principal may be at this handler at all: `Err` (403) for a
    /// guest at a handler that does not accept guests. `#[requires]` calls it
    /// before any gate, so a guest never reaches a policy or a predicate.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`], recorded as an audit event.
    #[inline]
    pub fn admit(&self) -> Result<(), AuthError> {
        if self.guest_refused {
            Err(self.refuse_guest())
        } else {
            Ok(())
        }
    }

    #[cold]
    fn refuse_guest(&self) -> AuthError {
        guest_refusal(self.handler, self.principal.subject())
    }

    /// The principal being checked.
    pub fn principal(&self) -> &'p Authenticated<U> {
        self.principal
    }

    /// Records the decision of function-level gate number `gate` (an index into
    /// [`HandlerInfo::gates`]).
    ///
    /// # Errors
    /// The error the decision maps to when it does not allow
    /// ([`Decision::into_result`]).
    #[allow(
        clippy::inline_always,
        reason = "measured: inlined, an allowed decision is never built in memory"
    )]
    #[inline(always)]
    pub fn check(&mut self, gate: usize, decision: Decision) -> Result<(), AuthError> {
        audit::decision(
            &decision,
            || Subject {
                principal: self.principal.subject(),
                handler: self.handler.name(),
                rule: self.handler.gate(gate),
                action: "call",
                resource_kind: "handler",
            },
            || self.handler.qualified(),
        );
        decision.into_result()?;
        self.mark(gate);
        Ok(())
    }

    #[inline]
    fn mark(&mut self, gate: usize) {
        self.allowed |= bit(gate);
    }

    /// Starts resource gate number `gate`: a policy will decide about `resource`
    /// (the resource, or a [`Loaded`](crate::Loaded) to load it by), reading
    /// `state` (`&()` when it reads none). Name the action next, with
    /// [`ResourceCheck::authorize`] or [`ResourceCheck::authorize_async`].
    ///
    /// The resource and state are fixed before the action is named, so a missing
    /// policy is reported for these exact types.
    pub fn resource<'g, R, S: ?Sized>(
        &'g mut self,
        gate: usize,
        resource: R,
        state: &'g S,
    ) -> ResourceCheck<'g, 'p, U, R, S> {
        ResourceCheck {
            gatekeeper: self,
            gate,
            bit: bit(gate),
            resource,
            state,
        }
    }

    /// The output of the handler when gate `error` came from refused it: the
    /// denial, with the realm the principal authenticated in for its challenge.
    pub fn deny<T>(&self, error: AuthError) -> Guarded<T, Authenticated<U>> {
        Guarded::denied(error, self.principal.info().realm_arc())
    }

    /// Ends the checks, when every gate of the handler allowed.
    ///
    /// # Errors
    /// A [`Refusal`] holding [`AuthError::Misconfigured`] (a 500 and an error event)
    /// when the handler's record is not registered in the inventory, is not a
    /// guarded handler's, has no gates or more than [`MAX_GATES`](Self::MAX_GATES), or when one of
    /// its gates was not checked and allowed: a clearance is never given early.
    /// A [`Refusal`] holding the guest's 403 when [`admit`](Self::admit) would
    /// refuse the principal.
    #[inline]
    pub fn clear(self) -> Result<Clearance<Authenticated<U>>, Refusal<Authenticated<U>>> {
        let Gatekeeper {
            principal,
            handler,
            allowed,
            guest_refused,
        } = self;
        if handler.clears(allowed) && !guest_refused {
            Ok(Clearance::new())
        } else {
            let guest = guest_refused.then(|| principal.subject());
            Err(Refusal::new(
                refused_clearance(handler, allowed, guest),
                principal.info().realm_arc(),
            ))
        }
    }
}

/// Why [`Gatekeeper::clear`] refused: the 500 and its event. Out of line and fed
/// plain values, so that the allow path keeps the gatekeeper in registers.
#[cold]
#[inline(never)]
fn refused_clearance(
    handler: &'static HandlerInfo,
    allowed: u64,
    guest: Option<&str>,
) -> AuthError {
    if let Some(subject) = guest {
        return guest_refusal(handler, subject);
    }
    let reason = if handler.access() != Access::Guarded {
        "a gatekeeper was run for a handler record that is not a guarded one"
    } else if handler.clearing_mask() == 0 {
        "a guarded handler record lists no gates, or more than 64"
    } else if allowed != handler.clearing_mask() {
        "a gatekeeper was cleared before every gate of its handler allowed"
    } else {
        "the handler record is not registered in the inventory"
    };
    misconfigured(handler, reason)
}

/// A guest at a handler that does not accept guests: the 403 and its event.
#[cold]
#[inline(never)]
fn guest_refusal(handler: &'static HandlerInfo, subject: &str) -> AuthError {
    let decision = Decision::deny("guests may not call this handler");
    audit::decision(
        &decision,
        || Subject {
            principal: subject,
            handler: handler.name(),
            rule: "guests = false",
            action: "call",
            resource_kind: "handler",
        },
        || handler.qualified(),
    );
    AuthError::forbidden("guests may not call this handler")
}

/// The bit of gate `gate` in a gatekeeper's record; none past the last bit.
#[inline]
const fn bit(gate: usize) -> u64 {
    if gate < MAX_GATES { 1 << gate } else { 0 }
}

#[cold]
fn misconfigured(handler: &'static HandlerInfo, reason: &'static str) -> AuthError {
    audit::misconfigured(&handler.qualified().to_string(), reason);
    AuthError::misconfigured(reason)
}

/// One resource gate of a [`Gatekeeper`], waiting for its action.
#[must_use = "a resource check does nothing until `authorize` runs the policy"]
pub struct ResourceCheck<'g, 'p, U, P, S: ?Sized> {
    gatekeeper: &'g mut Gatekeeper<'p, U>,
    gate: usize,
    /// `gate`'s bit, worked out where the gate index is still a constant.
    bit: u64,
    /// The resource, or a [`Loaded`](crate::Loaded) to load it by.
    resource: P,
    state: &'g S,
}

impl<'p, U, P, S: ?Sized> ResourceCheck<'_, 'p, U, P, S> {
    /// Runs the policy of `A` on the resource and returns the permit.
    ///
    /// The parameter must hold the resource
    /// ([`ResourceInHand`](crate::load::ResourceInHand)): a sync
    /// handler cannot await a loader.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] when the policy denies, [`AuthError::NotFound`] when
    /// it hides the resource, [`AuthError::InsufficientScope`] when a scope is
    /// missing, [`AuthError::Unavailable`] when it could not decide.
    pub fn authorize<A>(self) -> Result<Permit<'p, A, A::Resource>, AuthError>
    where
        A: DecideOn<P, U, S>,
    {
        let principal = self.gatekeeper.principal;
        let (resource, decision) = A::decide_on(principal, self.resource, self.state);
        finish(self.gatekeeper, self.gate, self.bit, resource, decision)
    }

    /// Runs the policy of `A` on the resource, which may await, and returns the
    /// permit. A [`Loaded<R>`](crate::Loaded) is loaded first, right before the
    /// policy: no such resource is a 404, a loader that fails a 503. A guest the
    /// policy does not decide for is refused before anything is loaded.
    ///
    /// # Errors
    /// As [`authorize`](Self::authorize); [`AuthError::NotFound`] also when the
    /// loader found nothing, [`AuthError::Unavailable`] when it failed.
    #[inline]
    pub fn authorize_async<A>(
        self,
    ) -> impl Future<Output = Result<Permit<'p, A, A::Resource>, AuthError>>
    where
        A: DecideOnAsync<P, U, S>,
    {
        A::authorize_async(self)
    }
}

impl<'p, U, R: Resource, S: ?Sized> ResourceCheck<'_, 'p, U, R, S> {
    /// [`authorize_async`](Self::authorize_async) on a resource at hand: the
    /// policy, and nothing more.
    #[inline]
    pub(crate) async fn authorize_present<A>(self) -> Result<Permit<'p, A, R>, AuthError>
    where
        A: AsyncPolicyFor<R, U, S>,
    {
        let principal = self.gatekeeper.principal;
        let decision = decide_async!(A, R, U, S; principal, &self.resource, self.state);
        finish(
            self.gatekeeper,
            self.gate,
            self.bit,
            self.resource,
            decision,
        )
    }
}

impl<'p, U, P, S: ?Sized> ResourceCheck<'_, 'p, U, P, S> {
    /// [`authorize_async`](Self::authorize_async) on a resource still to load:
    /// a guest the policy does not decide for is refused first, then `load`
    /// runs, then the policy.
    pub(crate) async fn authorize_loaded<A, R, F>(
        self,
        load: impl FnOnce(P) -> F,
    ) -> Result<Permit<'p, A, R>, AuthError>
    where
        R: Resource,
        A: AsyncPolicyFor<R, U, S>,
        F: Future<Output = Result<Option<R>, LoadError>>,
    {
        let ResourceCheck {
            gatekeeper,
            gate,
            bit,
            resource,
            state,
        } = self;
        let principal = gatekeeper.principal;
        if crate::authz::policy::refuses_guest(principal, <A as AsyncPolicyFor<R, U, S>>::GUESTS) {
            let decision = crate::authz::policy::guest_refused();
            return Err(unresolved::<A, R, U>(gatekeeper, gate, decision));
        }
        let resource = match load(resource).await {
            Ok(Some(resource)) => resource,
            Ok(None) => {
                let decision = Decision::not_found("the loader found no such resource");
                return Err(unresolved::<A, R, U>(gatekeeper, gate, decision));
            }
            Err(error) => return Err(load_failed::<A, R, U>(gatekeeper, gate, error)),
        };
        // The tenant check, the memo and the policy, as for a resource in hand.
        let decision = decide_async!(A, R, U, S; principal, &resource, state);
        finish(gatekeeper, gate, bit, resource, decision)
    }
}

/// Records a resource gate's decision and mints the permit for `resource`.
#[allow(
    clippy::inline_always,
    reason = "measured: inlined, an allowed decision is never built in memory"
)]
#[inline(always)]
fn finish<'p, A: Action, R: Resource, U>(
    gatekeeper: &mut Gatekeeper<'p, U>,
    gate: usize,
    bit: u64,
    resource: R,
    decision: Decision,
) -> Result<Permit<'p, A, R>, AuthError> {
    let permit = conclude(
        gatekeeper.principal,
        Site::Gate(gatekeeper.handler, gate),
        resource,
        decision,
    )?;
    gatekeeper.allowed |= bit;
    Ok(permit)
}

/// A resource gate that answered without a resource to decide on: a guest
/// refused before loading, or nothing found. Recorded, and its error returned.
#[cold]
#[inline(never)]
fn unresolved<A: Action, R: Resource, U>(
    gatekeeper: &Gatekeeper<'_, U>,
    gate: usize,
    decision: Decision,
) -> AuthError {
    audit::decision(
        &decision,
        || gate_subject::<A, R, U>(gatekeeper, gate),
        || "?",
    );
    match decision.into_result() {
        Err(error) => error,
        // Neither caller passes an allow.
        Ok(()) => AuthError::misconfigured("a resource gate answered without a resource"),
    }
}

/// A loader that could not answer: recorded as unavailable, and a 503.
#[cold]
#[inline(never)]
fn load_failed<A: Action, R: Resource, U>(
    gatekeeper: &Gatekeeper<'_, U>,
    gate: usize,
    error: LoadError,
) -> AuthError {
    let decision = Decision::unavailable(error.component(), None);
    audit::decision(
        &decision,
        || gate_subject::<A, R, U>(gatekeeper, gate),
        || "?",
    );
    AuthError::from(error)
}

fn gate_subject<'a, A: Action, R: Resource, U>(
    gatekeeper: &'a Gatekeeper<'_, U>,
    gate: usize,
) -> Subject<'a> {
    Subject {
        principal: gatekeeper.principal.subject(),
        handler: gatekeeper.handler.name(),
        rule: gatekeeper.handler.gate(gate),
        action: A::NAME,
        resource_kind: R::KIND,
    }
}

/// Evidence that every gate of a registered handler allowed (or that a
/// registered `#[public]` handler opted out): what
/// [`Guarded::new`](crate::Guarded::new) asks for. `C` is who the handler admits:
/// `Authenticated<U>` for a guarded handler, `()` or `Option<Authenticated<U>>`
/// for a public one.
///
/// It comes only from [`Gatekeeper::clear`] or [`Clearance::public`], each of which
/// refuses a handler record that is not registered in the inventory.
#[derive(Debug)]
#[must_use]
pub struct Clearance<C> {
    caller: PhantomData<fn() -> C>,
}

impl<C> Clearance<C> {
    const fn new() -> Self {
        Clearance {
            caller: PhantomData,
        }
    }
}

impl<C: PublicCaller> Clearance<C> {
    /// The opt-out of a `#[public]` handler: `handler` must be a public record
    /// registered in the inventory, so the matrix lists the handler as public.
    ///
    /// # Errors
    /// A [`Refusal`] holding [`AuthError::Misconfigured`] (a 500 and an error
    /// event) when `handler` is not registered or not a public record.
    pub fn public(handler: &'static HandlerInfo) -> Result<Self, Refusal<C>> {
        let problem = if handler.access() != Access::Public {
            Some("a public clearance was asked for a handler record that is not a public one")
        } else if !handler.is_registered() {
            Some("the handler record is not registered in the inventory")
        } else {
            None
        };
        match problem {
            None => Ok(Clearance::new()),
            Some(reason) => Err(Refusal::new(misconfigured(handler, reason), None)),
        }
    }
}

/// Why a [`Clearance`] was refused: the handler's output is then this error,
/// never its body's. Turn it into the output with
/// [`Guarded::from`](crate::Guarded), or into the error with
/// [`into_error`](Self::into_error).
#[derive(Debug)]
#[must_use = "a refusal is the handler's answer; return it"]
pub struct Refusal<C> {
    error: AuthError,
    realm: Option<Arc<str>>,
    caller: PhantomData<fn() -> C>,
}

impl<C> Refusal<C> {
    fn new(error: AuthError, realm: Option<Arc<str>>) -> Self {
        Refusal {
            error,
            realm,
            caller: PhantomData,
        }
    }

    /// The error.
    pub fn error(&self) -> &AuthError {
        &self.error
    }

    /// Takes the error out.
    pub fn into_error(self) -> AuthError {
        self.error
    }
}

impl<C> From<Refusal<C>> for AuthError {
    fn from(refusal: Refusal<C>) -> Self {
        refusal.error
    }
}

impl<T, C> From<Refusal<C>> for Guarded<T, C> {
    fn from(refusal: Refusal<C>) -> Self {
        Guarded::denied(refusal.error, refusal.realm)
    }
}
