//! actix-web 4 integration (feature `actix-web`).
//!
//! - [`Authenticated<U>`] is an extractor ([`FromRequest`]): it runs the
//!   [`SharedAuthenticator<U>`] registered as app data
//!   (`App::new().app_data(web::Data::new(authenticator))`), and rejects with 401
//!   and an RFC 6750 challenge. It authenticates once per request *and
//!   authenticator* (the principal, which must be `Clone`, is kept in the request
//!   extensions under the identity of the `SharedAuthenticator` that verified it).
//!   Its future holds no `HttpRequest`, so a middleware may await it around the
//!   inner service. An app without an authenticator answers 500 and logs why.
//! - [`AuthError`] is a [`ResponseError`] and [`Guarded<T, C>`] a [`Responder`],
//!   through the core's one mapping ([`AuthError::response`]), with `Retry-After`
//!   on a 503 whose cause knows when, and on a 429 with the `RateLimit-Policy`
//!   and `RateLimit` headers.
//! - [`SecureScope`] mounts only `#[requires]` or `#[public]` handlers, and
//!   authenticates the caller a handler admits *before* any of its extractors
//!   run. actix-web polls a handler's extractors concurrently, so without this a
//!   resource loader or a path parser could answer 404 to a caller with no
//!   credentials; on a `SecureScope`, 401 comes first in any parameter order.
//!   Then the handler's *early gates* (its leading function-level gates that need
//!   only the principal) run before any of its extractors: a caller they refuse
//!   gets its 403, never a 400 or 404 that describes the route's input, and no
//!   loader queries anything for it. The handler's body checks every gate again.
//! - `Option<Authenticated<U>>` is actix's own optional extractor, which turns any
//!   failure into `None`. On a [`SecureScope`] a `#[public]` handler taking it is
//!   authenticated first, so a bad credential answers 401 (an outage 503) exactly
//!   as on axum, and only a request without credentials reaches the handler as a
//!   guest. Outside a `SecureScope`, actix's extractor is on its own: mount
//!   handlers with optional sign-in on a `SecureScope`.
//!
//! ```
//! use actix_web::{web, App};
//! use auth_core::actix::{get, SecureScope};
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
//! let authenticator = SharedAuthenticator::new(Jwt).with_realm("orders-api");
//! let app = App::new()
//!     .app_data(web::Data::new(authenticator))
//!     .service(SecureScope::new("").route("/health", get(health)).route("/me", get(me)));
//! ```

use std::cell::OnceCell;
use std::fmt;
use std::future::{Future, ready};
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{AppService, HttpServiceFactory, Payload};
use actix_web::http::StatusCode;
use actix_web::{
    FromRequest, Handler, HttpMessage, HttpRequest, HttpResponse, Responder, ResponseError, web,
};
use http::request::Parts;

use crate::coverage::{Covered, Mode, uncovered};
use crate::inventory::{EarlyGates, HandlerInfo, early_gates_of};
use crate::mount::{Admission, Caller, GuardedOutput};
use crate::{AuthError, Authenticated, Guarded, SharedAuthenticator};

/// The rejection of the [`Authenticated`] extractor: an [`AuthError`] with the
/// realm its challenge names.
#[derive(Debug)]
pub struct AuthRejection {
    error: AuthError,
    realm: Arc<str>,
    /// The authenticator's challenges, one per scheme it reads, when the
    /// authenticator (not a gate) refused.
    challenges: Option<Vec<String>>,
}

impl AuthRejection {
    /// The error behind the rejection.
    pub fn error(&self) -> &AuthError {
        &self.error
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        status(&self.error)
    }

    /// The refusal, marked as covered ([`crate::coverage`]): no handler ran.
    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut response = match &self.challenges {
            Some(challenges) => challenged_response(&self.error, &self.realm, challenges),
            None => error_response(&self.error, &self.realm),
        };
        response.extensions_mut().insert(Covered);
        response
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        status(self)
    }

    /// The error's status, challenge (without a realm) and JSON body.
    fn error_response(&self) -> HttpResponse<BoxBody> {
        error_response(self, "")
    }
}

