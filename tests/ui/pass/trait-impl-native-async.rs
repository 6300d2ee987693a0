use auth_core::{requires, AuthError, Authenticated};
use auth_tests::{block_on, sign_in, Order, Read, User};

trait OrderService {
    async fn get(&self, user: Authenticated<User>, order: Order) -> Result<u64, AuthError>;
}

struct Service;

impl OrderService for Service {
    #[requires(Read(order))]
    async fn get(&self, _user: Authenticated<User>, order: Order) -> Result<u64, AuthError> {
        Ok(order.id)
    }
}

fn main() {
    let order = Order { id: 9, owner_id: 1 };
    assert!(matches!(block_on(Service.get(sign_in(2, ""), order.clone())), Err(AuthError::NotFound { .. })));
    assert_eq!(block_on(Service.get(sign_in(1, ""), order)).unwrap(), 9);
}
