use auth_core::{requires, AuthError, Authenticated};
use auth_tests::{block_on, sign_in, Order, Update, User};

#[async_trait::async_trait]
trait OrderService: Send + Sync {
    async fn update(&self, user: Authenticated<User>, order: Order) -> Result<u64, AuthError>;
}

struct Service;

#[async_trait::async_trait]
impl OrderService for Service {
    #[requires(Update(order))]
    async fn update(&self, _user: Authenticated<User>, order: Order) -> Result<u64, AuthError> {
        Ok(order.id)
    }
}

fn main() {
    let service: Box<dyn OrderService> = Box::new(Service);
    let order = Order { id: 5, owner_id: 1 };
    assert!(block_on(service.update(sign_in(2, ""), order.clone())).is_err());
    assert_eq!(block_on(service.update(sign_in(1, ""), order)).unwrap(), 5);
}
