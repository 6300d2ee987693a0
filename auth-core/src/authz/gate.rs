//! The built-in function-level gates.
//!
//! These are what [`#[requires]`](crate::requires) calls for `authenticated`,
//! `role(..)`, `scope(..)` and `permission(..)`. They are ordinary functions: call
//! them by hand when you check in a function body.
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use auth_core::{gate, Authenticated, HasRoles, Identity, Mechanism, Scopes};
//!
//! struct User;
//! impl HasRoles for User {
//!     fn has_role(&self, role: &str) -> bool { role == "customer" }
//! }
//!
//! let user = Authenticated::for_testing(
//!     Identity::new(User, "1", Mechanism::Test).scopes(Scopes::from_space_separated("orders:read")),
//! );
//! assert!(gate::role(&user, "customer").is_allowed());
//! assert!(!gate::role(&user, "admin").is_allowed());
//! assert!(!gate::scope(&user, "orders:write").is_allowed());
//! # }
//! ```

use crate::{Authenticated, Decision, HasPermissions, HasRoles};

/// Allows every authenticated principal: the gate is the [`Authenticated`] itself.
pub fn authenticated<U>(_principal: &Authenticated<U>) -> Decision {
    Decision::allow("authenticated")
}

/// Allows principals holding `role`.
pub fn role<U: HasRoles>(principal: &Authenticated<U>, role: &'static str) -> Decision {
    if principal.user().has_role(role) {
        Decision::allow("role granted")
    } else {
        Decision::role_not_held(role)
    }
}

/// Allows credentials that grant `scope`; otherwise denies with an
/// `insufficient_scope` challenge naming it.
pub fn scope<U>(principal: &Authenticated<U>, scope: &'static str) -> Decision {
    if principal.scopes().contains(scope) {
        Decision::allow("scope granted")
    } else {
        Decision::insufficient_scope(scope)
    }
}

/// Allows principals holding `permission`.
pub fn permission<U: HasPermissions>(
    principal: &Authenticated<U>,
    permission: &'static str,
) -> Decision {
    if principal.user().has_permission(permission) {
        Decision::allow("permission granted")
    } else {
        Decision::permission_not_held(permission)
    }
}