fn status(error: &AuthError) -> StatusCode {
    StatusCode::from_u16(error.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn error_response(error: &AuthError, realm: &str) -> HttpResponse<BoxBody> {
    let challenges: Vec<String> = error.challenge(realm).into_iter().collect();
    challenged_response(error, realm, &challenges)
}

/// The response to `error`, with one `WWW-Authenticate` header per challenge.
fn challenged_response(
    error: &AuthError,
    realm: &str,
    challenges: &[String],
) -> HttpResponse<BoxBody> {
    let wire = error.response(realm);
    let mut response = HttpResponse::build(status(error));
    response.content_type("application/json");
    for challenge in challenges {
        response.append_header((
            actix_web::http::header::WWW_AUTHENTICATE,
            challenge.as_str(),
        ));
    }
    if let Some(seconds) = wire.retry_after {
        response.insert_header((actix_web::http::header::RETRY_AFTER, seconds));
    }
    // A 429's RateLimit fields (draft-ietf-httpapi-ratelimit-headers-11).
    if let Some(value) = &wire.ratelimit_policy {
        response.insert_header(("ratelimit-policy", value.as_str()));
    }
    if let Some(value) = &wire.ratelimit {
        response.insert_header(("ratelimit", value.as_str()));
    }
    response.body(wire.json_body())
}

impl<T: Responder, C> Responder for Guarded<T, C> {
    type Body = EitherBody<T::Body>;

    /// The handler's response, or its denial's, marked as covered
    /// ([`crate::coverage`]).
    fn respond_to(self, request: &HttpRequest) -> HttpResponse<Self::Body> {
        let (outcome, realm) = self.into_parts();
        let mut response = match outcome {
            Ok(value) => value.respond_to(request).map_into_left_body(),
            Err(error) => {
                error_response(&error, realm.as_deref().unwrap_or("")).map_into_right_body()
            }
        };
        response.extensions_mut().insert(Covered);
        response
    }
}

/// Coverage in strict mode ([`crate::coverage`]): a response that no guarded
/// or public handler made, and that was not made on a secure scope, becomes a
/// 500 with an `ERROR` audit event. Wrap the whole application:
///
/// ```
/// use actix_web::{App, middleware::from_fn};
///
/// let app = App::new()
///     .wrap(from_fn(auth_core::actix::require_coverage))
///     .service(auth_core::actix::SecureScope::new("/api"));
/// ```
///
/// # Errors
/// Whatever the wrapped service answered with an error.
pub async fn require_coverage(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    coverage(Mode::Strict, request, next).await
}

/// Coverage in report mode ([`crate::coverage`]): an uncovered response goes
/// out, with a `WARN` audit event naming its method and route.
///
/// # Errors
/// Whatever the wrapped service answered with an error.
pub async fn report_coverage(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    coverage(Mode::Report, request, next).await
}

async fn coverage<B: actix_web::body::MessageBody + 'static>(
    mode: Mode,
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<actix_web::dev::ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let response = next.call(request).await?;
    if response.response().extensions().get::<Covered>().is_some() {
        return Ok(response.map_into_left_body());
    }
    let method = response.request().method().as_str().to_owned();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| response.request().path().to_owned());
    Ok(match uncovered(mode, &method, &route) {
        Some(error) => {
            let (request, _) = response.into_parts();
            actix_web::dev::ServiceResponse::new(request, error_response(&error, ""))
                .map_into_right_body()
        }
        None => response.map_into_left_body(),
    })
}

