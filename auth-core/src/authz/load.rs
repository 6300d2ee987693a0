//! Loaders: one per resource type, run by the library after the function-level
//! gates and right before the resource's policy.
//!
//! A resource type declares how it is loaded ([`Load`]: by the key a path names;
//! [`LoadBy<K>`]: by any other key). A handler takes a [`Loaded<R>`] where it
//! would take the `R`: the framework adapters extract only the key from the path
//! (a key that does not parse is a 400) and the loader's source from the app
//! state, and load nothing. [`#[requires]`](crate::requires) loads it inside the
//! guarded body, after every function-level gate allowed, and hands the value to
//! the resource gate's policy. So the answers come in one order, on every
//! framework and every handler shape:
//!
//! 1. 401: authentication (the secure mount points, before any extractor);
//! 2. 403 / `insufficient_scope`: the function-level gates (`scope`, `role`,
//!    `check(..)` with or without state, sync or async), in the order written;
//! 3. 404 or 403: the resource. No such resource is a 404; then the policy
//!    decides, and a policy that hides what exists answers
//!    [`Decision::not_found`](crate::Decision::not_found) (404) where another
//!    answers [`Decision::deny`](crate::Decision::deny) (403). That choice is
//!    made per (action, resource), in the policy.
//!
//! A loader that cannot answer (the database is down) fails closed: 503
//! ([`AuthError::Unavailable`]), never an allow. The loader does not run at all
//! for a caller a function-level gate refused, nor for a guest a policy does not
//! decide for.
//!
//! ```
//! use auth_core::{requires, Action, Authenticated, Decision, Load, LoadError, Loaded, Policy, Resource};
//! # use std::sync::Arc;
//!
//! #[derive(Action)]
//! pub struct Read;
//! pub struct User { id: u64 }
//! pub struct Order { id: u64, owner_id: u64 }
//! impl Resource for Order {
//!     const KIND: &'static str = "order";
//!     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
//! }
//!
//! /// What the loader reads: a handle to the database, taken from the app state.
//! #[derive(Clone)]
//! pub struct Db(Arc<Vec<Order>>);
//!
//! /// The one loader of `Order`: by the id in the path.
//! impl Load for Order {
//!     type Key = u64;
//!     type Source = Db;
//!
//!     async fn load(id: &u64, db: &Db) -> Result<Option<Order>, LoadError> {
//!         Ok(db.0.iter().find(|o| o.id == *id).map(|o| Order { id: o.id, owner_id: o.owner_id }))
//!     }
//! }
//!
//! impl Policy<Order> for Read {
//!     type Principal = User;
//!     type State = ();
//!     fn decide(user: &Authenticated<User>, order: &Order, (): &()) -> Decision {
//!         // Another customer's order: 403. `Decision::not_found` would hide it (404).
//!         Decision::allow_if(order.owner_id == user.id, "owner", "not the owner")
//!     }
//! }
//!
//! /// `order` is loaded after the scope gate allowed; in the body it is a
//! /// `Permit<Read, Order>` holding the loaded order.
//! #[requires(scope("orders:read"), Read(order))]
//! async fn get_order(_user: Authenticated<User>, order: Loaded<Order>) -> String {
//!     format!("order {}", order.id)
//! }
//! ```
//!
//! Mounted on `auth_core::axum::SecureRouter`, the source comes from the router
//! state through `FromRef` (`impl FromRef<AppState> for Db`); on
//! `auth_core::actix::SecureScope`, from the app data (`web::Data<Db>`, or a `Db`
//! given to `App::app_data`). Outside a framework, build one with
//! [`Loaded::new`].
//!
//! A sync handler cannot await a loader, so a `Loaded<R>` there is a compile
//! error that says so; so is a `Loaded<R>` for a type with no [`Load`] impl.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::authz::policy::{AsyncPolicyFor, PolicyFor};
use crate::{
    Action, AuthError, Authenticated, Decision, ErrorResponse, Permit, Resource, ResourceCheck,
};

