// Typed names: `role(Admin)` and `permission(OrdersRefund)` name types that
// `auth_core::rbac::codegen` writes from the roles file (written by hand here, as
// it writes them). They allow and deny as the string gates do, in combinators and
// in early gates, and the inventory records the name the type stands for.
use auth_core::inventory::Matrix;
use auth_core::rbac::{PermissionName, RoleName};
use auth_core::{requires, Authenticated, Guarded};
use auth_tests::{sign_in, User};

mod roles {
    pub struct Admin;
    impl auth_core::rbac::RoleName for Admin {
        const NAME: &'static str = "admin";
    }
    pub struct Customer;
    impl auth_core::rbac::RoleName for Customer {
        const NAME: &'static str = "customer";
    }
}

pub struct OrdersRefund;
impl PermissionName for OrdersRefund {
    const NAME: &'static str = "orders.refund";
}

use roles::Admin;

#[requires(role(Admin))]
fn admin_only(user: Authenticated<User>) -> &'static str {
    "admin"
}

#[requires(any(role(Admin), all(role(roles::Customer), permission(OrdersRefund))), scope("orders:write"))]
async fn refund(user: Authenticated<User>) -> &'static str {
    "refunded"
}

#[requires(not(role(Admin)), role("customer"))]
fn customers_not_admins(user: &Authenticated<User>) {}

fn allowed<T>(output: Guarded<T, Authenticated<User>>) -> bool {
    output.into_result().is_ok()
}

fn main() {
    assert_eq!(<Admin as RoleName>::NAME, "admin");
    // User 1: customer; 2: customer with `orders.refund`; 3: admin.
    assert!(!allowed(admin_only(sign_in(1, ""))));
    assert!(allowed(admin_only(sign_in(3, ""))));
    assert!(!allowed(auth_tests::block_on(refund(sign_in(1, "orders:write")))));
    assert!(allowed(auth_tests::block_on(refund(sign_in(2, "orders:write")))));
    assert!(allowed(auth_tests::block_on(refund(sign_in(3, "orders:write")))));
    assert!(!allowed(auth_tests::block_on(refund(sign_in(3, "")))));
    assert!(allowed(customers_not_admins(&sign_in(1, ""))));

    let matrix = Matrix::collect();
    let gates = |name: &str| matrix.handlers().iter().find(|h| h.name() == name).unwrap().gates();
    assert_eq!(gates("admin_only"), [r#"role("admin")"#]);
    assert_eq!(
        gates("refund"),
        [
            r#"any(role("admin"), all(role("customer"), permission("orders.refund")))"#,
            r#"scope("orders:write")"#
        ]
    );
    assert_eq!(gates("customers_not_admins"), [r#"not(role("admin"))"#, r#"role("customer")"#]);
}