/// The request head as `http` 1.x types, which authenticators read.
fn head(request: &HttpRequest) -> Result<Parts, AuthError> {
    fn malformed<E>(_: E) -> AuthError {
        AuthError::invalid_request("the request head could not be read")
    }
    let mut builder = http::Request::builder()
        .method(request.method().as_str())
        .uri(request.uri().to_string());
    for (name, value) in request.headers() {
        let name = http::HeaderName::from_bytes(name.as_str().as_bytes()).map_err(malformed)?;
        let value = http::HeaderValue::from_bytes(value.as_bytes()).map_err(malformed)?;
        builder = builder.header(name, value);
    }
    let mut parts = builder
        .body(())
        .map(|request| request.into_parts().0)
        .map_err(malformed)?;
    // For the request context: the peer and the route template.
    if let Some(peer) = request.peer_addr() {
        parts.extensions.insert(crate::context::PeerAddr(peer));
    }
    if let Some(pattern) = request.match_pattern() {
        parts
            .extensions
            .insert(crate::context::MatchedRoute(pattern.into()));
    }
    Ok(parts)
}

/// What this request was authenticated as, per [`SharedAuthenticator`] (by its
/// identity, never by type alone). Each slot is filled once, by the first
/// extraction that finishes; extractions share it through an `Rc`, not through the
/// `HttpRequest`.
struct Cache<U> {
    slots: Vec<(u64, Rc<OnceCell<Entry<U>>>)>,
}

#[derive(Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per request and authenticator, kept in the request: boxing would add an allocation to save bytes nobody keeps"
)]
enum Entry<U> {
    Authenticated(Authenticated<U>),
    /// No credential was sent.
    Missing,
}

type AuthFuture<U> = Pin<Box<dyn Future<Output = Result<Authenticated<U>, AuthRejection>>>>;

impl<U: Clone + Send + Sync + 'static> FromRequest for Authenticated<U> {
    type Error = AuthRejection;
    type Future = AuthFuture<U>;

    /// Authenticates once per request and authenticator. The future holds no
    /// `HttpRequest` (actix-web's router needs it unshared), so a middleware may
    /// keep it while it calls the inner service.
    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let Some(authenticator) = request
            .app_data::<web::Data<SharedAuthenticator<U>>>()
            .map(|data| SharedAuthenticator::clone(data))
        else {
            // A server without an authenticator must not run guarded handlers:
            // fail closed, and say why in the log.
            tracing::error!(
                target: crate::audit::TARGET,
                "no `web::Data<SharedAuthenticator<_>>` is registered; refusing the request"
            );
            return Box::pin(ready(Err(AuthRejection {
                error: AuthError::misconfigured(
                    "no `web::Data<SharedAuthenticator<_>>` is registered with the app",
                ),
                realm: Arc::from(""),
                challenges: None,
            })));
        };
        let realm = authenticator.realm_arc();
        let admitted = request
            .extensions()
            .get::<Admission>()
            .map(Admission::check::<U>);
        if let Some(Err(error)) = admitted {
            return Box::pin(ready(Err(AuthRejection {
                error,
                realm,
                challenges: None,
            })));
        }
        let slot = slot::<U>(request, authenticator.id());
        match slot.get() {
            Some(Entry::Authenticated(principal)) => return Box::pin(ready(Ok(principal.clone()))),
            Some(Entry::Missing) => {
                let error = AuthError::MissingCredentials;
                let challenges = head(request)
                    .ok()
                    .map(|head| authenticator.challenges(&error, &head));
                return Box::pin(ready(Err(AuthRejection {
                    error,
                    realm,
                    challenges,
                })));
            }
            None => {}
        }
        let head = head(request);
        Box::pin(async move {
            let (result, challenges) = match head {
                Ok(head) => {
                    let result = crate::authenticate(&authenticator, &head).await;
                    let challenges = result
                        .as_ref()
                        .err()
                        .map(|error| authenticator.challenges(error, &head));
                    (result, challenges)
                }
                Err(error) => (Err(error), None),
            };
            match &result {
                Ok(principal) => {
                    let _ = slot.set(Entry::Authenticated(principal.clone()));
                }
                Err(AuthError::MissingCredentials) => {
                    let _ = slot.set(Entry::Missing);
                }
                Err(_) => {}
            }
            result.map_err(|error| AuthRejection {
                error,
                realm,
                challenges,
            })
        })
    }
}

