//! Deny by default: mount points that accept only guarded or public handlers.
//!
//! [`#[requires]`](crate::requires) and [`#[public]`](crate::public) make a handler
//! function return [`Guarded<R, C>`](crate::Guarded). A secure mount point asks for
//! that type, so a handler that has neither attribute, a forgotten check, does not
//! compile there:
//!
//! ```compile_fail
//! use auth_core::mount::SecureRoutes;
//!
//! fn forgot_the_check(_request: &String) -> String { "all the orders".into() }
//!
//! // error: `forgot_the_check` is neither `#[requires(..)]` nor `#[public]`
//! let routes = SecureRoutes::<&str, (), String, String>::new().route("/orders", forgot_the_check);
//! ```
//!
//! A closure or a plain function cannot make such an output either: the only
//! constructor with a value, [`Guarded::new`], needs a
//! [`Clearance`](crate::Clearance), which comes only from a handler record
//! registered in the [inventory](crate::inventory).
//!
//! The mount points also read *who* a handler admits ([`Caller`], the `C` of
//! `Guarded<R, C>`) and authenticate the request before any of the handler's own
//! extractors run, so 401 comes first in any parameter order: a resource loader,
//! a path, query or body parser never answers an unauthenticated caller.
//!
//! This module holds the framework-free mount point, [`SecureRoutes`], and the
//! sealed traits every adapter's mount point uses ([`GuardedOutput`], [`Caller`]).
//! The axum and actix-web adapters build their secure routers on the same traits.

use std::any::TypeId;
use std::collections::BTreeMap;
use std::fmt;

use http::request::Parts;

use crate::{AuthError, Authenticated, Authenticator, Guarded};

/// Calls `$m!(T1)`, `$m!(T1, T2)`, .. up to sixteen parameters: the handler
/// arities the framework adapters implement their marker traits for.
#[cfg_attr(
    not(any(feature = "axum", feature = "actix-web")),
    allow(unused_macros)
)]
macro_rules! for_each_arity {
    ($m:ident) => {
        $m!(T1);
        $m!(T1, T2);
        $m!(T1, T2, T3);
        $m!(T1, T2, T3, T4);
        $m!(T1, T2, T3, T4, T5);
        $m!(T1, T2, T3, T4, T5, T6);
        $m!(T1, T2, T3, T4, T5, T6, T7);
        $m!(T1, T2, T3, T4, T5, T6, T7, T8);
        $m!(T1, T2, T3, T4, T5, T6, T7, T8, T9);
        $m!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10);
        $m!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11);
        $m!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12);
        $m!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13);
        $m!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14);
        $m!(
            T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15
        );
        $m!(
            T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16
        );
    };
}
#[cfg(any(feature = "axum", feature = "actix-web"))]
pub(crate) use for_each_arity;

/// Who a handler admits, read from its output type [`Guarded<T, C>`](Guarded):
/// `Authenticated<U>` (a `#[requires]` handler: the mount authenticates first,
/// before any other extractor), `Option<Authenticated<U>>` (a `#[public]` handler
/// with optional sign-in: the mount authenticates first, and a bad credential is
/// refused rather than turned into a guest) or `()` (a `#[public]` handler).
///
/// Sealed: these three are all there is. Each adapter says what it does for each
/// (`axum::Authenticates`, `actix::Authenticates`).
pub trait Caller: sealed::Sealed + 'static {
    /// The principal type the handler may extract, if any.
    #[doc(hidden)]
    fn admitted() -> Option<TypeId>;
}

impl Caller for () {
    fn admitted() -> Option<TypeId> {
        None
    }
}

impl<U: 'static> Caller for Authenticated<U> {
    fn admitted() -> Option<TypeId> {
        Some(TypeId::of::<U>())
    }
}

impl<U: 'static> Caller for Option<Authenticated<U>> {
    fn admitted() -> Option<TypeId> {
        Some(TypeId::of::<U>())
    }
}

/// What a secure mount admitted for the request it is serving: the principal type
/// its handler may extract (none for a `#[public]` handler without optional
/// sign-in). The adapters' `Authenticated` extractors refuse any other principal
/// type with a 500, and the mount turns the response into that 500 even when an
/// extractor (actix-web's `Option<T>`, say) swallowed the refusal: a principal that
/// the mount did not authenticate first is a principal it did not order.
#[cfg(any(feature = "axum", feature = "actix-web"))]
#[derive(Debug, Clone)]
pub(crate) struct Admission {
    principal: Option<TypeId>,
    misused: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
impl Admission {
    pub(crate) fn of<C: Caller>() -> Self {
        Admission {
            principal: C::admitted(),
            misused: std::sync::Arc::default(),
        }
    }

