use auth_core::{requires, Authenticated, Permit};
use auth_tests::{sign_in, Order, Update, User};

fn save(permit: &Permit<Update, Order>) -> u64 {
    permit.id
}

#[requires(Update(order))]
fn update(_user: Authenticated<User>, order: Order) -> u64 {
    save(&order)
}

fn main() {
    let order = Order { id: 7, owner_id: 1 };
    assert_eq!(update(sign_in(1, ""), order.clone()).into_result().unwrap(), 7);
    assert!(update(sign_in(2, ""), order).is_denied());
}