/// How a resource type is loaded by the key a path names: its one loader.
///
/// `Key` is what the framework adapters parse from the path (`/orders/{id}` →
/// `i64`; several segments → a tuple), `Source` what the loader reads (a database
/// handle, a pool, your service), taken from the app state when the request is
/// extracted. Keep the source cheap to clone (an `Arc`, a pool handle): the
/// adapters clone it for every request that takes a [`Loaded<Self>`].
///
/// `Ok(None)` is "no such resource": the handler answers 404. `Err` is "could
/// not tell": 503, never an allow. To load by another key as well, implement
/// [`LoadBy<K>`] for that key.
///
/// See the [module documentation](crate::load) for an example.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no loader",
    label = "a `Loaded<{Self}>` needs `{Self}: auth_core::Load`",
    note = "implement `auth_core::Load` for `{Self}`: `impl auth_core::Load for {Self} {{ type Key = ..; type Source = ..; async fn load(key: &Self::Key, source: &Self::Source) -> Result<Option<Self>, auth_core::LoadError> {{ .. }} }}`",
    note = "to load by another key than the path's, implement `auth_core::LoadBy<Key>` and take a `LoadedBy<{Self}, Key>`"
)]
pub trait Load: Resource + Sized {
    /// The key a path names the resource by, e.g. `i64` for `/orders/{id}`.
    type Key;
    /// What the loader reads, e.g. a database handle.
    type Source;

    /// The resource with `key`, `Ok(None)` when there is none.
    ///
    /// # Errors
    /// A [`LoadError`] when the source could not answer: the request fails
    /// closed with a 503.
    fn load(
        key: &Self::Key,
        source: &Self::Source,
    ) -> impl Future<Output = Result<Option<Self>, LoadError>> + Send;
}

/// How a resource type is loaded by another key `K` than its [`Load::Key`]: an
/// order by its public reference, a user by email. Take a
/// [`LoadedBy<R, K>`](LoadedBy) in the handler; everything else is as for
/// [`Load`].
///
/// ```
/// use auth_core::{LoadBy, LoadError, Resource};
///
/// pub struct Order { id: u64, reference: String }
/// # impl Resource for Order {
/// #     const KIND: &'static str = "order";
/// #     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
/// # }
/// /// An order's public reference, e.g. `ORD-2024-0001`.
/// pub struct Reference(pub String);
/// pub struct Db(Vec<Order>);
///
/// impl LoadBy<Reference> for Order {
///     type Source = std::sync::Arc<Db>;
///
///     async fn load_by(reference: &Reference, db: &std::sync::Arc<Db>) -> Result<Option<Order>, LoadError> {
///         Ok(db.0.iter().find(|o| o.reference == reference.0).map(|o| Order { id: o.id, reference: o.reference.clone() }))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no loader by `{K}`",
    label = "a `LoadedBy<{Self}, {K}>` needs `{Self}: auth_core::LoadBy<{K}>`",
    note = "implement `auth_core::LoadBy<{K}>` for `{Self}`, or take a `Loaded<{Self}>` to load it by its `Load::Key`"
)]
pub trait LoadBy<K>: Resource + Sized {
    /// What the loader reads.
    type Source;

    /// The resource with `key`, `Ok(None)` when there is none.
    ///
    /// # Errors
    /// A [`LoadError`] when the source could not answer (503).
    fn load_by(
        key: &K,
        source: &Self::Source,
    ) -> impl Future<Output = Result<Option<Self>, LoadError>> + Send;
}

/// A resource of type `R` to load by the key its path named: what a handler
/// takes for a resource gate (`#[requires(Read(order))] .. order: Loaded<Order>`).
///
/// It holds the key and the loader's source, and nothing loaded: the guarded
/// body loads it after the function-level gates, and in the body the parameter
/// is the [`Permit`](crate::Permit) for the loaded value. It proves nothing and
/// grants nothing, so anyone may build one ([`new`](Self::new)), as a framework
/// adapter does from the path.
///
/// Outside a framework (a job, a test), build it from the key and the source:
///
/// ```
/// use auth_core::{Load, LoadError, Loaded, Resource};
///
/// struct Order { id: u64 }
/// impl Resource for Order {
///     const KIND: &'static str = "order";
///     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
/// }
/// impl Load for Order {
///     type Key = u64;
///     type Source = ();
///     async fn load(id: &u64, (): &()) -> Result<Option<Order>, LoadError> {
///         Ok((*id < 10).then(|| Order { id: *id }))
///     }
/// }
///
/// let order: Loaded<Order> = Loaded::new(7, ());
/// assert_eq!(*order.key(), 7); // nothing loaded yet: `#[requires]` loads it
/// ```
pub struct Loaded<R: Load> {
    key: R::Key,
    source: R::Source,
}

