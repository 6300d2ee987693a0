//! A tower layer that authenticates any `http::Request` (feature `tower`): for
//! hyper, tonic, axum, or anything else built on tower.
//!
//! [`AuthLayer`] runs a [`SharedAuthenticator<U>`] on every request,
//! asynchronously, before the inner service, and records what it found in the
//! request's extensions as an [`Outcome<U>`]. It answers nothing itself: it
//! cannot know which routes are public. The consumer reads the outcome with
//! [`authenticated`] (or [`optional`] for optional sign-in) and answers a
//! [`Refused`] with its status and challenges.
//!
//! - **Fails closed.** A consumer that finds no outcome (the layer was
//!   forgotten, or another principal type was layered) gets a 500
//!   [`AuthError::Misconfigured`], never a principal and never a guest.
//! - **Per-authenticator cache, as the adapters keep it.** The principal is
//!   kept under the identity of the authenticator that verified it. axum's
//!   [`Authenticated`] extractor (feature `axum`) behind this layer reuses the
//!   layer's answer when its router state holds the *same*
//!   `SharedAuthenticator` (a clone of it), and verifies again when it holds
//!   another one; [`authenticated`] reads the outcome of the innermost layer
//!   for `U`.
//! - A failure is recorded with the authenticator's `WWW-Authenticate`
//!   challenges ([`Refused::challenges`]), one per scheme it reads, as the other
//!   adapters send them.
//!
//! The request context ([`crate::context`]) reads
//! [`PeerAddr`](crate::context::PeerAddr) and
//! [`MatchedRoute`](crate::context::MatchedRoute) from the extensions: insert
//! them in a layer outside this one when your server knows them (tonic's
//! `auth_core::tonic::SecureServer` does).
//!
//! ```
//! use std::convert::Infallible;
//! use auth_core::tower::{authenticated, AuthLayer};
//! use auth_core::SharedAuthenticator;
//! use tower::{Layer, Service, ServiceExt};
//! # use auth_core::{AuthError, Authenticator, Identity, Mechanism};
//! # #[derive(Clone)] struct User;
//! # struct Key;
//! # impl Authenticator for Key {
//! #     type User = User;
//! #     async fn authenticate(&self, r: &http::request::Parts) -> Result<Identity<User>, AuthError> {
//! #         match r.headers.get("authorization") {
//! #             None => Err(AuthError::MissingCredentials),
//! #             Some(v) if v == "Bearer good" => Ok(Identity::new(User, "ada", Mechanism::BearerToken)),
//! #             Some(_) => Err(auth_core::TokenError::InvalidSignature.into()),
//! #         }
//! #     }
//! # }
//!
//! // Any tower service of `http::Request<B>`: here a plain function.
//! let inner = tower::service_fn(|request: http::Request<()>| async move {
//!     let response = match authenticated::<User>(request.extensions()) {
//!         Ok(user) => http::Response::new(format!("hello {}", user.subject())),
//!         Err(refused) => refused.response(),
//!     };
//!     Ok::<_, Infallible>(response)
//! });
//! let auth = SharedAuthenticator::new(Key).with_realm("orders");
//! let mut service = AuthLayer::new(auth).layer(inner);
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let request = http::Request::builder().header("authorization", "Bearer good").body(()).unwrap();
//! let response = service.ready().await.unwrap().call(request).await.unwrap();
//! assert_eq!(response.body(), "hello ada");
//!
//! let response = service.ready().await.unwrap().call(http::Request::new(())).await.unwrap();
//! assert_eq!(response.status(), 401);
//! assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="orders""#);
//! # });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderValue, Request};

use crate::authn::once::authenticate_once;
use crate::{AuthError, Authenticated, SharedAuthenticator};

/// Authenticates every request with a [`SharedAuthenticator<U>`] and records
/// the [`Outcome<U>`] in its extensions. See the [module docs](self).
pub struct AuthLayer<U> {
    authenticator: SharedAuthenticator<U>,
}

impl<U> Clone for AuthLayer<U> {
    fn clone(&self) -> Self {
        AuthLayer {
            authenticator: self.authenticator.clone(),
        }
    }
}

impl<U> std::fmt::Debug for AuthLayer<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLayer").finish_non_exhaustive()
    }
}

impl<U: Send + Sync + 'static> AuthLayer<U> {
    /// A layer that authenticates with `authenticator`.
    pub fn new(authenticator: SharedAuthenticator<U>) -> Self {
        AuthLayer { authenticator }
    }
}

impl<S, U> tower_layer::Layer<S> for AuthLayer<U> {
    type Service = AuthService<S, U>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            authenticator: self.authenticator.clone(),
        }
    }
}

/// The service of an [`AuthLayer`].
pub struct AuthService<S, U> {
    inner: S,
    authenticator: SharedAuthenticator<U>,
}

impl<S: Clone, U> Clone for AuthService<S, U> {
    fn clone(&self) -> Self {
        AuthService {
            inner: self.inner.clone(),
            authenticator: self.authenticator.clone(),
        }
    }
}