/// The cache slot of authenticator `id` in `request`, made if missing.
fn slot<U: 'static>(request: &HttpRequest, id: u64) -> Rc<OnceCell<Entry<U>>> {
    let mut extensions = request.extensions_mut();
    if extensions.get::<Cache<U>>().is_none() {
        extensions.insert(Cache::<U> { slots: Vec::new() });
    }
    match extensions.get_mut::<Cache<U>>() {
        Some(cache) => {
            if let Some((_, slot)) = cache.slots.iter().find(|(known, _)| *known == id) {
                Rc::clone(slot)
            } else {
                let slot = Rc::new(OnceCell::new());
                cache.slots.push((id, Rc::clone(&slot)));
                slot
            }
        }
        // Just inserted; a slot that is not kept only costs a second verification.
        None => Rc::new(OnceCell::new()),
    }
}

/// How a [`SecureScope`] authenticates the caller a handler admits (the `C` of
/// its [`Guarded<T, C>`] output) before the handler's own extractors run. Sealed.
pub trait Authenticates: Caller + Sized + 'static {
    /// Authenticates `request` as the handler needs; `Err` is the response. The
    /// `Seal` cannot be named outside this crate, so no other impl can be written.
    #[doc(hidden)]
    fn authenticate_first(
        request: &HttpRequest,
        seal: sealed::Seal,
    ) -> Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    /// Runs the handler's early gates on this caller; `Err` is the response.
    #[doc(hidden)]
    fn early(
        &self,
        _gates: (&'static HandlerInfo, EarlyGates),
        _seal: sealed::Seal,
    ) -> Result<(), actix_web::Error> {
        Ok(())
    }
}

impl Authenticates for () {
    fn authenticate_first(
        _request: &HttpRequest,
        _seal: sealed::Seal,
    ) -> Pin<Box<dyn Future<Output = Result<(), actix_web::Error>>>> {
        Box::pin(ready(Ok(())))
    }
}

impl<U: Clone + Send + Sync + 'static> Authenticates for Authenticated<U> {
    fn authenticate_first(
        request: &HttpRequest,
        _seal: sealed::Seal,
    ) -> Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>> {
        let principal = Authenticated::<U>::from_request(request, &mut Payload::None);
        Box::pin(async move { principal.await.map_err(actix_web::Error::from) })
    }

    fn early(
        &self,
        (record, early): (&'static HandlerInfo, EarlyGates),
        _seal: sealed::Seal,
    ) -> Result<(), actix_web::Error> {
        early(record, self).map_err(|error| {
            AuthRejection {
                error,
                realm: self.info().realm_arc().unwrap_or_else(|| Arc::from("")),
                challenges: None,
            }
            .into()
        })
    }
}

impl<U: Clone + Send + Sync + 'static> Authenticates for Option<Authenticated<U>> {
    fn authenticate_first(
        request: &HttpRequest,
        _seal: sealed::Seal,
    ) -> Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>> {
        let principal = Authenticated::<U>::from_request(request, &mut Payload::None);
        Box::pin(async move {
            match principal.await {
                Ok(principal) => Ok(Some(principal)),
                Err(rejection) if matches!(rejection.error, AuthError::MissingCredentials) => {
                    Ok(None)
                }
                Err(rejection) => Err(rejection.into()),
            }
        })
    }
}

/// A handler's extractors' outcome, after its caller was authenticated and its
/// early gates had their say: a caller they refuse gets the 403 in place of the
/// arguments (no extractor ran), never the 400 or 422 that would tell the route's
/// input schema.
struct AuthenticatedFirst<C, Args> {
    args: Result<Args, actix_web::Error>,
    admission: Admission,
    caller: PhantomData<fn() -> C>,
}