impl<R: Load> Loaded<R> {
    /// The resource with `key`, to be loaded from `source`.
    pub fn new(key: R::Key, source: R::Source) -> Self {
        Loaded { key, source }
    }

    /// The key it will be loaded by.
    pub fn key(&self) -> &R::Key {
        &self.key
    }
}

impl<R: Load> fmt::Debug for Loaded<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("kind", &R::KIND)
            .finish_non_exhaustive()
    }
}

/// A resource of type `R` to load by a key of type `K` ([`LoadBy<K>`]): like
/// [`Loaded<R>`], for another key than [`Load::Key`].
pub struct LoadedBy<R: LoadBy<K>, K> {
    key: K,
    source: R::Source,
}

impl<R: LoadBy<K>, K> LoadedBy<R, K> {
    /// The resource with `key`, to be loaded from `source`.
    pub fn new(key: K, source: R::Source) -> Self {
        LoadedBy { key, source }
    }

    /// The key it will be loaded by.
    pub fn key(&self) -> &K {
        &self.key
    }
}

impl<R: LoadBy<K>, K> fmt::Debug for LoadedBy<R, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedBy")
            .field("kind", &R::KIND)
            .finish_non_exhaustive()
    }
}

/// A loader could not answer: its source (a database, a store) failed. The
/// request fails closed: a 503 ([`AuthError::Unavailable`]), with `Retry-After`
/// when known.
///
/// ```
/// use auth_core::{AuthError, LoadError};
///
/// let error = LoadError::unavailable("orders database", "connection refused");
/// assert_eq!(AuthError::from(error).status().as_u16(), 503);
/// ```
#[derive(Debug, thiserror::Error)]
#[error("the {component} could not load the resource")]
#[non_exhaustive]
pub struct LoadError {
    component: &'static str,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
    retry_after: Option<Duration>,
}

impl LoadError {
    /// `component` (e.g. `"orders database"`) failed with `source`.
    pub fn unavailable(
        component: &'static str,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        LoadError {
            component,
            source: Some(source.into()),
            retry_after: None,
        }
    }

    /// The same error, telling the client when to try again (`Retry-After`).
    #[must_use]
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// Which component failed.
    pub fn component(&self) -> &'static str {
        self.component
    }
}

impl From<LoadError> for AuthError {
    fn from(error: LoadError) -> Self {
        AuthError::Unavailable {
            component: error.component,
            source: error.source,
            retry_after: error.retry_after,
        }
    }
}

/// An auth-core store's error inside a loader (an API key store's `find`, say):
/// whatever it was, the loader could not answer, so it is a 503.
impl From<AuthError> for LoadError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Unavailable {
                component,
                source,
                retry_after,
            } => LoadError {
                component,
                source,
                retry_after,
            },
            other => LoadError::unavailable("loader", other),
        }
    }
}

/// Why a framework adapter could not extract a [`Loaded<R>`] (or a
/// [`LoadedBy<R, K>`]): a 400 `invalid_request` for a key the path does not
/// spell (whose description never repeats the input), or a 500 for an app that
/// does not provide the loader's source, or a route whose path cannot make the
/// key. Neither carries a `WWW-Authenticate` challenge: no other credential
/// would help.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct LoadRejection(AuthError);

impl LoadRejection {
    /// A key that does not parse.
    #[cfg(any(feature = "axum", feature = "actix-web"))]
    pub(crate) fn malformed_key() -> Self {
        LoadRejection(AuthError::invalid_request(
            "the path does not name a resource",
        ))
    }

    /// The app or the route is wrong, not the request; the log says why.
    #[cfg(any(feature = "axum", feature = "actix-web"))]
    pub(crate) fn misconfigured(reason: &'static str) -> Self {
        tracing::error!(target: crate::audit::TARGET, reason, "a `Loaded<_>` could not be extracted; refusing the request");
        LoadRejection(AuthError::misconfigured(reason))
    }

    /// The error behind the rejection.
    pub fn error(&self) -> &AuthError {
        &self.0
    }

