//! Roles and permissions: `roles.toml`, loaded and validated at start, and the
//! typed names `build.rs` wrote from it ([`roles`], [`permissions`]) for the gates.
//!
//! The principal's roles are resolved through the table once per request, when
//! [`UserStore`](crate::service::UserStore) loads the user: `role(..)` and
//! `permission(..)` gates then read [`User::grants`](crate::domain::User::grants),
//! inheritance included (an admin holds `customer` too).

use std::path::Path;

use auth_core::inventory::Matrix;
use auth_core::rbac::{RoleFileError, RoleTable, UndeclaredNames};

// `roles::{Customer, Manager, Admin}` and `permissions::{OrdersCreate, ..}`, each
// implementing `RoleName` / `PermissionName`, and `ALL` in each.
include!(concat!(env!("OUT_DIR"), "/roles.rs"));

/// The roles file shipped with the service, compiled into the binary: the one
/// the typed names were generated from, used when `ORDERS_API_ROLES_FILE` is
/// unset.
pub const BUILT_IN: &str = include_str!("../roles.toml");

/// The name the built-in file has in messages: its path in the repository.
pub const BUILT_IN_NAME: &str = "examples/roles.toml";

/// Why the roles would not load.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RolesError {
    /// The file is unreadable or invalid: each problem at its line.
    #[error("ORDERS_API_ROLES_FILE: the roles file is refused:\n{0}")]
    File(#[from] RoleFileError),
    /// A gate names a role or permission the file lacks: it would never allow.
    #[error("ORDERS_API_ROLES_FILE: the handlers' gates name roles the file lacks:\n{0}")]
    Undeclared(#[from] UndeclaredNames),
}

/// Loads the roles file at `path` (the built-in one when `None`), and checks that
/// every `role(..)` and `permission(..)` gate of the service names a role or
/// permission it declares: a typed name was compiled from the built-in file, and
/// a deployment's own file must still have it.
///
/// # Errors
/// [`RolesError`], which names the file, line and column of each problem.
pub fn load(path: Option<&Path>) -> Result<RoleTable, RolesError> {
    let table = match path {
        Some(path) => RoleTable::load(path)?,
        None => RoleTable::from_toml(BUILT_IN_NAME, BUILT_IN)?,
    };
    Matrix::collect()
        .within(module_path!().trim_end_matches("::access"))
        .check_roles(&table)?;
    Ok(table)
}
