//! Typed role and permission names: [`RoleName`] and [`PermissionName`].

/// A role, as a type: what `#[requires(role(Admin))]` names.
///
/// [`codegen`](super::codegen) writes one unit type per role of a roles file, so a
/// misspelled role is a compile error (`cannot find type`) at the gate that
/// misspells it, rather than a gate that never allows. Implement it by hand for a
/// role that is not in a file.
///
/// ```
/// use auth_core::rbac::RoleName;
///
/// /// The `admin` role.
/// pub struct Admin;
///
/// impl RoleName for Admin {
///     const NAME: &'static str = "admin";
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a role: `role(..)` takes a role name",
    label = "not a role",
    note = "`role(..)` takes a type implementing `auth_core::rbac::RoleName` (generated from the roles file by `auth_core::rbac::codegen`) or a string literal, e.g. `role(\"admin\")`",
    note = "if `{Self}` names a permission, write `permission({Self})`"
)]
pub trait RoleName {
    /// The role's name in the roles file, e.g. `"admin"`.
    const NAME: &'static str;
}

/// A permission, as a type: what `#[requires(permission(OrdersRefund))]` names.
///
/// [`codegen`](super::codegen) writes one unit type per permission of a roles
/// file (`orders.refund` becomes `OrdersRefund`).
///
/// ```
/// use auth_core::rbac::PermissionName;
///
/// /// The `orders.refund` permission.
/// pub struct OrdersRefund;
///
/// impl PermissionName for OrdersRefund {
///     const NAME: &'static str = "orders.refund";
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a permission: `permission(..)` takes a permission name",
    label = "not a permission",
    note = "`permission(..)` takes a type implementing `auth_core::rbac::PermissionName` (generated from the roles file by `auth_core::rbac::codegen`) or a string literal, e.g. `permission(\"orders.refund\")`",
    note = "if `{Self}` names a role, write `role({Self})`"
)]
pub trait PermissionName {
    /// The permission's name in the roles file, e.g. `"orders.refund"`.
    const NAME: &'static str;
}