    /// `Ok` when a handler of this mount may extract `Authenticated<U>`; the 500
    /// otherwise, recorded so that the mount answers it whatever the handler does.
    pub(crate) fn check<U: 'static>(&self) -> Result<(), AuthError> {
        if self.principal == Some(TypeId::of::<U>()) {
            return Ok(());
        }
        self.misused
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let reason = if self.principal.is_some() {
            "a handler extracted a principal type other than the one its attribute names"
        } else {
            "a handler mounted as `#[public]` extracted a principal: write `#[requires(..)]`, or take `Option<Authenticated<U>>` spelled so"
        };
        crate::audit::misconfigured(std::any::type_name::<U>(), reason);
        Err(AuthError::misconfigured(reason))
    }

    /// Whether a handler tried to extract a principal the mount did not admit.
    pub(crate) fn misused(&self) -> bool {
        self.misused.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The callers a `#[public]` handler may admit: `()` or `Option<Authenticated<U>>`.
/// Sealed.
pub trait PublicCaller: Caller {}

impl PublicCaller for () {}

impl<U: 'static> PublicCaller for Option<Authenticated<U>> {}

mod sealed {
    use crate::{Authenticated, Guarded};

    pub trait Sealed {}

    impl Sealed for () {}
    impl<U> Sealed for Authenticated<U> {}
    impl<U> Sealed for Option<Authenticated<U>> {}
    impl<T, C> Sealed for Guarded<T, C> {}

    /// The two handler shapes of `SecureRoutes`, and nothing else.
    pub trait Handler<U, Req, Res, Marker> {}

    impl<F, O, U, Req, Res> Handler<U, Req, Res, super::RequiresPrincipal> for F
    where
        F: Fn(Authenticated<U>, &Req) -> O,
        O: super::GuardedOutput<Output = Res, Caller = Authenticated<U>>,
    {
    }

    impl<F, O, U, Req, Res> Handler<U, Req, Res, super::NoPrincipal> for F
    where
        F: Fn(&Req) -> O,
        O: super::GuardedOutput<Output = Res, Caller = ()>,
    {
    }
}

/// The output of a handler that went through `#[requires]` or `#[public]`:
/// implemented for [`Guarded<T, C>`] only (sealed).
#[diagnostic::on_unimplemented(
    message = "this handler is neither `#[requires(..)]` nor `#[public]`: it returns `{Self}`, not `auth_core::Guarded<_, _>`",
    label = "unguarded handler on a secure mount point",
    note = "add `#[auth_core::requires(..)]` to say who may call it, or `#[auth_core::public]` if anyone may"
)]
pub trait GuardedOutput: sealed::Sealed {
    /// What the handler produced when it ran.
    type Output;
    /// Who the handler admits.
    type Caller: Caller;

    /// Takes the handler's output apart.
    fn into_guarded(self) -> Guarded<Self::Output, Self::Caller>;
}

impl<T, C: Caller> GuardedOutput for Guarded<T, C> {
    type Output = T;
    type Caller = C;

    fn into_guarded(self) -> Guarded<T, C> {
        self
    }
}

/// A handler [`SecureRoutes`] accepts. `Marker` tells the two shapes apart:
/// `fn(Authenticated<U>, &Req) -> Guarded<Res, Authenticated<U>>` for
/// `#[requires]`, and `fn(&Req) -> Guarded<Res, ()>` for `#[public]`. Sealed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be mounted: it is neither `#[requires(..)]` nor `#[public]`",
    label = "unguarded handler on a secure mount point",
    note = "a guarded handler is `#[requires(..)] fn(Authenticated<User>, &Request) -> Response`; a public one is `#[public] fn(&Request) -> Response`"
)]
pub trait SecureHandler<U, Req, Res, Marker>:
    sealed::Handler<U, Req, Res, Marker> + Send + Sync + 'static
{
    /// Calls the handler; `principal` is `None` for public handlers.
    #[doc(hidden)]
    fn call(&self, principal: Option<Authenticated<U>>, request: &Req) -> Result<Res, AuthError>;

    /// Whether the handler needs an authenticated caller.
    #[doc(hidden)]
    fn needs_principal(&self) -> bool;
}

