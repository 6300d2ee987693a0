use tonic::{Request, Response, Status};

#[tonic::async_trait]
pub trait Orders: Send + Sync + 'static {
    async fn health(&self, request: Request<()>) -> Result<Response<String>, Status>;
}

struct Service;

// Below `#[tonic::async_trait]`, the attribute would see rewritten methods.
#[tonic::async_trait]
#[auth_core::tonic::service]
impl Orders for Service {
    #[public]
    async fn health(&self, _request: Request<()>) -> Result<Response<String>, Status> {
        Ok(Response::new("ok".to_owned()))
    }
}

fn main() {}
