use auth_core::requires;
use tonic::{Request, Response, Status};

#[tonic::async_trait]
pub trait Orders: Send + Sync + 'static {
    async fn get_order(&self, request: Request<u64>) -> Result<Response<String>, Status>;
}

struct Service;

// No `#[auth_core::tonic::service]` above `#[tonic::async_trait]`.
#[tonic::async_trait]
impl Orders for Service {
    #[requires(scope("orders:read"))]
    async fn get_order(&self, request: Request<u64>) -> Result<Response<String>, Status> {
        Ok(Response::new(request.into_inner().to_string()))
    }
}

fn main() {}
