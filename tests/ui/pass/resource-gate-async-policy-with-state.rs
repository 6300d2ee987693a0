use auth_core::{requires, Authenticated};
use auth_tests::{block_on, sign_in, Approve, Invoice, Limits, User};

#[requires(Approve(invoice), state = limits)]
async fn approve(_user: Authenticated<User>, limits: &Limits, invoice: Invoice) -> u64 {
    let _ = limits;
    invoice.id
}

fn main() {
    let limits = Limits::default();
    limits.approvers.lock().unwrap().push(2);
    let invoice = Invoice { id: 4, owner_id: 1 };
    assert!(block_on(approve(sign_in(1, ""), &limits, invoice.clone())).is_denied());
    assert_eq!(block_on(approve(sign_in(2, ""), &limits, invoice)).into_result().unwrap(), 4);
}
