//! axum 0.8 integration (feature `axum`).
//!
//! - [`Authenticated<U>`] is an extractor: it runs the [`SharedAuthenticator<U>`]
//!   found in the router state (through [`FromRef`]), and rejects with 401 and an
//!   RFC 6750 challenge. It authenticates once per request *and authenticator*: the
//!   principal (which must be `Clone`) is kept in the request extensions under the
//!   identity of the `SharedAuthenticator` that verified it, so a router nested
//!   with another authenticator verifies the credential again with its own.
//!   `Option<Authenticated<U>>` admits guests: no credential is `None`, a bad one
//!   is still a 401 (and an outage a 503), never a silent guest.
//! - [`AuthError`] and [`Guarded<T, C>`] are responses, through the core's one
//!   mapping ([`AuthError::response`]), with a JSON body
//!   `{"error": "..", "error_description": ".."}`, `Retry-After` on a 503 whose
//!   cause knows when, and on a 429 with the `RateLimit-Policy` and `RateLimit`
//!   headers.
//! - [`SecureRouter`] mounts only `#[requires]` or `#[public]` handlers: any other
//!   handler is a compile error. It authenticates the caller a handler admits
//!   *before* any of the handler's extractors run, so 401 comes first whatever the
//!   parameter order: no resource loader, path, query or body parser answers an
//!   unauthenticated caller (no 404 or 422 that tells which ids exist). Then it
//!   runs the handler's *early gates*, its leading function-level gates that need
//!   only the principal (`role`, `scope`, `permission`, `authenticated`, and a
//!   `check(..)` that answers at once without state), so a caller they refuse
//!   gets its 403 before any extractor runs: no 400 or 422 that describes the
//!   route's input. The handler's body checks every gate again.
//!
//! ```
//! use auth_core::axum::{get, SecureRouter};
//! use auth_core::{public, requires, Authenticated, SharedAuthenticator};
//! # use auth_core::{AuthError, Authenticator, Identity};
//! # #[derive(Clone)] struct User;
//! # struct Jwt;
//! # impl Authenticator for Jwt {
//! #     type User = User;
//! #     async fn authenticate(&self, _: &http::request::Parts) -> Result<Identity<User>, AuthError> {
//! #         Err(AuthError::MissingCredentials)
//! #     }
//! # }
//!
//! #[derive(Clone)]
//! struct AppState {
//!     auth: SharedAuthenticator<User>,
//! }
//!
//! impl axum::extract::FromRef<AppState> for SharedAuthenticator<User> {
//!     fn from_ref(state: &AppState) -> Self {
//!         state.auth.clone()
//!     }
//! }
//!
//! #[public]
//! async fn health() -> &'static str {
//!     "ok"
//! }
//!
//! #[requires(authenticated)]
//! async fn me(user: Authenticated<User>) -> String {
//!     user.subject().to_owned()
//! }
//!
//! let state = AppState { auth: SharedAuthenticator::new(Jwt).with_realm("orders-api") };
//! let app: axum::Router = SecureRouter::new()
//!     .route("/health", get(health))
//!     .route("/me", get(me))
//!     .with_state(state);
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use ::axum::Router;
use ::axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts, Request};
use ::axum::handler::Handler;
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::{MethodFilter, MethodRouter};
use http::HeaderValue;
use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::request::Parts;

use crate::authn::once::authenticate_once;
use crate::coverage::{Covered, Mode, uncovered};
use crate::inventory::{EarlyGates, HandlerInfo, early_gates_of};
use crate::mount::{Admission, Caller, GuardedOutput};
use crate::{
    AuthError, Authenticated, Guarded, Load, LoadBy, LoadRejection, Loaded, LoadedBy,
    SharedAuthenticator,
};
use serde::de::DeserializeOwned;

/// The rejection of the [`Authenticated`] extractor: an [`AuthError`] with the
/// realm its challenge names.
#[derive(Debug)]
pub struct AuthRejection {
    error: AuthError,
    realm: std::sync::Arc<str>,
    /// The authenticator's challenges, one per scheme it reads, when the
    /// authenticator (not a gate) refused.
    challenges: Option<Vec<String>>,
}

