// `#[requires]` inside a `macro_rules!` that passes the gates (or the whole
// attribute) in as tokens: the expansion's own locals resolve wherever the gates'
// tokens came from. (Parameter names follow Rust's hygiene as usual: a gate names
// a parameter the same tokens declared.)
use auth_core::{requires, Authenticated};
use auth_tests::{block_on, sign_in, Limits, Order, Read, User};

macro_rules! guarded {
    ($name:ident, $order:ident, $limits:ident, $($gates:tt)*) => {
        #[requires($($gates)*)]
        async fn $name(user: Authenticated<User>, $order: Order, $limits: &Limits) -> u64 {
            let _ = &user;
            $order.id
        }
    };
}

macro_rules! guarded_meta {
    ($name:ident, $meta:meta) => {
        #[$meta]
        fn $name(user: Authenticated<User>) -> u64 {
            user.id
        }
    };
}

guarded!(read, order, limits, role("customer"), Read(order));
guarded!(approve, order, limits, any(role("admin"), check(auth_tests::is_approver)), state = limits);
guarded_meta!(admin_only, requires(role("admin")));

fn main() {
    let limits = Limits::default();
    limits.approvers.lock().unwrap().push(1);
    let order = Order { id: 4, owner_id: 1 };
    assert_eq!(block_on(read(sign_in(1, ""), order.clone(), &limits)).into_result().unwrap(), 4);
    assert!(block_on(read(sign_in(2, ""), order.clone(), &limits)).into_result().is_err());
    assert_eq!(block_on(approve(sign_in(1, ""), order.clone(), &limits)).into_result().unwrap(), 4);
    assert!(block_on(approve(sign_in(2, ""), order, &limits)).into_result().is_err());
    assert!(admin_only(sign_in(1, "")).into_result().is_err());
    assert_eq!(admin_only(sign_in(3, "")).into_result().unwrap(), 3);
}
