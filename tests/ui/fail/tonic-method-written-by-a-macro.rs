use tonic::{Request, Response, Status};

#[tonic::async_trait]
pub trait Orders: Send + Sync + 'static {
    async fn health(&self, request: Request<()>) -> Result<Response<String>, Status>;
    async fn list_orders(&self, request: Request<()>) -> Result<Response<String>, Status>;
}

struct Service;

// A macro that writes a method: the attribute cannot see what it writes.
macro_rules! list_orders {
    () => {
        // What `#[tonic::async_trait]` would write: it compiles without the
        // attribute, and would be served with no access attribute.
        fn list_orders<'life0, 'async_trait>(
            &'life0 self,
            _request: Request<()>,
        ) -> std::pin::Pin<
            Box<
                dyn std::future::Future<Output = Result<Response<String>, Status>>
                    + Send
                    + 'async_trait,
            >,
        >
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            Box::pin(async move { Ok(Response::new("every order".to_owned())) })
        }
    };
}

#[auth_core::tonic::service]
#[tonic::async_trait]
impl Orders for Service {
    #[public]
    async fn health(&self, _request: Request<()>) -> Result<Response<String>, Status> {
        Ok(Response::new("ok".to_owned()))
    }

    list_orders!();
}

fn main() {}