impl AuthRejection {
    /// The error behind the rejection.
    pub fn error(&self) -> &AuthError {
        &self.error
    }

    /// Takes the error out.
    pub fn into_error(self) -> AuthError {
        self.error
    }
}

impl IntoResponse for AuthRejection {
    /// The refusal, marked as covered ([`crate::coverage`]): no handler ran.
    fn into_response(self) -> Response {
        let mut response = match self.challenges {
            Some(challenges) => challenged_response(&self.error, &self.realm, challenges),
            None => error_response(&self.error, &self.realm),
        };
        response.extensions_mut().insert(Covered);
        response
    }
}

fn error_response(error: &AuthError, realm: &str) -> Response {
    let challenges = error.challenge(realm).into_iter().collect();
    challenged_response(error, realm, challenges)
}

/// The response to `error`, with one `WWW-Authenticate` header per challenge.
fn challenged_response(error: &AuthError, realm: &str, challenges: Vec<String>) -> Response {
    let wire = error.response(realm);
    let mut response = (wire.status, wire.json_body()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for challenge in challenges {
        if let Ok(challenge) = HeaderValue::from_str(&challenge) {
            headers.append(WWW_AUTHENTICATE, challenge);
        }
    }
    if let Some(seconds) = wire.retry_after {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    // A 429's RateLimit fields (draft-ietf-httpapi-ratelimit-headers-11).
    for (name, value) in [
        ("ratelimit-policy", wire.ratelimit_policy),
        ("ratelimit", wire.ratelimit),
    ] {
        if let Some(Ok(value)) = value.map(HeaderValue::try_from) {
            headers.insert(http::HeaderName::from_static(name), value);
        }
    }
    response
}

impl IntoResponse for AuthError {
    /// The error's status, challenge (without a realm) and JSON body.
    fn into_response(self) -> Response {
        error_response(&self, "")
    }
}

impl<T: IntoResponse, C> IntoResponse for Guarded<T, C> {
    /// The handler's response, or its denial's, marked as covered
    /// ([`crate::coverage`]).
    fn into_response(self) -> Response {
        let (outcome, realm) = self.into_parts();
        let mut response = match outcome {
            Ok(value) => value.into_response(),
            Err(error) => error_response(&error, realm.as_deref().unwrap_or("")),
        };
        response.extensions_mut().insert(Covered);
        response
    }
}

/// Coverage in strict mode ([`crate::coverage`]): a response that no guarded
/// or public handler made, and that was not made on a secure mount point,
/// becomes a 500 with an `ERROR` audit event. Wrap the whole application:
///
/// ```
/// # use auth_core::axum::SecureRouter;
/// let app: axum::Router = SecureRouter::<()>::new()
///     // .route(..)
///     .into_router()
///     .layer(axum::middleware::from_fn(auth_core::axum::require_coverage));
/// ```
pub async fn require_coverage(request: Request, next: ::axum::middleware::Next) -> Response {
    coverage(Mode::Strict, request, next).await
}

/// Coverage in report mode ([`crate::coverage`]): an uncovered response goes
/// out, with a `WARN` audit event naming its method and route.
pub async fn report_coverage(request: Request, next: ::axum::middleware::Next) -> Response {
    coverage(Mode::Report, request, next).await
}

async fn coverage(mode: Mode, request: Request, next: ::axum::middleware::Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<::axum::extract::MatchedPath>()
        .map_or_else(
            || request.uri().path().to_owned(),
            |m| m.as_str().to_owned(),
        );
    let response = next.run(request).await;
    if response.extensions().get::<Covered>().is_some() {
        return response;
    }
    match uncovered(mode, method.as_str(), &route) {
        Some(error) => error_response(&error, ""),
        None => response,
    }
}

impl<S, U> FromRequestParts<S> for Authenticated<U>
where
    SharedAuthenticator<U>: FromRef<S>,
    S: Send + Sync,
    U: Clone + Send + Sync + 'static,
{
    type Rejection = AuthRejection;

    /// Authenticates once per request and authenticator: the principal is kept in
    /// the request's extensions under the authenticator's identity.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AuthRejection> {
        let authenticator = SharedAuthenticator::<U>::from_ref(state);
        if let Some(admission) = parts.extensions.get::<Admission>()
            && let Err(error) = admission.check::<U>()
        {
            return Err(AuthRejection {
                error,
                realm: authenticator.realm_arc(),
                challenges: None,
            });
        }
        authenticate_once(parts, &authenticator)
            .await
            .map_err(|error| AuthRejection {
                challenges: Some(authenticator.challenges(&error, parts)),
                error,
                realm: authenticator.realm_arc(),
            })
    }
}

impl<S, U> OptionalFromRequestParts<S> for Authenticated<U>
where
    SharedAuthenticator<U>: FromRef<S>,
    S: Send + Sync,
    U: Clone + Send + Sync + 'static,
{
    type Rejection = AuthRejection;

    /// `None` when no credential was sent; a credential that fails is still a 401
    /// (an outage a 503), never a silent downgrade to a guest.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, AuthRejection> {
        match <Self as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(principal) => Ok(Some(principal)),
            Err(rejection) if matches!(rejection.error, AuthError::MissingCredentials) => Ok(None),
            Err(rejection) => Err(rejection),
        }
    }
}

