use auth_core::{requires, AuthError, Authenticated};
use auth_tests::{sign_in, Delete, Order, User};

struct Orders;

impl Orders {
    #[requires(Delete(order))]
    fn delete(&self, _user: Authenticated<User>, order: Order) -> Result<u64, AuthError> {
        Ok(order.id)
    }
}

fn main() {
    let order = Order { id: 3, owner_id: 2 };
    assert!(Orders.delete(sign_in(1, ""), order.clone()).is_err());
    assert_eq!(Orders.delete(sign_in(2, ""), order).unwrap(), 3);
}
