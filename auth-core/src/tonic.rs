//! gRPC with tonic 0.14 (feature `tonic`).
//!
//! - **Status mapping.** [`AuthError`] becomes a [`tonic::Status`]
//!   (`impl From<AuthError> for Status`, or [`status`] with a realm), so
//!   `user.authorize(order)?` works in a method body. The `www-authenticate`
//!   metadata carries the same RFC 6750 challenge as HTTP (`insufficient_scope`
//!   with its `scope` included), `retry-after` where HTTP sends `Retry-After`:
//!
//!   | HTTP | gRPC |
//!   |---|---|
//!   | 401 | `UNAUTHENTICATED` |
//!   | 403 | `PERMISSION_DENIED` |
//!   | 404 | `NOT_FOUND` |
//!   | 429 | `RESOURCE_EXHAUSTED` (with `retry-after`, `ratelimit-policy`, `ratelimit`) |
//!   | 503 | `UNAVAILABLE` (with `retry-after` when known) |
//!   | 400 | `INVALID_ARGUMENT` |
//!   | 500, anything else | `INTERNAL` |
//!
//! - **Guarded methods.** [`service`] goes on the `impl` block of a tonic service
//!   trait, *above* `#[tonic::async_trait]`. Each method carries
//!   [`#[requires(..)]`](crate::requires) or [`#[public]`](crate::public); a
//!   method with neither does not compile. A `#[requires]` method declares one
//!   extra parameter, `user: Authenticated<User>`, which the attribute removes
//!   from the signature (tonic's trait fixes it) and binds from what the
//!   server's layer authenticated; the gates are the same as everywhere, with
//!   the same audit events and guest rules.
//! - **[`SecureServer`]** serves only services whose `impl` carries [`service`],
//!   always behind the authentication layer, which cannot be forgotten. It
//!   answers an unauthenticated call to a guarded method with `UNAUTHENTICATED`
//!   *before* tonic decodes the message: no `INVALID_ARGUMENT` (a body that does
//!   not decode) and no `NOT_FOUND` (an id that does not exist) ever answers a
//!   caller who did not authenticate.
//!
//! ```no_run
//! use auth_core::tonic::SecureServer;
//! use auth_core::{Authenticated, SharedAuthenticator};
//! use tonic::{Request, Response, Status};
//! # use auth_core::{AuthError, Authenticator, Identity};
//! # #[derive(Clone)] pub struct User;
//! # struct Jwt;
//! # impl Authenticator for Jwt {
//! #     type User = User;
//! #     async fn authenticate(&self, _: &http::request::Parts) -> Result<Identity<User>, AuthError> {
//! #         Err(AuthError::MissingCredentials)
//! #     }
//! # }
//! # mod pb {
//! #     // What tonic-build generates from `service Greeter { rpc Health (Empty) returns (Empty); rpc Me (Empty) returns (Empty); }`.
//! #     #[tonic::async_trait]
//! #     pub trait Greeter: Send + Sync + 'static {
//! #         async fn health(&self, request: tonic::Request<()>) -> Result<tonic::Response<()>, tonic::Status>;
//! #         async fn me(&self, request: tonic::Request<()>) -> Result<tonic::Response<String>, tonic::Status>;
//! #     }
//! #     pub struct GreeterServer<T>(std::sync::Arc<T>);
//! #     impl<T> Clone for GreeterServer<T> { fn clone(&self) -> Self { GreeterServer(self.0.clone()) } }
//! #     impl<T> GreeterServer<T> { pub fn new(t: T) -> Self { GreeterServer(std::sync::Arc::new(t)) } }
//! #     impl<T> tonic::server::NamedService for GreeterServer<T> { const NAME: &'static str = "hello.Greeter"; }
//! #     impl<T: Send + Sync + 'static> tower::Service<http::Request<tonic::body::Body>> for GreeterServer<T> {
//! #         type Response = http::Response<tonic::body::Body>;
//! #         type Error = std::convert::Infallible;
//! #         type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
//! #         fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> { std::task::Poll::Ready(Ok(())) }
//! #         fn call(&mut self, _: http::Request<tonic::body::Body>) -> Self::Future { std::future::ready(Ok(tonic::Status::unimplemented("").into_http())) }
//! #     }
//! # }
//! use pb::{Greeter, GreeterServer};
//!
//! struct Hello;
//!
//! #[auth_core::tonic::service]
//! #[tonic::async_trait]
//! impl Greeter for Hello {
//!     #[public]
//!     async fn health(&self, _request: Request<()>) -> Result<Response<()>, Status> {
//!         Ok(Response::new(()))
//!     }
//!
//!     #[requires(authenticated)]
//!     async fn me(&self, _request: Request<()>, user: Authenticated<User>) -> Result<Response<String>, Status> {
//!         Ok(Response::new(user.subject().to_owned()))
//!     }
//! }
//!
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = SharedAuthenticator::new(Jwt).with_realm("hello");
//! SecureServer::new(auth)
//!     .add_service(Hello, GreeterServer::new)
//!     .serve("127.0.0.1:50051".parse()?)
//!     .await?;
//! # Ok(()) }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ::tonic::Status;
use ::tonic::body::Body;
use ::tonic::metadata::{MetadataMap, MetadataValue};
use ::tonic::server::NamedService;
use ::tonic::service::Routes;
use ::tonic::transport::Server;
use ::tonic::transport::server::{Connected, TcpConnectInfo, TcpIncoming};
use http::{Request, Response};