/// The key of a [`Loaded<R>`](Loaded) from the path, and its loader's source
/// from the router state ([`FromRef`]); nothing is loaded here. A key that does
/// not parse is a 400 `invalid_request` (whose description does not repeat the
/// input); a route whose path parameters cannot make the key (a `{id}` missing,
/// or more of them than the key has) is a 500.
///
/// On a [`SecureRouter`] this runs after authentication and the handler's
/// early gates; the load runs in the handler's body, after every function-level
/// gate allowed.
impl<S, R> FromRequestParts<S> for Loaded<R>
where
    S: Send + Sync,
    R: Load,
    R::Key: DeserializeOwned + Send,
    R::Source: FromRef<S>,
{
    type Rejection = LoadRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, LoadRejection> {
        let key = path_key::<R::Key, S>(parts, state).await?;
        Ok(Loaded::new(key, R::Source::from_ref(state)))
    }
}

/// As for [`Loaded<R>`](Loaded), with the key `K` of [`LoadBy<K>`].
impl<S, R, K> FromRequestParts<S> for LoadedBy<R, K>
where
    S: Send + Sync,
    R: LoadBy<K>,
    K: DeserializeOwned + Send,
    R::Source: FromRef<S>,
{
    type Rejection = LoadRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, LoadRejection> {
        let key = path_key::<K, S>(parts, state).await?;
        Ok(LoadedBy::new(key, R::Source::from_ref(state)))
    }
}

/// A loader's key, from the path.
async fn path_key<K, S>(parts: &mut Parts, state: &S) -> Result<K, LoadRejection>
where
    K: DeserializeOwned + Send,
    S: Send + Sync,
{
    match <::axum::extract::Path<K> as FromRequestParts<S>>::from_request_parts(parts, state).await
    {
        Ok(::axum::extract::Path(key)) => Ok(key),
        // axum's own verdict: the route, not the request, is wrong.
        Err(rejection) if rejection.status().is_server_error() => {
            Err(LoadRejection::misconfigured(
                "a loader's key cannot be read from the route's path parameters",
            ))
        }
        Err(_) => Err(LoadRejection::malformed_key()),
    }
}