impl<S, U> std::fmt::Debug for AuthService<S, U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService").finish_non_exhaustive()
    }
}

impl<S, U, B> tower_service::Service<Request<B>> for AuthService<S, U>
where
    S: tower_service::Service<Request<B>> + Clone + Send + 'static,
    S::Future: Send,
    B: Send + 'static,
    U: Clone + Send + Sync + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone that was driven to readiness serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let authenticator = self.authenticator.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            record(&mut parts, &authenticator).await;
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}

/// Authenticates `parts` once for `authenticator` (through the shared cache)
/// and records the outcome; returns a copy of it.
pub(crate) async fn record<U>(
    parts: &mut Parts,
    authenticator: &SharedAuthenticator<U>,
) -> Outcome<U>
where
    U: Clone + Send + Sync + 'static,
{
    let result = match authenticate_once(parts, authenticator).await {
        Ok(principal) => Ok(principal),
        Err(error) => Err(Refused {
            challenges: authenticator.challenges(&error, parts).into(),
            error: Arc::new(error),
            realm: authenticator.realm_arc(),
        }),
    };
    let outcome = Outcome { result };
    parts.extensions.insert(outcome.clone());
    outcome
}

/// What the innermost [`AuthLayer`] for `U` found, kept in the request's
/// extensions. Read it with [`authenticated`] or [`optional`].
pub struct Outcome<U> {
    result: Result<Authenticated<U>, Refused>,
}

impl<U: Clone> Clone for Outcome<U> {
    fn clone(&self) -> Self {
        Outcome {
            result: self.result.clone(),
        }
    }
}

impl<U> std::fmt::Debug for Outcome<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.result {
            Ok(principal) => f
                .debug_tuple("Authenticated")
                .field(&principal.subject())
                .finish(),
            Err(refused) => f.debug_tuple("Refused").field(refused).finish(),
        }
    }
}

impl<U> Outcome<U> {
    /// The principal, or why there is none.
    ///
    /// # Errors
    /// The authenticator's refusal, [`AuthError::MissingCredentials`] included.
    pub fn principal(&self) -> Result<&Authenticated<U>, &Refused> {
        self.result.as_ref()
    }
}

/// Why the layer found no principal: the error, the authenticator's realm, and
/// its `WWW-Authenticate` challenges for this request.
#[derive(Debug, Clone)]
pub struct Refused {
    error: Arc<AuthError>,
    realm: Arc<str>,
    challenges: Arc<[String]>,
}

impl Refused {
    /// The refusal of a consumer that found no [`Outcome`]: a 500, never an
    /// allow.
    fn no_layer() -> Self {
        Refused {
            error: Arc::new(AuthError::misconfigured(
                "no AuthLayer authenticated this request: wrap the service in `auth_core::tower::AuthLayer`",
            )),
            realm: Arc::from(""),
            challenges: Arc::from([]),
        }
    }

    /// The error: its [`status`](AuthError::status) is the answer.
    pub fn error(&self) -> &AuthError {
        &self.error
    }

    /// The realm the challenges name.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The `WWW-Authenticate` values to send, one header each: empty when the
    /// error calls for none (a 500, a 503).
    pub fn challenges(&self) -> &[String] {
        &self.challenges
    }

    /// An HTTP response for this refusal: the status, one `WWW-Authenticate`
    /// header per challenge, `Retry-After` where known, and the JSON body of
    /// [`ErrorResponse::json_body`](crate::ErrorResponse::json_body).
    pub fn response<B: From<String>>(&self) -> http::Response<B> {
        let wire = self.error.response(&self.realm);
        let mut response = http::Response::new(B::from(wire.json_body()));
        *response.status_mut() = wire.status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for challenge in self.challenges.iter() {
            if let Ok(value) = HeaderValue::from_str(challenge) {
                headers.append(WWW_AUTHENTICATE, value);
            }
        }
        if let Some(seconds) = wire.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The principal the innermost [`AuthLayer`] for `U` verified on this request.
///
/// # Errors
/// The layer's [`Refused`] ([`AuthError::MissingCredentials`] when nothing
/// was sent); a 500 [`AuthError::Misconfigured`] when no layer for `U` ran.
pub fn authenticated<U: Clone + Send + Sync + 'static>(
    extensions: &http::Extensions,
) -> Result<Authenticated<U>, Refused> {
    match extensions.get::<Outcome<U>>() {
        Some(outcome) => outcome.result.clone(),
        None => Err(Refused::no_layer()),
    }
}

/// Optional sign-in: `None` when no credential was sent. A credential that
/// failed is still refused (a 401, or a 503 for an outage), never a silent
/// guest.
///
/// # Errors
/// As [`authenticated`], but for a missing credential.
pub fn optional<U: Clone + Send + Sync + 'static>(
    extensions: &http::Extensions,
) -> Result<Option<Authenticated<U>>, Refused> {
    match authenticated(extensions) {
        Ok(principal) => Ok(Some(principal)),
        Err(refused) if matches!(*refused.error, AuthError::MissingCredentials) => Ok(None),
        Err(refused) => Err(refused),
    }
}