use crate::tower::{Refused, record};
use crate::{AuthError, SharedAuthenticator};

/// Guards the methods of a tonic service `impl` block; see the
/// [module docs](self). Put it above `#[tonic::async_trait]`.
///
/// Every method carries `#[requires(..)]` or `#[public]`; a method with
/// neither is a compile error naming it. A `#[requires]` method takes one
/// extra parameter, `name: Authenticated<User>`, after tonic's `Request<_>`;
/// the attribute removes it from the signature and binds it from the
/// outcome the [`SecureServer`]'s layer recorded. A `#[public]` method may take
/// `name: Option<Authenticated<User>>` for optional sign-in (a credential that
/// fails is still `UNAUTHENTICATED`, never a guest).
///
/// The attribute implements [`GuardedService`] for the `impl`'s type, with the
/// access of each method, which is what [`SecureServer::add_service`] accepts
/// and how the server answers `UNAUTHENTICATED` before decoding a message.
pub use auth_macros::tonic_service as service;

/// The gRPC code of an HTTP status, as the [module docs](self) map them.
pub fn code_of(status: http::StatusCode) -> ::tonic::Code {
    use ::tonic::Code;
    match status.as_u16() {
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::NotFound,
        429 => Code::ResourceExhausted,
        503 => Code::Unavailable,
        400 => Code::InvalidArgument,
        _ => Code::Internal,
    }
}

/// The [`Status`] of `error`, with challenges for `realm` in its
/// `www-authenticate` metadata (the authenticator's own, one per scheme, when
/// `challenges` is not empty), `retry-after` in whole seconds where HTTP has
/// it, and a 429's `ratelimit-policy` and `ratelimit`. The message is the
/// error's fixed public description: never a token, a reason or a policy's
/// detail.
///
/// ```
/// use auth_core::AuthError;
///
/// let status = auth_core::tonic::status(&AuthError::insufficient_scope("orders:read"), "orders", &[]);
/// assert_eq!(status.code(), tonic::Code::PermissionDenied);
/// assert_eq!(
///     status.metadata().get("www-authenticate").unwrap(),
///     r#"Bearer realm="orders", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:read""#,
/// );
/// ```
pub fn status(error: &AuthError, realm: &str, challenges: &[String]) -> Status {
    let wire = error.response(realm);
    let mut metadata = MetadataMap::new();
    let own;
    let challenges = if challenges.is_empty() {
        own = wire
            .www_authenticate
            .clone()
            .into_iter()
            .collect::<Vec<_>>();
        &own[..]
    } else {
        challenges
    };
    for challenge in challenges {
        if let Ok(value) = MetadataValue::try_from(challenge.as_str()) {
            metadata.append("www-authenticate", value);
        }
    }
    if let Some(seconds) = wire.retry_after {
        metadata.insert("retry-after", MetadataValue::from(seconds));
    }
    for (name, value) in [
        ("ratelimit-policy", &wire.ratelimit_policy),
        ("ratelimit", &wire.ratelimit),
    ] {
        if let Some(Ok(value)) = value.as_deref().map(MetadataValue::try_from) {
            metadata.insert(name, value);
        }
    }
    Status::with_metadata(code_of(wire.status), wire.error_description, metadata)
}