impl IntoResponse for LoadRejection {
    /// 400 or 500, with the JSON body and no challenge.
    fn into_response(self) -> Response {
        let wire = self.response();
        let mut response = (wire.status, wire.json_body()).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

/// How a [`SecureRouter`] authenticates the caller a handler admits (the `C` of
/// its [`Guarded<T, C>`] output) before the handler's own extractors run.
/// Implemented for every [`Caller`] whose authenticator the router state `S`
/// provides; sealed.
#[diagnostic::on_unimplemented(
    message = "this router's state cannot authenticate a `{Self}`",
    label = "the handler admits `{Self}`",
    note = "give the state a `SharedAuthenticator` of the principal type: `impl axum::extract::FromRef<YourState> for auth_core::SharedAuthenticator<YourUser>`"
)]
pub trait Authenticates<S>: Caller {
    /// Authenticates `parts` as the handler needs, then runs the handler's early
    /// gates on the principal; `Err` is the response. The `Seal` cannot be named
    /// outside this crate, so no other impl can be written.
    #[doc(hidden)]
    fn authenticate_first(
        parts: &mut Parts,
        state: &S,
        early: Option<(&'static HandlerInfo, EarlyGates)>,
        seal: sealed::Seal,
    ) -> impl Future<Output = Result<(), Response>> + Send;

    /// Who the handler admits, and through which credentials: for the OpenAPI
    /// document ([`SecureRouter::openapi_security`]).
    #[cfg(feature = "utoipa")]
    #[doc(hidden)]
    fn admits(state: &S, seal: sealed::Seal) -> crate::openapi::Admits;
}

impl<S: Send + Sync> Authenticates<S> for () {
    async fn authenticate_first(
        _parts: &mut Parts,
        _state: &S,
        _early: Option<(&'static HandlerInfo, EarlyGates)>,
        _seal: sealed::Seal,
    ) -> Result<(), Response> {
        Ok(())
    }

    #[cfg(feature = "utoipa")]
    fn admits(_state: &S, _seal: sealed::Seal) -> crate::openapi::Admits {
        crate::openapi::Admits::Anyone
    }
}

impl<S, U> Authenticates<S> for Authenticated<U>
where
    SharedAuthenticator<U>: FromRef<S>,
    S: Send + Sync,
    U: Clone + Send + Sync + 'static,
{
    async fn authenticate_first(
        parts: &mut Parts,
        state: &S,
        early: Option<(&'static HandlerInfo, EarlyGates)>,
        _seal: sealed::Seal,
    ) -> Result<(), Response> {
        let principal = <Authenticated<U> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        // The function-level gates that need only the principal answer before any
        // extractor can (403 before 400 or 422): a caller without permission
        // learns nothing about the route's input.
        if let Some((record, early)) = early {
            early(record, &principal).map_err(|error| {
                AuthRejection {
                    error,
                    challenges: None,
                    realm: principal
                        .info()
                        .realm_arc()
                        .unwrap_or_else(|| SharedAuthenticator::<U>::from_ref(state).realm_arc()),
                }
                .into_response()
            })?;
        }
        Ok(())
    }

    #[cfg(feature = "utoipa")]
    fn admits(state: &S, _seal: sealed::Seal) -> crate::openapi::Admits {
        let authenticator = SharedAuthenticator::<U>::from_ref(state);
        crate::openapi::Admits::SignedIn {
            schemes: crate::Authenticator::schemes(&authenticator),
            realm: authenticator.realm().to_owned(),
        }
    }
}

impl<S, U> Authenticates<S> for Option<Authenticated<U>>
where
    SharedAuthenticator<U>: FromRef<S>,
    S: Send + Sync,
    U: Clone + Send + Sync + 'static,
{
    async fn authenticate_first(
        parts: &mut Parts,
        state: &S,
        _early: Option<(&'static HandlerInfo, EarlyGates)>,
        _seal: sealed::Seal,
    ) -> Result<(), Response> {
        <Authenticated<U> as OptionalFromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(drop)
            .map_err(IntoResponse::into_response)
    }

    #[cfg(feature = "utoipa")]
    fn admits(state: &S, _seal: sealed::Seal) -> crate::openapi::Admits {
        let authenticator = SharedAuthenticator::<U>::from_ref(state);
        crate::openapi::Admits::MaybeSignedIn {
            schemes: crate::Authenticator::schemes(&authenticator),
            realm: authenticator.realm().to_owned(),
        }
    }
}

/// A handler of a [`SecureRouter`]: authenticates its caller and runs its early
/// gates first, then runs it with its own extractors.
struct AuthenticateFirst<H, C> {
    handler: H,
    early: Option<(&'static HandlerInfo, EarlyGates)>,
    caller: PhantomData<fn() -> C>,
}

impl<H: Clone, C> Clone for AuthenticateFirst<H, C> {
    fn clone(&self) -> Self {
        AuthenticateFirst {
            handler: self.handler.clone(),
            early: self.early,
            caller: PhantomData,
        }
    }
}

impl<H, T, S, C> Handler<T, S> for AuthenticateFirst<H, C>
where
    H: Handler<T, S>,
    S: Clone + Send + Sync + 'static,
    C: Authenticates<S>,
{
    type Future = Pin<Box<dyn Future<Output = Response> + Send>>;

    fn call(self, request: Request, state: S) -> Self::Future {
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            if let Err(mut response) =
                C::authenticate_first(&mut parts, &state, self.early, sealed::Seal).await
            {
                response.extensions_mut().insert(Covered);
                return response;
            }
            let admission = Admission::of::<C>();
            parts.extensions.insert(admission.clone());
            let mut response = self
                .handler
                .call(Request::from_parts(parts, body), state)
                .await;
            if admission.misused() {
                return AuthError::misconfigured(
                    "a handler extracted a principal its mount did not admit",
                )
                .into_response();
            }
            // Everything a secure route answers is covered, its extractors'
            // rejections included.
            response.extensions_mut().insert(Covered);
            response
        })
    }
}

/// A handler whose output is [`Guarded`]: one under `#[requires]` or `#[public]`.
/// `T` is axum's handler marker (`(M, T1, .., Tn)`). Sealed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither `#[requires(..)]` nor `#[public]`, so a `SecureRouter` will not mount it",
    label = "unguarded handler",
    note = "add `#[auth_core::requires(..)]` to say who may call it, or `#[auth_core::public]` if anyone may"
)]
pub trait GuardedHandler<T>: sealed::Handler<T> {
    /// Who the handler admits.
    type Caller: Caller;
}

mod sealed {
    /// The function shapes whose output is `Guarded`, and nothing else.
    pub trait Handler<T> {}

