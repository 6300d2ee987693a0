use tonic::{Request, Response, Status};

#[tonic::async_trait]
pub trait Orders: Send + Sync + 'static {
    async fn get_order(&self, request: Request<u64>) -> Result<Response<String>, Status>;
}

struct Service;

#[auth_core::tonic::service]
#[tonic::async_trait]
impl Orders for Service {
    // Who is asking? No `user: Authenticated<User>` after the request.
    #[requires(scope("orders:read"))]
    async fn get_order(&self, request: Request<u64>) -> Result<Response<String>, Status> {
        Ok(Response::new(request.into_inner().to_string()))
    }
}

fn main() {}
