//! Role-based access from a roles file: roles, permissions and inheritance
//! (`admin` ⊇ `manager` ⊇ `customer`) declared once in TOML, validated at start,
//! and named by types the compiler checks.
//!
//! - [`RoleTable`] (feature `rbac`) loads and validates the file. A service
//!   refuses to start on its [`RoleFileError`], which names the file, the line and
//!   the column of every problem: an unknown permission or inherited role, a
//!   cycle, a name listed twice, an invalid name.
//! - [`Grants`] (feature `rbac`) is what one principal's roles grant, resolved
//!   from the table once per request, when the principal is loaded; it answers
//!   the [`role`](crate::gate::role) and [`permission`](crate::gate::permission)
//!   gates ([`HasRoles`](crate::HasRoles), [`HasPermissions`](crate::HasPermissions)).
//! - [`codegen`] (feature `rbac`) writes, from a build script, one type per role
//!   and per permission of the same file, implementing [`RoleName`] and
//!   [`PermissionName`]: `#[requires(role(Admin))]` then compiles only if `Admin`
//!   is a role. String names (`role("admin")`) stay for dynamic cases.
//! - [`Matrix::per_role`](crate::inventory::Matrix::per_role) (feature `rbac`)
//!   prints, for each role, every handler it reaches and the conditions that still
//!   apply; [`Matrix::check_roles`](crate::inventory::Matrix::check_roles) refuses
//!   gates naming roles or permissions the table lacks.
//!
//! # The roles file
//!
//! ```toml
//! # Every permission, declared once, with what it allows.
//! [permissions]
//! "orders.read.own" = "read one's own orders"
//! "orders.read.any" = "read every order"
//! "users.roles.set" = "change a user's roles"
//!
//! # A role: the permissions it grants, and the roles it inherits (all they grant).
//! [roles.customer]
//! description = "a signed-up buyer"
//! permissions = ["orders.read.own"]
//!
//! [roles.manager]
//! inherits = ["customer"]
//! permissions = ["orders.read.any"]
//!
//! [roles.admin]
//! inherits = ["manager"]
//! permissions = ["users.roles.set"]
//! ```
//!
//! Names are lowercase ASCII letters and digits in words joined by `.`, `_`, `-` or
//! `:` (quote the keys that have dots). A role includes itself and every role it
//! inherits, transitively; it grants its permissions and theirs. So a
//! `role("customer")` gate allows a manager. Keys other than these are errors, not
//! ignored, and so is a file with no role.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use auth_core::rbac::{Grants, RoleTable};
//! use auth_core::{gate, Authenticated, HasPermissions, HasRoles, Identity, Mechanism};
//!
//! struct User { grants: Grants }
//! impl HasRoles for User {
//!     fn has_role(&self, role: &str) -> bool { self.grants.has_role(role) }
//! }
//! impl HasPermissions for User {
//!     fn has_permission(&self, p: &str) -> bool { self.grants.has_permission(p) }
//! }
//!
//! let table = RoleTable::from_toml("roles.toml", r#"
//!     [permissions]
//!     "orders.read.own" = "read one's own orders"
//!     "orders.refund" = "refund an order"
//!     [roles.customer]
//!     permissions = ["orders.read.own"]
//!     [roles.manager]
//!     inherits = ["customer"]
//!     permissions = ["orders.refund"]
//! "#)?;
//!
//! // When the principal is loaded (once per request), from its stored roles:
//! let manager = Authenticated::for_testing(Identity::new(
//!     User { grants: table.grants(["manager"])? },
//!     "7",
//!     Mechanism::Test,
//! ));
//! assert!(gate::role(&manager, "customer").is_allowed());
//! assert!(gate::permission(&manager, "orders.refund").is_allowed());
//! assert!(!gate::role(&manager, "admin").is_allowed());
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What the table guarantees, and what it does not
//!
//! A table that loaded has no unknown name, no cycle and no duplicate, and its
//! lookups never fail open: a role or permission it does not declare is never
//! held. It does not make a gate name a declared role (a string gate may say
//! `role("admn")` and never allow): typed names, or
//! [`Matrix::check_roles`](crate::inventory::Matrix::check_roles) at start, close
//! that. It reads the file once; a changed file takes effect at the next start.

// Without `rbac` only the name traits are here, and the docs' links to the rest
// have no target.
#![cfg_attr(not(feature = "rbac"), allow(rustdoc::broken_intra_doc_links))]

#[cfg(feature = "rbac")]
#[cfg_attr(docsrs, doc(cfg(feature = "rbac")))]
pub mod codegen;
#[cfg(feature = "rbac")]
mod error;
#[cfg(feature = "rbac")]
mod file;
#[cfg(feature = "rbac")]
mod grants;
mod names;
#[cfg(feature = "rbac")]
pub(crate) mod reach;
#[cfg(feature = "rbac")]
mod table;

#[cfg(feature = "rbac")]
#[cfg_attr(docsrs, doc(cfg(feature = "rbac")))]
pub use error::{NameKind, Problem, ProblemKind, RoleFileError, UnknownRole};
#[cfg(feature = "rbac")]
#[cfg_attr(docsrs, doc(cfg(feature = "rbac")))]
pub use grants::Grants;
pub use names::{PermissionName, RoleName};
#[cfg(feature = "rbac")]
#[cfg_attr(docsrs, doc(cfg(feature = "rbac")))]
pub use reach::{PerRole, UndeclaredName, UndeclaredNames};
#[cfg(feature = "rbac")]
#[cfg_attr(docsrs, doc(cfg(feature = "rbac")))]
pub use table::{Permission, Role, RoleTable};

#[cfg(all(test, feature = "rbac"))]
mod tests;