impl From<AuthError> for Status {
    /// [`status`] without a realm (challenges leave it out, as RFC 6750
    /// allows). In a `#[requires]` method the gates' denials name the
    /// principal's realm.
    fn from(error: AuthError) -> Status {
        status(&error, "", &[])
    }
}

impl From<Refused> for Status {
    /// The layer's refusal, with the authenticator's challenges.
    fn from(refused: Refused) -> Status {
        status(refused.error(), refused.realm(), refused.challenges())
    }
}

impl From<crate::LoadRejection> for Status {
    /// A loader's key that does not parse (`INVALID_ARGUMENT`) or a
    /// misconfigured route (`INTERNAL`).
    fn from(rejection: crate::LoadRejection) -> Status {
        let wire = rejection.response();
        Status::new(code_of(wire.status), wire.error_description)
    }
}

/// Who may call one method of a [`GuardedService`]. Written by [`service`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodAccess {
    name: &'static str,
    guarded: bool,
}

impl MethodAccess {
    /// A `#[requires]` method, by its Rust name.
    #[doc(hidden)]
    pub const fn guarded(name: &'static str) -> Self {
        MethodAccess {
            name,
            guarded: true,
        }
    }

    /// A `#[public]` method, by its Rust name.
    #[doc(hidden)]
    pub const fn public(name: &'static str) -> Self {
        MethodAccess {
            name,
            guarded: false,
        }
    }

    /// The method's Rust name (`get_order` for the gRPC method `GetOrder`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether the method is `#[requires]`: the server answers an
    /// unauthenticated call to it before decoding the message.
    pub fn is_guarded(&self) -> bool {
        self.guarded
    }
}

/// A tonic service implementation whose every method is `#[requires]` or
/// `#[public]`: what [`service`] implements, and all that
/// [`SecureServer::add_service`] accepts.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a guarded tonic service, so a `SecureServer` will not serve it",
    label = "its `impl` lacks `#[auth_core::tonic::service]`",
    note = "put `#[auth_core::tonic::service]` above `#[tonic::async_trait]` on the service's `impl` block, and `#[requires(..)]` or `#[public]` on each method"
)]
pub trait GuardedService {
    /// Every method of the `impl`, with its access.
    const METHODS: &'static [MethodAccess];

    /// The name of the service trait the `impl` implements (`Orders`), which
    /// [`SecureServer::add_service`] checks against the gRPC name of the server
    /// it is given (`orders.v1.Orders`): a type whose *other* service `impl`
    /// lacks [`service`] is not served under this one's table.
    const SERVICE: &'static str;

    /// Only [`service`] writes this impl: the argument is hidden plumbing.
    #[doc(hidden)]
    fn __written_by_the_service_attribute(_: __private::Seal);
}

/// The plumbing [`service`] expands to. Not an API.
#[doc(hidden)]
pub mod __private {
    use super::Status;
    use crate::{AuthError, Authenticated};

    /// What [`super::service`] passes to prove it wrote the impl.
    #[derive(Debug)]
    pub struct Seal;

    /// The principal the server's layer verified for this call.
    ///
    /// # Errors
    /// The layer's refusal as a status; `INTERNAL` when no layer ran.
    pub fn principal<U: Clone + Send + Sync + 'static, T>(
        request: &::tonic::Request<T>,
    ) -> Result<Authenticated<U>, Status> {
        crate::tower::authenticated::<U>(request.extensions()).map_err(Status::from)
    }

    /// Optional sign-in: `None` when no credential was sent.
    ///
    /// # Errors
    /// As [`principal`], but for a missing credential.
    pub fn optional<U: Clone + Send + Sync + 'static, T>(
        request: &::tonic::Request<T>,
    ) -> Result<Option<Authenticated<U>>, Status> {
        crate::tower::optional::<U>(request.extensions()).map_err(Status::from)
    }

    /// A gate's denial, with the principal's realm in its challenge.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "the expansion hands over the error it owns"
    )]
    pub fn reject<U, T>(principal: &Authenticated<U>, error: AuthError) -> Result<T, Status> {
        Err(super::status(&error, principal.info().realm(), &[]))
    }
}

