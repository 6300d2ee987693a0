use auth_core::inventory::{Access, Matrix};
use auth_core::{public, requires, Authenticated};
use auth_tests::{Order, Update, User};

#[public]
fn health() {}

#[requires(role("admin"), Update(order))]
fn update(_user: Authenticated<User>, order: Order) -> u64 {
    order.id
}

fn main() {
    let matrix = Matrix::collect();
    let update = matrix.handlers().iter().find(|h| h.name() == "update").unwrap();
    assert_eq!(update.gates(), ["role(\"admin\")", "Update(order)"]);
    assert_eq!(update.access(), Access::Guarded);
    assert!(update.file().ends_with("inventory-lists-handlers.rs"));
    let health = matrix.handlers().iter().find(|h| h.name() == "health").unwrap();
    assert_eq!(health.access(), Access::Public);
    println!("{matrix}");
}