    /// An argument only this crate can make.
    #[derive(Debug)]
    pub struct Seal;
}

impl<F, Fut> sealed::Handler<((),)> for F
where
    F: FnOnce() -> Fut,
    Fut: Future,
    Fut::Output: GuardedOutput,
{
}

impl<F, Fut> GuardedHandler<((),)> for F
where
    F: FnOnce() -> Fut,
    Fut: Future,
    Fut::Output: GuardedOutput,
{
    type Caller = <Fut::Output as GuardedOutput>::Caller;
}

macro_rules! guarded_handler {
    ($($ty:ident),+) => {
        impl<F, Fut, M, $($ty,)+> sealed::Handler<(M, $($ty,)+)> for F
        where
            F: FnOnce($($ty,)+) -> Fut,
            Fut: Future,
            Fut::Output: GuardedOutput,
        {
        }

        impl<F, Fut, M, $($ty,)+> GuardedHandler<(M, $($ty,)+)> for F
        where
            F: FnOnce($($ty,)+) -> Fut,
            Fut: Future,
            Fut::Output: GuardedOutput,
        {
            type Caller = <Fut::Output as GuardedOutput>::Caller;
        }
    };
}

crate::mount::for_each_arity!(guarded_handler);

/// The methods of one path, each served by a guarded or public handler.
///
/// Build it with [`get`], [`post`], [`put`], [`patch`] or [`delete`], and chain
/// more methods onto it.
#[must_use]
pub struct SecureMethodRouter<S = ()> {
    inner: MethodRouter<S, Infallible>,
    /// The methods served, for [`SecureRouter::routes`].
    methods: Vec<http::Method>,
    /// Each method's handler, for [`SecureRouter::openapi_security`].
    #[cfg(feature = "utoipa")]
    docs: Vec<MountedDoc<S>>,
}

/// What the OpenAPI document needs of a mounted handler: its inventory entry,
/// and who it admits, given the router state.
#[cfg(feature = "utoipa")]
struct MountedDoc<S> {
    method: http::Method,
    handler: Result<crate::inventory::Entry, crate::openapi::HandlerLookup>,
    admits: fn(&S) -> crate::openapi::Admits,
}

#[cfg(feature = "utoipa")]
fn mounted_doc<H, T, S>(method: http::Method) -> MountedDoc<S>
where
    H: GuardedHandler<T>,
    <H as GuardedHandler<T>>::Caller: Authenticates<S>,
{
    MountedDoc {
        method,
        handler: crate::inventory::entry_of::<H>(),
        admits: |state| {
            <<H as GuardedHandler<T>>::Caller as Authenticates<S>>::admits(state, sealed::Seal)
        },
    }
}

impl<S> std::fmt::Debug for SecureMethodRouter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureMethodRouter").finish_non_exhaustive()
    }
}