/// One registered service: its gRPC name and its methods' access.
#[derive(Clone, Copy)]
struct Table {
    service: &'static str,
    methods: &'static [MethodAccess],
}

/// A tonic server that serves only [`GuardedService`]s, behind the
/// authentication layer: deny by default for gRPC.
///
/// It authenticates every call with its [`SharedAuthenticator`] (the
/// [`AuthLayer`](crate::tower::AuthLayer)'s rules: once per call and
/// authenticator, the outcome in the request's extensions), inserts the
/// request context's [`PeerAddr`](crate::context::PeerAddr) (the TCP peer) and
/// [`MatchedRoute`](crate::context::MatchedRoute) (the gRPC path of a method it
/// knows), and answers a call to a `#[requires]` method whose caller did not
/// authenticate (`UNAUTHENTICATED`, or `UNAVAILABLE` when the store could not
/// answer) before tonic decodes its message. A method the service's `impl`
/// does not define (a default method of the trait), under a registered
/// service, is treated as guarded and then not served (`UNIMPLEMENTED`).
pub struct SecureServer<U> {
    authenticator: SharedAuthenticator<U>,
    server: Server,
    routes: Option<Routes>,
    tables: Vec<Table>,
    /// A service added under another service's table, or twice: `serve`
    /// refuses.
    misconfigured: Option<ServeError>,
}

impl<U> std::fmt::Debug for SecureServer<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureServer")
            .field(
                "services",
                &self.tables.iter().map(|t| t.service).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl<U: Clone + Send + Sync + 'static> SecureServer<U> {
    /// A server with no services yet, authenticating with `authenticator`, on
    /// tonic's default [`Server`] settings.
    pub fn new(authenticator: SharedAuthenticator<U>) -> Self {
        SecureServer {
            authenticator,
            server: Server::builder(),
            routes: None,
            tables: Vec::new(),
            misconfigured: None,
        }
    }

    /// Serves with `server`'s settings (timeouts, concurrency limits, HTTP/2
    /// options): `Server::builder().timeout(..)`. Its own layers, if any, are
    /// not kept: add middleware around the services you pass to
    /// [`add_service`](Self::add_service).
    #[must_use]
    pub fn with_server(mut self, server: Server) -> Self {
        self.server = server;
        self
    }

    /// Adds the service `implementation`, served by the tonic server type
    /// `wrap` makes of it (`OrdersServer::new`, or
    /// `|svc| OrdersServer::new(svc).max_decoding_message_size(..)`).
    /// `implementation` must be a [`GuardedService`]: its `impl` carries
    /// [`service`], and `wrap` must serve *that* service: a server whose gRPC
    /// name (`orders.v1.Orders`) is not the guarded trait's (`Orders`) makes
    /// [`serve`](Self::serve) fail with [`ServeError::Misconfigured`] (the
    /// same type's `impl` of another service, or a `wrap` that ignores its
    /// argument, would be served with no gates).
    #[must_use]
    pub fn add_service<T, S>(mut self, implementation: T, wrap: impl FnOnce(T) -> S) -> Self
    where
        T: GuardedService,
        S: tower_service::Service<Request<Body>, Response = Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        if self.misconfigured.is_some() {
            return self;
        }
        let grpc = S::NAME.rsplit('.').next().unwrap_or(S::NAME);
        if !same_method(T::SERVICE, grpc) {
            self.misconfigured = Some(ServeError::Misconfigured {
                service: S::NAME,
                guarded: T::SERVICE,
            });
            return self;
        }
        if self.tables.iter().any(|table| table.service == S::NAME) {
            // tonic's router would panic on the second route; one table per
            // service.
            self.misconfigured = Some(ServeError::Duplicate { service: S::NAME });
            return self;
        }
        self.tables.push(Table {
            service: S::NAME,
            methods: T::METHODS,
        });
        let service = wrap(implementation);
        self.routes = Some(match self.routes.take() {
            Some(routes) => routes.add_service(service),
            None => Routes::new(service),
        });
        self
    }

    /// The names of the services added, as gRPC knows them (`orders.Orders`).
    pub fn services(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.tables.iter().map(|table| table.service)
    }

    fn gate(&self) -> GateLayer<U> {
        GateLayer {
            authenticator: self.authenticator.clone(),
            tables: self.tables.clone().into(),
        }
    }

    /// Serves on `addr` until the process ends.
    ///
    /// # Errors
    /// [`ServeError::Bind`] when the address cannot be bound,
    /// [`ServeError::Transport`] when the server fails;
    /// [`ServeError::Misconfigured`] or [`ServeError::Duplicate`] for a service
    /// [`add_service`](Self::add_service) could not accept.
    pub async fn serve(self, addr: SocketAddr) -> Result<(), ServeError> {
        let incoming = TcpIncoming::bind(addr).map_err(ServeError::Bind)?;
        self.serve_with_incoming_shutdown(incoming, std::future::pending())
            .await
    }

    /// Serves the connections of `listener` until `signal` completes, then
    /// drains the connections in flight.
    ///
    /// # Errors
    /// [`ServeError::Transport`] when the server fails;
    /// [`ServeError::Misconfigured`] or [`ServeError::Duplicate`] for a service
    /// [`add_service`](Self::add_service) could not accept.
    pub async fn serve_with_listener(
        self,
        listener: tokio::net::TcpListener,
        signal: impl Future<Output = ()>,
    ) -> Result<(), ServeError> {
        self.serve_with_incoming_shutdown(TcpIncoming::from(listener), signal)
            .await
    }

    /// Serves the connections of `incoming` until `signal` completes.
    ///
    /// # Errors
    /// [`ServeError::Transport`] when the server fails;
    /// [`ServeError::Misconfigured`] or [`ServeError::Duplicate`] for a service
    /// [`add_service`](Self::add_service) could not accept.
    pub async fn serve_with_incoming_shutdown<I, IO, IE>(
        self,
        incoming: I,
        signal: impl Future<Output = ()>,
    ) -> Result<(), ServeError>
    where
        I: futures_core::Stream<Item = Result<IO, IE>>,
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Connected + Unpin + Send + 'static,
        IE: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if let Some(error) = self.misconfigured {
            return Err(error);
        }
        let gate = self.gate();
        let routes = self.routes.unwrap_or_default();
        let mut server = self.server.layer(gate);
        server
            .add_routes(routes)
            .serve_with_incoming_shutdown(incoming, signal)
            .await
            .map_err(ServeError::Transport)
    }
}