    /// Takes the error out.
    pub fn into_error(self) -> AuthError {
        self.0
    }

    /// What the client sees: the error's status and body, without a challenge.
    pub fn response(&self) -> ErrorResponse {
        let mut response = self.0.response("");
        response.www_authenticate = None;
        response
    }
}

/// What a resource gate (`#[requires(Action(param))]`) accepts as its parameter
/// in an `async fn`: the resource itself (any [`Resource`]), or a [`Loaded<R>`] /
/// [`LoadedBy<R, K>`] to load first. Sealed: the macro stays blind to types, and
/// this trait is how the library tells the two apart.
#[diagnostic::on_unimplemented(
    message = "a resource gate cannot decide on a `{Self}`",
    label = "neither a resource nor a `Loaded<_>`",
    note = "implement `auth_core::Resource` for it, or take a `Loaded<R>` for a resource `R` with a loader (`auth_core::Load`)"
)]
pub trait ResourceParam: sealed::Param + Sized {
    /// The resource the policy decides on.
    type Resource: Resource;

    /// The resource gate: for a resource at hand, the policy; for one to load,
    /// the guest check, the load, then the policy.
    #[doc(hidden)]
    fn authorize<'p, A, U, S: ?Sized>(
        check: ResourceCheck<'_, 'p, U, Self, S>,
    ) -> impl Future<Output = Result<Permit<'p, A, Self::Resource>, AuthError>>
    where
        A: AsyncPolicyFor<Self::Resource, U, S>;
}

impl<R: Resource> sealed::Param for R {}

impl<R: Resource> ResourceParam for R {
    type Resource = R;

    #[inline]
    fn authorize<'p, A, U, S: ?Sized>(
        check: ResourceCheck<'_, 'p, U, R, S>,
    ) -> impl Future<Output = Result<Permit<'p, A, R>, AuthError>>
    where
        A: AsyncPolicyFor<R, U, S>,
    {
        check.authorize_present::<A>()
    }
}

impl<R: Load> sealed::Param for Loaded<R> {}

impl<R: Load> ResourceParam for Loaded<R> {
    type Resource = R;

    fn authorize<'p, A, U, S: ?Sized>(
        check: ResourceCheck<'_, 'p, U, Self, S>,
    ) -> impl Future<Output = Result<Permit<'p, A, R>, AuthError>>
    where
        A: AsyncPolicyFor<R, U, S>,
    {
        check.authorize_loaded::<A, R, _>(|loaded: Self| async move {
            R::load(&loaded.key, &loaded.source).await
        })
    }
}

impl<R: LoadBy<K>, K> sealed::Param for LoadedBy<R, K> {}

impl<R: LoadBy<K>, K> ResourceParam for LoadedBy<R, K> {
    type Resource = R;

    fn authorize<'p, A, U, S: ?Sized>(
        check: ResourceCheck<'_, 'p, U, Self, S>,
    ) -> impl Future<Output = Result<Permit<'p, A, R>, AuthError>>
    where
        A: AsyncPolicyFor<R, U, S>,
    {
        check.authorize_loaded::<A, R, _>(|loaded: Self| async move {
            R::load_by(&loaded.key, &loaded.source).await
        })
    }
}

/// What a resource gate accepts in a sync `fn`: a resource, never one still to
/// load (a sync body cannot await a loader). Sealed.
///
/// (A type that is no resource at all is reported as such, through
/// [`Resource`]; this trait's own message is for a [`Loaded<R>`].)
#[diagnostic::on_unimplemented(
    message = "a `{Self}` must be loaded first, which a sync handler cannot await",
    label = "loaded by awaiting its loader",
    note = "make the handler an `async fn`: the resource is then loaded after the function-level gates allowed, right before its policy"
)]
pub trait ResourceInHand: sealed::Param {
    /// The resource the policy decides on.
    type Resource: Resource;

    /// The resource.
    #[doc(hidden)]
    fn in_hand(self) -> Self::Resource;
}

impl<R: Resource> ResourceInHand for R {
    type Resource = R;

    #[inline]
    fn in_hand(self) -> R {
        self
    }
}