macro_rules! method {
    ($name:ident, $filter:ident, $doc:literal) => {
        #[doc = $doc]
        pub fn $name<H, T, S>(handler: H) -> SecureMethodRouter<S>
        where
            H: Handler<T, S> + GuardedHandler<T>,
            <H as GuardedHandler<T>>::Caller: Authenticates<S>,
            T: 'static,
            S: Clone + Send + Sync + 'static,
        {
            SecureMethodRouter {
                inner: MethodRouter::new().on(MethodFilter::$filter, authenticate_first(handler)),
                methods: vec![http::Method::$filter],
                #[cfg(feature = "utoipa")]
                docs: vec![mounted_doc::<H, T, S>(http::Method::$filter)],
            }
        }

        impl<S: Clone + Send + Sync + 'static> SecureMethodRouter<S> {
            #[doc = $doc]
            pub fn $name<H, T>(self, handler: H) -> Self
            where
                H: Handler<T, S> + GuardedHandler<T>,
                <H as GuardedHandler<T>>::Caller: Authenticates<S>,
                T: 'static,
            {
                let mut methods = self.methods;
                methods.push(http::Method::$filter);
                #[cfg(feature = "utoipa")]
                let docs = {
                    let mut docs = self.docs;
                    docs.push(mounted_doc::<H, T, S>(http::Method::$filter));
                    docs
                };
                SecureMethodRouter {
                    inner: self
                        .inner
                        .on(MethodFilter::$filter, authenticate_first(handler)),
                    methods,
                    #[cfg(feature = "utoipa")]
                    docs,
                }
            }
        }
    };
}

fn authenticate_first<H, T>(handler: H) -> AuthenticateFirst<H, <H as GuardedHandler<T>>::Caller>
where
    H: GuardedHandler<T>,
{
    AuthenticateFirst {
        early: early_gates_of::<H>(),
        handler,
        caller: PhantomData,
    }
}

method!(
    get,
    GET,
    "Serves `GET` (and `HEAD`) with a guarded or public handler."
);
method!(
    post,
    POST,
    "Serves `POST` with a guarded or public handler."
);
method!(put, PUT, "Serves `PUT` with a guarded or public handler.");
method!(
    patch,
    PATCH,
    "Serves `PATCH` with a guarded or public handler."
);
method!(
    delete,
    DELETE,
    "Serves `DELETE` with a guarded or public handler."
);

/// A router that mounts only guarded or public handlers: deny by default.
///
/// Every route is added through [`SecureMethodRouter`], whose constructors accept
/// only handlers under `#[requires]` or `#[public]`. A handler that has neither
/// does not compile:
///
/// ```compile_fail
/// use auth_core::axum::{get, SecureRouter};
///
/// async fn forgot_the_check() -> &'static str { "every order" }
///
/// let app: axum::Router = SecureRouter::new().route("/orders", get(forgot_the_check)).into_router();
/// ```
///
/// Finish it with [`with_state`](Self::with_state) or
/// [`into_router`](Self::into_router). What you add to the returned
/// [`axum::Router`] afterwards is outside the check: keep that to
/// things that are not handlers, such as middleware layers (`.layer(..)` wraps
/// every route) or a fallback that only answers 404.
#[must_use]
pub struct SecureRouter<S = ()> {
    inner: Router<S>,
    /// Every (method, path) mounted, for [`routes`](Self::routes).
    routes: Vec<(http::Method, String)>,
    /// Every handler mounted, by path, for [`openapi_security`](Self::openapi_security).
    #[cfg(feature = "utoipa")]
    docs: Vec<(String, MountedDoc<S>)>,
}

