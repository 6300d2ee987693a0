use auth_core::tonic::SecureServer;
use auth_core::{AuthError, Authenticator, Identity, SharedAuthenticator};
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
    async fn list_orders(&self, request: Request<()>) -> Result<Response<String>, Status>;
}

/// What tonic-build generates around a service implementation.
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

struct Service;

// A plain tonic impl: no `#[auth_core::tonic::service]`, so nothing says who
// may call `list_orders`.
#[tonic::async_trait]
impl Orders for Service {
    async fn list_orders(&self, _request: Request<()>) -> Result<Response<String>, Status> {
        Ok(Response::new("every order".to_owned()))
    }
}

fn main() {
    let _server = SecureServer::new(SharedAuthenticator::new(Jwt)).add_service(Service, OrdersServer::new);
}