impl<R: Load> ResourceInHand for Loaded<R>
where
    Self: sealed::LoadedInSyncHandler<R>,
{
    type Resource = R;

    fn in_hand(self) -> R {
        sealed::LoadedInSyncHandler::never(self)
    }
}

impl<R: LoadBy<K>, K> ResourceInHand for LoadedBy<R, K>
where
    Self: sealed::LoadedInSyncHandler<R>,
{
    type Resource = R;

    fn in_hand(self) -> R {
        sealed::LoadedInSyncHandler::never(self)
    }
}

/// The policy of `Self` on what a sync resource gate's parameter `P` holds,
/// for principal `U` reading `S`: the bound
/// [`ResourceCheck::authorize`](crate::ResourceCheck::authorize) asks of the action, so that what is wrong
/// with the parameter (not a resource, still to load) is reported as such.
/// Implemented for every action with such a policy; sealed.
#[doc(hidden)]
pub trait DecideOn<P, U, S: ?Sized>: Action + sealed::Decide<P, U, S> {
    /// The resource the policy decides on.
    type Resource: Resource;

    /// The resource and the policy's decision on it.
    fn decide_on(principal: &Authenticated<U>, param: P, state: &S) -> (Self::Resource, Decision);
}

impl<A, P, U, S: ?Sized> sealed::Decide<P, U, S> for A
where
    P: ResourceInHand,
    A: PolicyFor<P::Resource, U, S>,
{
}

impl<A, P, U, S: ?Sized> DecideOn<P, U, S> for A
where
    P: ResourceInHand,
    A: PolicyFor<P::Resource, U, S>,
{
    type Resource = P::Resource;

    #[inline]
    fn decide_on(principal: &Authenticated<U>, param: P, state: &S) -> (P::Resource, Decision) {
        let resource = param.in_hand();
        let decision =
            crate::authz::authorize::decide::<A, P::Resource, U, S>(principal, &resource, state);
        (resource, decision)
    }
}

/// The policy of `Self` on what an async resource gate's parameter `P` holds
/// (loading it first if it is a [`Loaded<R>`]), for principal `U` reading `S`:
/// the bound [`ResourceCheck::authorize_async`](crate::ResourceCheck::authorize_async)
/// asks of the action. Implemented for every action with such a policy; sealed.
#[doc(hidden)]
pub trait DecideOnAsync<P, U, S: ?Sized>: Action + Sized + sealed::DecideAsync<P, U, S> {
    /// The resource the policy decides on.
    type Resource: Resource;

    /// The resource gate, loading first if `P` is a [`Loaded<R>`].
    fn authorize_async<'p>(
        check: ResourceCheck<'_, 'p, U, P, S>,
    ) -> impl Future<Output = Result<Permit<'p, Self, Self::Resource>, AuthError>>;
}

impl<A, P, U, S: ?Sized> sealed::DecideAsync<P, U, S> for A
where
    P: ResourceParam,
    A: AsyncPolicyFor<P::Resource, U, S>,
{
}

impl<A, P, U, S: ?Sized> DecideOnAsync<P, U, S> for A
where
    P: ResourceParam,
    A: AsyncPolicyFor<P::Resource, U, S>,
{
    type Resource = P::Resource;

    #[inline]
    fn authorize_async<'p>(
        check: ResourceCheck<'_, 'p, U, P, S>,
    ) -> impl Future<Output = Result<Permit<'p, A, P::Resource>, AuthError>> {
        P::authorize::<A, U, S>(check)
    }
}

mod sealed {
    /// The actions with a policy on a resource gate's parameter.
    pub trait Decide<P, U, S: ?Sized> {}

    /// The actions with an async policy on a resource gate's parameter.
    pub trait DecideAsync<P, U, S: ?Sized> {}

    /// The parameter types a resource gate accepts.
    pub trait Param {}

    /// Implemented for no type: what a `Loaded<R>` in a sync handler would need.
    #[diagnostic::on_unimplemented(
        message = "a `{Self}` is loaded by awaiting its loader, which a sync handler cannot do",
        label = "the resource gate's parameter must be loaded first",
        note = "make the handler an `async fn`, or load the resource yourself and take the `{R}`"
    )]
    pub trait LoadedInSyncHandler<R> {
        /// Never called: no type implements the trait.
        fn never(self) -> R;
    }
}