impl<S> std::fmt::Debug for SecureRouter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureRouter").finish_non_exhaustive()
    }
}

impl<S: Clone + Send + Sync + 'static> Default for SecureRouter<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> SecureRouter<S> {
    /// An empty router.
    pub fn new() -> Self {
        SecureRouter {
            inner: Router::new(),
            routes: Vec::new(),
            #[cfg(feature = "utoipa")]
            docs: Vec::new(),
        }
    }

    /// Serves `path` with `methods`.
    pub fn route(self, path: &str, methods: SecureMethodRouter<S>) -> Self {
        let mut routes = self.routes;
        routes.extend(methods.methods.into_iter().map(|m| (m, path.to_owned())));
        #[cfg(feature = "utoipa")]
        let docs = {
            let mut docs = self.docs;
            docs.extend(methods.docs.into_iter().map(|d| (path.to_owned(), d)));
            docs
        };
        SecureRouter {
            inner: self.inner.route(path, methods.inner),
            routes,
            #[cfg(feature = "utoipa")]
            docs,
        }
    }

    /// Serves another secure router under `path`.
    pub fn nest(self, path: &str, nested: SecureRouter<S>) -> Self {
        let mut mounted = self.routes;
        let prefix = path.trim_end_matches('/');
        mounted.extend(
            nested
                .routes
                .into_iter()
                .map(|(method, inner)| (method, format!("{prefix}{inner}"))),
        );
        #[cfg(feature = "utoipa")]
        let docs = {
            let mut docs = self.docs;
            docs.extend(
                nested
                    .docs
                    .into_iter()
                    .map(|(inner, d)| (format!("{prefix}{inner}"), d)),
            );
            docs
        };
        SecureRouter {
            inner: self.inner.nest(path, nested.inner),
            routes: mounted,
            #[cfg(feature = "utoipa")]
            docs,
        }
    }

    /// Merges another secure router's routes into this one.
    pub fn merge(self, other: SecureRouter<S>) -> Self {
        let mut routes = self.routes;
        routes.extend(other.routes);
        #[cfg(feature = "utoipa")]
        let docs = {
            let mut docs = self.docs;
            docs.extend(other.docs);
            docs
        };
        SecureRouter {
            inner: self.inner.merge(other.inner),
            routes,
            #[cfg(feature = "utoipa")]
            docs,
        }
    }

    /// Every route mounted so far, as (method, path template), in the order
    /// mounted: what an access matrix probes
    /// (`auth_core::testing::AccessMatrix`, feature `testing`).
    pub fn routes(&self) -> &[(http::Method, String)] {
        &self.routes
    }

    /// The security of every route mounted so far, for its OpenAPI document
    /// (feature `utoipa`, [`crate::openapi`]): each route's handler record and
    /// gates, and the credentials the authenticator that `state` provides
    /// reads. Write it into the document with
    /// [`apply`](crate::openapi::OpenApiSecurity::apply), check a served one
    /// with [`verify`](crate::openapi::OpenApiSecurity::verify).
    #[cfg(feature = "utoipa")]
    #[cfg_attr(docsrs, doc(cfg(feature = "utoipa")))]
    pub fn openapi_security(&self, state: &S) -> crate::openapi::OpenApiSecurity {
        self.docs.iter().fold(
            crate::openapi::OpenApiSecurity::new(),
            |security, (path, doc)| {
                security.route_found(
                    doc.method.clone(),
                    path.clone(),
                    doc.handler,
                    (doc.admits)(state),
                )
            },
        )
    }

    /// Provides the state and finishes the router.
    pub fn with_state<S2>(self, state: S) -> Router<S2> {
        self.inner.with_state(state)
    }

    /// Finishes the router, still waiting for its state.
    pub fn into_router(self) -> Router<S> {
        self.inner
    }
}
