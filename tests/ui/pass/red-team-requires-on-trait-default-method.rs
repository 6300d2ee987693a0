// RED TEAM FINDING (compiles, should not, or should be documented): `#[requires]`
// on a trait's provided method. The inventory lists `purge_tenant` with
// `role("admin")`, but an implementor that overrides the method replaces the
// gated body with its own, and nothing says so: the matrix lists a gate that
// does not run for that type (`tests/adversarial/tests/red_team.rs`, finding 7).
use auth_core::{requires, AuthError, Authenticated};
use auth_tests::{sign_in, User};

#[derive(Debug)]
struct ServiceError;

impl From<AuthError> for ServiceError {
    fn from(_: AuthError) -> Self {
        ServiceError
    }
}

trait Maintenance {
    #[requires(role("admin"))]
    fn purge_tenant(&self, user: &Authenticated<User>) -> Result<&'static str, ServiceError> {
        Ok("purged by the default")
    }
}

struct Guarded;
impl Maintenance for Guarded {}

struct Overridden;
impl Maintenance for Overridden {
    fn purge_tenant(&self, _user: &Authenticated<User>) -> Result<&'static str, ServiceError> {
        Ok("purged by the override")
    }
}

fn main() {
    let customer = sign_in(1, "");
    assert!(Guarded.purge_tenant(&customer).is_err());
    // Listed as admin-only, runs for a customer.
    assert_eq!(Overridden.purge_tenant(&customer).unwrap(), "purged by the override");
    assert!(auth_core::inventory::handlers()
        .iter()
        .any(|h| h.name() == "purge_tenant" && h.gates() == [r#"role("admin")"#]));
}