impl<C, Args> FromRequest for AuthenticatedFirst<C, Args>
where
    C: Authenticates,
    Args: FromRequest + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let authenticated = C::authenticate_first(request, sealed::Seal);
        let request = request.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let caller = authenticated.await?;
            // The route's early gates, put there by its `SecureRoute`: a caller
            // they refuse has none of the handler's extractors run (no loader's
            // query, no body read), and gets the 403.
            let early = request
                .extensions()
                .get::<RouteEarlyGates>()
                .and_then(|gates| gates.0);
            let admission = Admission::of::<C>();
            request.extensions_mut().insert(admission.clone());
            let args = match early.map(|gates| caller.early(gates, sealed::Seal)) {
                Some(Err(refusal)) => Err(refusal),
                Some(Ok(())) | None => Args::from_request(&request, &mut payload)
                    .await
                    .map_err(Into::into),
            };
            Ok(AuthenticatedFirst {
                args,
                admission,
                caller: PhantomData,
            })
        })
    }
}

/// A route's early gates, as a request extension that only this module can
/// name: the route's middleware inserts them, [`AuthenticatedFirst`] runs them
/// right after authentication, before any of the handler's extractors.
#[derive(Clone, Copy)]
struct RouteEarlyGates(Option<(&'static HandlerInfo, EarlyGates)>);

/// A handler of a [`SecureScope`]: authenticates its caller first, runs its
/// early gates, then extracts its arguments and runs it.
struct AuthenticateFirst<F, C> {
    handler: F,
    caller: PhantomData<fn() -> C>,
}

impl<F: Clone, C> Clone for AuthenticateFirst<F, C> {
    fn clone(&self) -> Self {
        AuthenticateFirst {
            handler: self.handler.clone(),
            caller: PhantomData,
        }
    }
}

impl<F, C, Args> Handler<AuthenticatedFirst<C, Args>> for AuthenticateFirst<F, C>
where
    F: Handler<Args>,
    F::Future: 'static,
    C: Authenticates,
{
    type Output = Admitted<F::Output>;
    type Future = Pin<Box<dyn Future<Output = Admitted<F::Output>>>>;

    fn call(&self, args: AuthenticatedFirst<C, Args>) -> Self::Future {
        let AuthenticatedFirst {
            args, admission, ..
        } = args;
        let output = args.map(|args| self.handler.call(args));
        Box::pin(async move {
            let output = match output {
                Ok(output) => Ok(output.await),
                Err(error) => Err(error),
            };
            Admitted { output, admission }
        })
    }
}

/// A handler's output (or the refusal or rejection that stood in for it), and
/// whether it tried to extract a principal its mount did not admit (then the
/// answer is a 500, whatever the handler made of the refusal: actix-web's
/// `Option<T>` turns it into `None`).
struct Admitted<T> {
    output: Result<T, actix_web::Error>,
    admission: Admission,
}

impl<T: Responder> Responder for Admitted<T> {
    type Body = EitherBody<T::Body>;

    fn respond_to(self, request: &HttpRequest) -> HttpResponse<Self::Body> {
        if self.admission.misused() {
            let error =
                AuthError::misconfigured("a handler extracted a principal its mount did not admit");
            return error_response(&error, "").map_into_right_body();
        }
        let mut response = match self.output {
            Ok(output) => output.respond_to(request).map_into_left_body(),
            Err(error) => error.error_response().map_into_right_body(),
        };
        // Everything a secure route answers is covered, its extractors'
        // rejections included.
        response.extensions_mut().insert(Covered);
        response
    }
}

/// A handler whose output is [`Guarded`]: one under `#[requires]` or `#[public]`.
/// `Args` is actix's tuple of extractors. Sealed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither `#[requires(..)]` nor `#[public]`, so a `SecureScope` will not mount it",
    label = "unguarded handler",
    note = "add `#[auth_core::requires(..)]` to say who may call it, or `#[auth_core::public]` if anyone may"
)]
pub trait GuardedHandler<Args>: sealed::Handler<Args> {
    /// Who the handler admits.
    type Caller: Caller;
}

