//! actix-web 4 integration (feature `actix-web`).
//!
//! - [`Authenticated<U>`] is an extractor ([`FromRequest`]): it runs the
//!   [`SharedAuthenticator<U>`] registered as app data
//!   (`App::new().app_data(web::Data::new(authenticator))`), and rejects with 401
//!   and an RFC 6750 challenge. It authenticates once per request (the principal,
//!   which must be `Clone`, is kept in the request extensions). `Option<Authenticated<U>>` is actix's own optional
//!   extractor: any failure becomes `None`, so guarded handlers should take the
//!   plain type.
//! - [`AuthError`] is a [`ResponseError`] and [`Guarded<T>`] a [`Responder`], through
//!   the core's one mapping ([`AuthError::response`]).
//! - [`SecureScope`] mounts only `#[requires]` or `#[public]` handlers.
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

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{AppService, HttpServiceFactory, Payload};
use actix_web::http::StatusCode;
use actix_web::{
    FromRequest, Handler, HttpMessage, HttpRequest, HttpResponse, Responder, ResponseError, web,
};
use http::request::Parts;

use crate::mount::GuardedOutput;
use crate::{AuthError, Authenticated, Guarded, SharedAuthenticator};

/// The rejection of the [`Authenticated`] extractor: an [`AuthError`] with the
/// realm its challenge names.
#[derive(Debug)]
pub struct AuthRejection {
    error: AuthError,
    realm: Arc<str>,
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

    fn error_response(&self) -> HttpResponse<BoxBody> {
        error_response(&self.error, &self.realm)
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
    let wire = error.response(realm);
    let mut response = HttpResponse::build(status(error));
    response.content_type("application/json");
    if let Some(challenge) = wire.www_authenticate.as_deref() {
        response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, challenge));
    }
    response.body(wire.json_body())
}

impl<T: Responder> Responder for Guarded<T> {
    type Body = EitherBody<T::Body>;

    /// The handler's response, or its denial's.
    fn respond_to(self, request: &HttpRequest) -> HttpResponse<Self::Body> {
        let (outcome, realm) = self.into_parts();
        match outcome {
            Ok(value) => value.respond_to(request).map_into_left_body(),
            Err(error) => {
                error_response(&error, realm.as_deref().unwrap_or("")).map_into_right_body()
            }
        }
    }
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
    builder
        .body(())
        .map(|request| request.into_parts().0)
        .map_err(malformed)
}

/// The principal of this request, once authenticated.
#[derive(Clone)]
struct Cached<U>(Authenticated<U>);

impl<U: Clone + Send + Sync + 'static> FromRequest for Authenticated<U> {
    type Error = AuthRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthRejection>>>>;

    /// Authenticates once per request: the principal is kept in the request's
    /// extensions, so a resource extractor may ask for it first (to let 401 win
    /// over 404) without a second verification.
    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        if let Some(Cached(principal)) = request.extensions().get::<Cached<U>>() {
            let principal = principal.clone();
            return Box::pin(async move { Ok(principal) });
        }
        let authenticator = request
            .app_data::<web::Data<SharedAuthenticator<U>>>()
            .map(|data| SharedAuthenticator::clone(data));
        let head = head(request);
        let request = request.clone();
        Box::pin(async move {
            let Some(authenticator) = authenticator else {
                // A server without an authenticator must not run guarded
                // handlers: fail closed, and say why in the log.
                tracing::error!(
                    target: crate::audit::TARGET,
                    "no `web::Data<SharedAuthenticator<_>>` is registered; refusing the request"
                );
                return Err(AuthRejection {
                    error: AuthError::Unavailable {
                        component: "authenticator",
                        source: None,
                    },
                    realm: Arc::from(""),
                });
            };
            let realm = authenticator.realm_arc();
            let result = match head {
                Ok(head) => crate::authenticate(&authenticator, &head).await,
                Err(error) => Err(error),
            };
            let principal = result.map_err(|error| AuthRejection { error, realm })?;
            request.extensions_mut().insert(Cached(principal.clone()));
            Ok(principal)
        })
    }
}

/// A handler whose output is [`Guarded`]: one under `#[requires]` or `#[public]`.
/// `Args` is actix's tuple of extractors.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither `#[requires(..)]` nor `#[public]`, so a `SecureScope` will not mount it",
    label = "unguarded handler",
    note = "add `#[auth_core::requires(..)]` to say who may call it, or `#[auth_core::public]` if anyone may"
)]
pub trait GuardedHandler<Args> {}

macro_rules! guarded_handler {
    ($($ty:ident),*) => {
        impl<F, Fut, $($ty,)*> GuardedHandler<($($ty,)*)> for F
        where
            F: Fn($($ty,)*) -> Fut,
            Fut: Future,
            Fut::Output: GuardedOutput,
        {
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
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            SecureRoute {
                inner: web::$name().to(handler),
            }
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