/// Why a [`SecureServer`] stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address could not be bound: in use, or not this host's.
    #[error("cannot listen on the address: {0}")]
    Bind(#[source] std::io::Error),
    /// tonic's server failed.
    #[error("the gRPC server failed: {0}")]
    Transport(#[source] ::tonic::transport::Error),
    /// [`SecureServer::add_service`] was given a server for another service
    /// than the guarded `impl`'s: its methods would run without their gates.
    #[error(
        "the service `{service}` was added with the guarded impl of `{guarded}`: pass the implementation whose `impl {service_trait} for ..` carries `#[auth_core::tonic::service]`, and a `wrap` that serves it",
        service_trait = service.rsplit('.').next().unwrap_or(service)
    )]
    Misconfigured {
        /// The gRPC name of the server `wrap` returned.
        service: &'static str,
        /// The trait the guarded `impl` implements.
        guarded: &'static str,
    },
    /// [`SecureServer::add_service`] was given the same service twice.
    #[error(
        "the service `{service}` was added twice: add each service once, with the one implementation that serves it"
    )]
    Duplicate {
        /// The gRPC name of the service.
        service: &'static str,
    },
}

/// The layer a [`SecureServer`] puts in front of its routes.
struct GateLayer<U> {
    authenticator: SharedAuthenticator<U>,
    tables: Arc<[Table]>,
}

impl<U> Clone for GateLayer<U> {
    fn clone(&self) -> Self {
        GateLayer {
            authenticator: self.authenticator.clone(),
            tables: Arc::clone(&self.tables),
        }
    }
}

impl<S, U> tower_layer::Layer<S> for GateLayer<U> {
    type Service = Gate<S, U>;

    fn layer(&self, inner: S) -> Gate<S, U> {
        Gate {
            inner,
            layer: self.clone(),
        }
    }
}

struct Gate<S, U> {
    inner: S,
    layer: GateLayer<U>,
}