mod sealed {
    /// The function shapes whose output is `Guarded`, and nothing else.
    pub trait Handler<Args> {}

    /// An argument only this crate can make.
    #[derive(Debug)]
    pub struct Seal;
}

macro_rules! guarded_handler {
    ($($ty:ident),*) => {
        impl<F, Fut, $($ty,)*> sealed::Handler<($($ty,)*)> for F
        where
            F: Fn($($ty,)*) -> Fut,
            Fut: Future,
            Fut::Output: GuardedOutput,
        {
        }

        impl<F, Fut, $($ty,)*> GuardedHandler<($($ty,)*)> for F
        where
            F: Fn($($ty,)*) -> Fut,
            Fut: Future,
            Fut::Output: GuardedOutput,
        {
            type Caller = <Fut::Output as GuardedOutput>::Caller;
        }
    };
}

guarded_handler!();
crate::mount::for_each_arity!(guarded_handler);

/// One method of one path, served by a guarded or public handler.
#[must_use]
pub struct SecureRoute {
    inner: actix_web::Route,
}

impl fmt::Debug for SecureRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecureRoute").finish_non_exhaustive()
    }
}

macro_rules! method {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        pub fn $name<F, Args>(handler: F) -> SecureRoute
        where
            F: Handler<Args> + GuardedHandler<Args>,
            <F as GuardedHandler<Args>>::Caller: Authenticates,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            let early = early_gates_of::<F>();
            let handler = AuthenticateFirst::<F, <F as GuardedHandler<Args>>::Caller> {
                handler,
                caller: PhantomData,
            };
            let inner = web::$name()
                .to::<_, AuthenticatedFirst<<F as GuardedHandler<Args>>::Caller, Args>>(handler);
            let inner = match early {
                // Before the handler's extractors: `AuthenticatedFirst` finds them.
                Some(_) => inner.wrap(actix_web::middleware::from_fn(
                    move |request: actix_web::dev::ServiceRequest,
                          next: actix_web::middleware::Next<BoxBody>| {
                        request.extensions_mut().insert(RouteEarlyGates(early));
                        next.call(request)
                    },
                )),
                None => inner,
            };
            SecureRoute { inner }
        }
    };
}

method!(get, "Serves `GET` with a guarded or public handler.");
method!(post, "Serves `POST` with a guarded or public handler.");
method!(put, "Serves `PUT` with a guarded or public handler.");
method!(patch, "Serves `PATCH` with a guarded or public handler.");
method!(delete, "Serves `DELETE` with a guarded or public handler.");

/// A scope that mounts only guarded or public handlers: deny by default.
///
/// Register it with `App::service`. A handler that has neither `#[requires]` nor
/// `#[public]` does not compile:
///
/// ```compile_fail
/// use auth_core::actix::{get, SecureScope};
///
/// async fn forgot_the_check() -> &'static str { "every order" }
///
/// let scope = SecureScope::new("").route("/orders", get(forgot_the_check));
/// ```
#[must_use]
pub struct SecureScope {
    inner: actix_web::Scope,
}

impl fmt::Debug for SecureScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecureScope").finish_non_exhaustive()
    }
}

impl SecureScope {
    /// A scope under `path` (`""` for the root).
    pub fn new(path: &str) -> Self {
        SecureScope {
            inner: web::scope(path),
        }
    }

    /// Serves `path` with `route`.
    pub fn route(self, path: &str, route: SecureRoute) -> Self {
        SecureScope {
            inner: self.inner.route(path, route.inner),
        }
    }

    /// Serves a nested secure scope.
    pub fn nest(self, scope: SecureScope) -> Self {
        SecureScope {
            inner: self.inner.service(scope.inner),
        }
    }
}

impl HttpServiceFactory for SecureScope {
    fn register(self, config: &mut AppService) {
        self.inner.register(config);
    }
}
