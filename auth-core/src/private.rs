//! Plumbing for the code `#[requires]` and `#[public]` write. Not public API.
//!
//! Nothing here mints an `Authenticated` or a `Permit`: the macros reach those only
//! through the public API ([`crate::Gatekeeper`], [`crate::Guarded`]).

use std::future::Future;
use std::marker::PhantomData;

pub use ::inventory;

use crate::{AuthError, Rejection};

/// Gives an `async` block the expected output type, so `?` in a handler body
/// infers its error type as it would in the function itself.
#[inline]
pub fn output<T, F: Future<Output = T>>(future: F) -> F {
    future
}

/// The denial, in a method's own return type.
#[inline]
pub fn reject<R: Rejection>(error: AuthError) -> R {
    R::reject(error)
}

/// Accepts a predicate's decision, whether it returned one or a future of one.
pub trait IntoDecisionFuture {
    /// The future of the decision.
    type Future: Future<Output = crate::Decision>;

    /// Converts.
    fn into_decision_future(self) -> Self::Future;
}

impl IntoDecisionFuture for crate::Decision {
    type Future = std::future::Ready<crate::Decision>;

    fn into_decision_future(self) -> Self::Future {
        std::future::ready(self)
    }
}

impl<F> IntoDecisionFuture for F
where
    F: Future<Output = crate::Decision>,
{
    type Future = F;

    fn into_decision_future(self) -> F {
        self
    }
}

/// In a sync handler, a predicate must return a [`crate::Decision`].
#[diagnostic::on_unimplemented(
    message = "a `check(..)` predicate must return `auth_core::Decision`, found `{Self}`",
    label = "not a decision",
    note = "a predicate that returns a future needs an `async fn` handler"
)]
pub trait IntoDecision {
    /// Converts.
    fn into_decision(self) -> crate::Decision;
}

impl IntoDecision for crate::Decision {
    #[inline]
    fn into_decision(self) -> crate::Decision {
        self
    }
}

/// What a handler's early gates (`HandlerInfo::early`) know of a `check(..)`
/// predicate before calling it: whether it answers at once with a `Decision`. An
/// `async fn` (or anything else) is never called early; it is left to the
/// handler's body, which also reports a predicate of the wrong type, once.
pub struct EarlyProbe<R>(PhantomData<fn() -> R>);

/// The probe of `predicate` called on `principal`, from its type alone.
#[inline]
pub fn early_probe<'p, U, P, R>(
    _predicate: &P,
    _principal: &'p crate::Authenticated<U>,
) -> EarlyProbe<R>
where
    P: FnOnce(&'p crate::Authenticated<U>) -> R,
{
    EarlyProbe(PhantomData)
}

impl EarlyProbe<crate::Decision> {
    /// A predicate that returns a `Decision` answers at once. (Inherent: chosen
    /// over [`NotAtOnce`] whenever it applies.)
    #[inline]
    pub fn at_once(&self) -> bool {
        true
    }

    /// The decision.
    #[inline]
    pub fn take(&self, decision: crate::Decision) -> Option<crate::Decision> {
        Some(decision)
    }
}

/// Every other predicate: not called early.
pub trait NotAtOnce<R> {
    /// It does not answer at once.
    #[inline]
    fn at_once(&self) -> bool {
        false
    }

    /// Never reached: [`at_once`](Self::at_once) said no.
    #[inline]
    fn take(&self, _output: R) -> Option<crate::Decision> {
        None
    }
}

impl<R> NotAtOnce<R> for EarlyProbe<R> {}

/// The state a policy reads, from a `state = expr` option: `expr` may be a `T` or
/// a `&T`, and the policy reads `&T` either way. Method resolution picks
/// [`PeelReference`] when `expr` is a reference and [`ByReference`] otherwise.
pub struct StateRef<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for StateRef<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for StateRef<'_, T> {}

/// `state = expr` where `expr: &T`: the policy reads that `&T`.
pub trait PeelReference<'a> {
    /// What the policy reads.
    type Target: ?Sized;
    /// The state.
    fn state(self) -> &'a Self::Target;
}

impl<'a, 'b: 'a, T: ?Sized> PeelReference<'a> for &StateRef<'a, &'b T> {
    type Target = T;

    fn state(self) -> &'a T {
        self.0
    }
}

/// `state = expr` where `expr: T`: the policy reads `&expr`.
pub trait ByReference<'a> {
    /// What the policy reads.
    type Target: ?Sized;
    /// The state.
    fn state(self) -> &'a Self::Target;
}

impl<'a, T: ?Sized> ByReference<'a> for StateRef<'a, T> {
    type Target = T;

    fn state(self) -> &'a T {
        self.0
    }
}

/// A parameter of a `#[public]` handler, probed for a principal whatever it is
/// called: `#[public]` reads its parameters' spelling to see who the handler
/// admits, so an `Authenticated<_>` behind a type alias must not get past it.
pub struct PublicParam<T>(PhantomData<fn() -> T>);

impl<T> PublicParam<T> {
    /// The probe.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        PublicParam(PhantomData)
    }
}

/// Chosen by method resolution when the parameter is a principal: the call then
/// needs a bound no type meets, whose message says what to write.
pub trait ParamIsPrincipal {
    /// Refuses the parameter.
    fn check_public_param(&self)
    where
        Self: PrincipalInDisguise,
    {
    }
}

impl<U> ParamIsPrincipal for PublicParam<crate::Authenticated<U>> {}
impl<U> ParamIsPrincipal for PublicParam<Option<crate::Authenticated<U>>> {}
impl<U, E> ParamIsPrincipal for PublicParam<Result<crate::Authenticated<U>, E>> {}

/// Chosen for every other parameter (one autoref further): nothing to say.
pub trait ParamIsOther {
    /// Accepts the parameter.
    fn check_public_param(&self) {}
}

impl<T> ParamIsOther for &PublicParam<T> {}

/// Implemented for no type.
#[diagnostic::on_unimplemented(
    message = "a `#[public]` handler cannot take a principal, and this parameter is one under another name",
    label = "an `Authenticated<_>` (or an `Option` or `Result` of one) behind a type alias",
    note = "`#[public]` reads who a handler admits from how its parameters are spelled; spell optional sign-in `Option<Authenticated<User>>`, so the secure routers authenticate it first (a bad credential is a 401, never a guest)",
    note = "a handler that needs a signed-in caller is `#[requires(authenticated)]`"
)]
pub trait PrincipalInDisguise {}

/// The length of `parts` joined: the inventory text of a gate with a typed name
/// (`role(Admin)` recorded as `role("admin")`) is joined at compile time.
pub const fn text_len(parts: &[&str]) -> usize {
    let mut len = 0;
    let mut rest = parts;
    while let [first, tail @ ..] = rest {
        len += first.len();
        rest = tail;
    }
    len
}

/// `parts` joined, as bytes; `N` is [`text_len`] of them.
#[allow(
    clippy::indexing_slicing,
    reason = "const fn: the loops stay within `N` and each part's length"
)]
pub const fn text_bytes<const N: usize>(parts: &[&str]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    let mut rest = parts;
    while let [first, tail @ ..] = rest {
        let bytes = first.as_bytes();
        let mut i = 0;
        while i < bytes.len() && at < N {
            out[at] = bytes[i];
            at += 1;
            i += 1;
        }
        rest = tail;
    }
    out
}

/// `bytes` as text: the parts were `str`s, so always valid UTF-8.
pub const fn text_str(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => "?",
    }
}