/// Marker for a `#[requires]` handler shape.
#[derive(Debug)]
pub enum RequiresPrincipal {}

/// Marker for a `#[public]` handler shape.
#[derive(Debug)]
pub enum NoPrincipal {}

impl<F, O, U, Req, Res> SecureHandler<U, Req, Res, RequiresPrincipal> for F
where
    F: Fn(Authenticated<U>, &Req) -> O + Send + Sync + 'static,
    O: GuardedOutput<Output = Res, Caller = Authenticated<U>>,
    U: 'static,
{
    fn call(&self, principal: Option<Authenticated<U>>, request: &Req) -> Result<Res, AuthError> {
        match principal {
            Some(principal) => self(principal, request).into_guarded().into_result(),
            None => Err(AuthError::MissingCredentials),
        }
    }

    fn needs_principal(&self) -> bool {
        true
    }
}

impl<F, O, U, Req, Res> SecureHandler<U, Req, Res, NoPrincipal> for F
where
    F: Fn(&Req) -> O + Send + Sync + 'static,
    O: GuardedOutput<Output = Res, Caller = ()>,
{
    fn call(&self, _principal: Option<Authenticated<U>>, request: &Req) -> Result<Res, AuthError> {
        self(request).into_guarded().into_result()
    }

    fn needs_principal(&self) -> bool {
        false
    }
}

type BoxedHandler<U, Req, Res> =
    Box<dyn Fn(Option<Authenticated<U>>, &Req) -> Result<Res, AuthError> + Send + Sync>;

struct Route<U, Req, Res> {
    needs_principal: bool,
    handler: BoxedHandler<U, Req, Res>,
}

/// A framework-free table of routes that accepts only guarded or public handlers.
///
/// `K` is the route key (e.g. `(Method, &'static str)`), `Req` what handlers read,
/// `Res` what they return. [`dispatch`](Self::dispatch) authenticates before a
/// guarded handler runs, so authentication failures (401) always win over a
/// handler's gates (403), and a public handler never triggers authentication.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use auth_core::mount::SecureRoutes;
/// use auth_core::{public, requires, Authenticated};
///
/// #[public]
/// fn health(_req: &String) -> String { "ok".into() }
///
/// #[requires(authenticated)]
/// fn me(user: Authenticated<String>, _req: &String) -> String { user.subject().into() }
///
/// let routes = SecureRoutes::<&str, String, String, String>::new()
///     .route("/health", health)
///     .route("/me", me);
/// assert_eq!(routes.len(), 2);
/// # }
/// ```
pub struct SecureRoutes<K, U, Req, Res> {
    routes: BTreeMap<K, Route<U, Req, Res>>,
}

impl<K: Ord, U, Req, Res> SecureRoutes<K, U, Req, Res> {
    /// An empty table.
    pub fn new() -> Self {
        SecureRoutes {
            routes: BTreeMap::new(),
        }
    }

    /// Mounts `handler` at `key`, replacing any handler already there.
    #[must_use]
    pub fn route<H, M>(mut self, key: K, handler: H) -> Self
    where
        H: SecureHandler<U, Req, Res, M>,
    {
        let needs_principal = handler.needs_principal();
        self.routes.insert(
            key,
            Route {
                needs_principal,
                handler: Box::new(move |principal, request| handler.call(principal, request)),
            },
        );
        self
    }

    /// How many routes are mounted.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether no route is mounted.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Runs the handler at `key`: authenticates `head` with `authenticator` first
    /// when the handler is guarded. `None` when no route matches.
    pub async fn dispatch<A>(
        &self,
        key: &K,
        authenticator: &A,
        head: &Parts,
        request: &Req,
    ) -> Option<Result<Res, AuthError>>
    where
        A: Authenticator<User = U> + ?Sized,
    {
        let route = self.routes.get(key)?;
        let principal = if route.needs_principal {
            match crate::authenticate(authenticator, head).await {
                Ok(principal) => Some(principal),
                Err(error) => return Some(Err(error)),
            }
        } else {
            None
        };
        Some((route.handler)(principal, request))
    }
}

impl<K: Ord, U, Req, Res> Default for SecureRoutes<K, U, Req, Res> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: fmt::Debug, U, Req, Res> fmt::Debug for SecureRoutes<K, U, Req, Res> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.routes.keys()).finish()
    }
}
