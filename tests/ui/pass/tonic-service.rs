//! Every shape `#[auth_core::tonic::service]` accepts: guarded and public
//! methods, optional sign-in, `state = self`, a `_` request, a generic impl,
//! and the secure server that serves it.

use auth_core::tonic::{GuardedService, SecureServer};
use auth_core::{AuthError, Authenticated, Authenticator, Decision, Identity, SharedAuthenticator};
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct User;

struct Jwt;

impl Authenticator for Jwt {
    type User = User;
    async fn authenticate(&self, _: &http::request::Parts) -> Result<Identity<User>, AuthError> {
        Err(AuthError::MissingCredentials)
    }
}

#[tonic::async_trait]
pub trait Orders: Send + Sync + 'static {
    async fn health(&self, request: Request<()>) -> Result<Response<String>, Status>;
    async fn me(&self, request: Request<()>) -> Result<Response<String>, Status>;
    async fn get_order(&self, request: Request<u64>) -> Result<Response<String>, Status>;
    async fn maybe(&self, request: Request<()>) -> Result<Response<String>, Status>;
}

pub struct OrdersServer<T>(std::sync::Arc<T>);

impl<T> Clone for OrdersServer<T> {
    fn clone(&self) -> Self {
        OrdersServer(std::sync::Arc::clone(&self.0))
    }
}

impl<T> OrdersServer<T> {
    pub fn new(inner: T) -> Self {
        OrdersServer(std::sync::Arc::new(inner))
    }
}

impl<T> tonic::server::NamedService for OrdersServer<T> {
    const NAME: &'static str = "orders.Orders";
}

impl<T: Send + Sync + 'static> tower::Service<http::Request<tonic::body::Body>> for OrdersServer<T> {
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: http::Request<tonic::body::Body>) -> Self::Future {
        std::future::ready(Ok(Status::unimplemented("").into_http()))
    }
}

pub struct Limits {
    open: bool,
}

fn open(_: &Authenticated<User>, limits: &Limits) -> Decision {
    Decision::allow_if(limits.open, "open", "closed")
}

struct Service<T> {
    limits: Limits,
    extra: T,
}

#[auth_core::tonic::service]
#[tonic::async_trait]
impl<T: Send + Sync + 'static> Orders for Service<T> {
    #[public]
    async fn health(&self, _: Request<()>) -> Result<Response<String>, Status> {
        let _ = &self.extra;
        Ok(Response::new("ok".to_owned()))
    }

    #[requires(authenticated)]
    async fn me(&self, _request: Request<()>, user: Authenticated<User>) -> Result<Response<String>, Status> {
        Ok(Response::new(user.subject().to_owned()))
    }

    #[requires(scope("orders:read"), check(open), state = self.limits)]
    async fn get_order(&self, request: Request<u64>, _user: Authenticated<User>) -> Result<Response<String>, Status> {
        let id = request.into_inner();
        if id == 0 {
            return Err(AuthError::not_found("no order 0").into());
        }
        Ok(Response::new(id.to_string()))
    }

    #[public]
    async fn maybe(&self, _request: Request<()>, user: Option<Authenticated<User>>) -> Result<Response<String>, Status> {
        Ok(Response::new(user.map_or_else(|| "guest".to_owned(), |u| u.subject().to_owned())))
    }
}

fn main() {
    let names: Vec<(&str, bool)> = <Service<u8> as GuardedService>::METHODS
        .iter()
        .map(|m| (m.name(), m.is_guarded()))
        .collect();
    assert_eq!(names, [("health", false), ("me", true), ("get_order", true), ("maybe", false)]);
    let service = Service { limits: Limits { open: true }, extra: 0u8 };
    let _server = SecureServer::new(SharedAuthenticator::new(Jwt)).add_service(service, OrdersServer::new);
}