impl<S: Clone, U> Clone for Gate<S, U> {
    fn clone(&self) -> Self {
        Gate {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

/// What the server knows of a gRPC path.
enum Known {
    /// A method of a registered service, whether it is guarded, and whether
    /// the service's `impl` lists it (a trait's default method it leaves out
    /// is not listed: served to no one).
    Method { guarded: bool, listed: bool },
    /// Not a registered service: tonic answers (`UNIMPLEMENTED`).
    Unknown,
}

/// `get_order` and `GetOrder` alike: lowercase, without underscores. tonic's
/// generator writes the Rust name as the snake case of the gRPC name.
fn same_method(rust: &str, grpc: &str) -> bool {
    let mut rust = rust.chars().filter(|c| *c != '_');
    let mut grpc = grpc.chars().filter(|c| *c != '_');
    loop {
        match (rust.next(), grpc.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(&b) => {}
            _ => return false,
        }
    }
}

fn lookup(tables: &[Table], path: &str) -> Known {
    let Some((service, method)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else {
        return Known::Unknown;
    };
    let Some(table) = tables.iter().find(|t| t.service == service) else {
        return Known::Unknown;
    };
    let mut matched = table
        .methods
        .iter()
        .filter(|m| same_method(m.name, method))
        .peekable();
    if matched.peek().is_none() {
        // A method of a registered service its impl does not list (a default
        // method of the trait, or no method at all): guarded, and not served.
        return Known::Method {
            guarded: true,
            listed: false,
        };
    }
    // Two Rust names that read alike: the stricter wins.
    Known::Method {
        guarded: matched.any(|m| m.guarded),
        listed: true,
    }
}

impl<S, U> tower_service::Service<Request<Body>> for Gate<S, U>
where
    S: tower_service::Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send,
    U: Clone + Send + Sync + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            if let Some(peer) = parts
                .extensions
                .get::<TcpConnectInfo>()
                .and_then(TcpConnectInfo::remote_addr)
            {
                parts.extensions.insert(crate::context::PeerAddr(peer));
            }
            let known = lookup(&layer.tables, parts.uri.path());
            if let Known::Method { .. } = known {
                parts
                    .extensions
                    .insert(crate::context::MatchedRoute(Arc::from(parts.uri.path())));
            }
            let outcome = record(&mut parts, &layer.authenticator).await;
            if let Known::Method { guarded, listed } = known {
                if let (true, Err(refused)) = (guarded, outcome.principal()) {
                    // 401 first: the message is never decoded for this caller.
                    return Ok(Status::from(refused.clone()).into_http());
                }
                if !listed {
                    // Deny by default: a trait's default method the `impl`
                    // leaves out has no `#[requires]` or `#[public]`.
                    return Ok(Status::unimplemented(
                        "this method is not served: its service's impl does not define it with `#[requires(..)]` or `#[public]`",
                    )
                    .into_http());
                }
            }
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_match_as_tonic_writes_them() {
        assert!(same_method("get_order", "GetOrder"));
        assert!(same_method("list_my_orders", "ListMyOrders"));
        assert!(!same_method("get_order", "GetOrders"));
        assert!(!same_method("get", "GetOrder"));
    }

    #[test]
    fn an_unlisted_method_of_a_known_service_is_guarded() {
        const METHODS: &[MethodAccess] = &[MethodAccess::public("health")];
        let tables = [Table {
            service: "x.Y",
            methods: METHODS,
        }];
        assert!(matches!(
            lookup(&tables, "/x.Y/Health"),
            Known::Method {
                guarded: false,
                listed: true
            }
        ));
        assert!(matches!(
            lookup(&tables, "/x.Y/Other"),
            Known::Method {
                guarded: true,
                listed: false
            }
        ));
        assert!(matches!(lookup(&tables, "/x.Z/Health"), Known::Unknown));
    }

    #[test]
    fn statuses_map_as_documented() {
        use ::tonic::Code;
        let cases = [
            (AuthError::MissingCredentials, Code::Unauthenticated),
            (AuthError::insufficient_scope("a"), Code::PermissionDenied),
            (AuthError::forbidden("x"), Code::PermissionDenied),
            (AuthError::not_found("x"), Code::NotFound),
            (AuthError::misconfigured("x"), Code::Internal),
        ];
        for (error, code) in cases {
            assert_eq!(Status::from(error).code(), code);
        }
    }
}
