use auth_core::Authenticated;
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct User;

#[tonic::async_trait]
pub trait Orders: Send + Sync + 'static {
    async fn get_order(&self, request: Request<u64>) -> Result<Response<String>, Status>;
    async fn list_orders(&self, request: Request<()>) -> Result<Response<String>, Status>;
}

struct Service;

#[auth_core::tonic::service]
#[tonic::async_trait]
impl Orders for Service {
    #[requires(scope("orders:read"))]
    async fn get_order(
        &self,
        request: Request<u64>,
        user: Authenticated<User>,
    ) -> Result<Response<String>, Status> {
        Ok(Response::new(format!("{} {}", request.into_inner(), user.subject())))
    }

    // Forgot to say who may call it.
    async fn list_orders(&self, _request: Request<()>) -> Result<Response<String>, Status> {
        Ok(Response::new("every order".to_owned()))
    }
}

fn main() {}
