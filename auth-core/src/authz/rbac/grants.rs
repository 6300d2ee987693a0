//! [`Grants`]: what one principal's roles grant, resolved once per request.

use std::fmt;

use super::table::{Bits, RoleTable};
use crate::{HasPermissions, HasRoles};

/// What a principal's roles grant, inheritance included: every role they include
/// and every permission they grant, resolved by [`RoleTable::grants`] when the
/// principal is loaded. It answers the `role(..)` and `permission(..)` gates with
/// a hash lookup and a bit test.
///
/// `role("customer")` allows a `manager` when `manager` inherits `customer`:
/// a role gate asks "does the principal include this role", not "is this the
/// role stored". Keep it in your principal type and forward [`HasRoles`] and
/// [`HasPermissions`] to it:
///
/// ```
/// use auth_core::rbac::{Grants, RoleTable};
/// use auth_core::{HasPermissions, HasRoles};
///
/// struct User { id: u64, grants: Grants }
///
/// impl HasRoles for User {
///     fn has_role(&self, role: &str) -> bool { self.grants.has_role(role) }
/// }
/// impl HasPermissions for User {
///     fn has_permission(&self, permission: &str) -> bool { self.grants.has_permission(permission) }
/// }
///
/// let table = RoleTable::from_toml("roles.toml", r#"
///     [permissions]
///     "orders.refund" = "refund an order"
///     [roles.customer]
///     [roles.manager]
///     inherits = ["customer"]
///     permissions = ["orders.refund"]
/// "#)?;
/// // In your `LoadUser`, once per request, from the roles stored with the user:
/// let user = User { id: 7, grants: table.grants(["manager"])? };
/// assert!(user.has_role("customer"));
/// assert!(user.has_permission("orders.refund"));
/// assert!(!user.has_role("admin"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `Grants::default()` grants nothing: a principal without roles (a guest).
#[derive(Clone, Default)]
pub struct Grants {
    pub(super) table: Option<RoleTable>,
    pub(super) roles: Bits,
    pub(super) permissions: Bits,
}

impl Default for Bits {
    fn default() -> Self {
        Bits::new(0)
    }
}

impl Grants {
    /// Whether the principal includes `role`: holds it, or a role that inherits it.
    pub fn has_role(&self, role: &str) -> bool {
        self.table
            .as_ref()
            .and_then(|table| table.role_index(role))
            .is_some_and(|i| self.roles.get(i))
    }

    /// Whether a role of the principal grants `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.table
            .as_ref()
            .and_then(|table| table.permission_index(permission))
            .is_some_and(|i| self.permissions.get(i))
    }

    /// Every role the principal includes, in the order of the roles file.
    pub fn roles(&self) -> impl Iterator<Item = &str> + '_ {
        self.table.iter().flat_map(|table| {
            self.roles
                .ones()
                .filter_map(|i| table.0.roles.get(i))
                .map(|role| &*role.name)
        })
    }

    /// Every permission the principal's roles grant, in the order of the roles
    /// file.
    pub fn permissions(&self) -> impl Iterator<Item = &str> + '_ {
        self.table.iter().flat_map(|table| {
            self.permissions
                .ones()
                .filter_map(|i| table.0.permissions.get(i))
                .map(|permission| &*permission.name)
        })
    }
}

impl HasRoles for Grants {
    fn has_role(&self, role: &str) -> bool {
        Grants::has_role(self, role)
    }
}

impl HasPermissions for Grants {
    fn has_permission(&self, permission: &str) -> bool {
        Grants::has_permission(self, permission)
    }
}

/// Equal when they grant the same roles and permissions of the same table (the
/// same load), or both grant nothing.
impl PartialEq for Grants {
    fn eq(&self, other: &Self) -> bool {
        let empty = |g: &Grants| g.roles.ones().next().is_none();
        match (&self.table, &other.table) {
            (Some(a), Some(b)) => {
                a.same_as(b) && self.roles == other.roles && self.permissions == other.permissions
            }
            _ => empty(self) && empty(other),
        }
    }
}

impl Eq for Grants {}

impl fmt::Debug for Grants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grants")
            .field("roles", &self.roles().collect::<Vec<_>>())
            .field("permissions", &self.permissions().collect::<Vec<_>>())
            .finish()
    }
}
