//! [`RoleTable`]: the roles and permissions of a roles file, inheritance
//! flattened at load.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use foldhash::fast::RandomState;

use super::error::{RoleFileError, UnknownRole};
use super::grants::Grants;

/// The roles and permissions of a roles file, validated, with inheritance
/// flattened when it was loaded: asking whether a role includes another, or grants
/// a permission, is a hash lookup and a bit test.
///
/// Load it once at start with [`load`](Self::load) (a service refuses to start on
/// the [`RoleFileError`]), share it (cloning is a reference count), and resolve
/// each principal's roles with [`grants`](Self::grants) when the principal is
/// loaded: the [`Grants`] answer the `role(..)` and `permission(..)` gates.
///
/// ```
/// use auth_core::rbac::RoleTable;
///
/// let table = RoleTable::from_toml("roles.toml", r#"
///     [permissions]
///     "orders.read.own" = "read one's own orders"
///     "orders.refund" = "refund an order"
///
///     [roles.customer]
///     permissions = ["orders.read.own"]
///
///     [roles.manager]
///     inherits = ["customer"]
///     permissions = ["orders.refund"]
/// "#)?;
///
/// assert!(table.includes("manager", "customer"));
/// assert!(!table.includes("customer", "manager"));
/// let manager = table.role("manager").unwrap();
/// assert_eq!(manager.permissions().collect::<Vec<_>>(), ["orders.read.own", "orders.refund"]);
/// # Ok::<(), auth_core::rbac::RoleFileError>(())
/// ```
#[derive(Clone)]
pub struct RoleTable(pub(super) Arc<Inner>);

pub(super) struct Inner {
    pub(super) file: Arc<str>,
    /// In the order of the file.
    pub(super) roles: Vec<RoleEntry>,
    pub(super) role_index: HashMap<Box<str>, usize, RandomState>,
    /// In the order of the file.
    pub(super) permissions: Vec<PermissionEntry>,
    pub(super) permission_index: HashMap<Box<str>, usize, RandomState>,
}

pub(super) struct RoleEntry {
    pub(super) name: Box<str>,
    pub(super) description: Option<Box<str>>,
    pub(super) line: usize,
    /// The roles it inherits directly, in the order written.
    pub(super) inherits: Vec<usize>,
    /// Every role it includes: itself and all it inherits, transitively.
    pub(super) includes: Bits,
    /// Every permission it grants, its own and inherited.
    pub(super) grants: Bits,
}

pub(super) struct PermissionEntry {
    pub(super) name: Box<str>,
    pub(super) description: Box<str>,
    pub(super) line: usize,
}

impl RoleTable {
    /// Reads and validates the roles file at `path`. Errors name `path` as given.
    ///
    /// # Errors
    ///
    /// [`RoleFileError::Read`] when the file cannot be read,
    /// [`RoleFileError::Invalid`] with every problem found otherwise.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, RoleFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| RoleFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&path.display().to_string(), &text)
    }

    /// Validates the roles file `text`; `file` is its name in error messages.
    ///
    /// # Errors
    ///
    /// [`RoleFileError::Invalid`] with every problem found.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, RoleFileError> {
        super::file::parse(file, text)
            .map(|inner| RoleTable(Arc::new(inner)))
            .map_err(|problems| RoleFileError::Invalid { problems })
    }

    /// The file it was loaded from, as named to the loader.
    pub fn file(&self) -> &str {
        &self.0.file
    }

    /// Every role, in the order of the file.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = Role<'_>> + '_ {
        (0..self.0.roles.len()).map(|index| Role { table: self, index })
    }

    /// The role named `name`.
    pub fn role(&self, name: &str) -> Option<Role<'_>> {
        self.role_index(name)
            .map(|index| Role { table: self, index })
    }

    /// Every permission, in the order of the file.
    pub fn permissions(&self) -> impl ExactSizeIterator<Item = Permission<'_>> + '_ {
        self.0.permissions.iter().map(Permission)
    }

    /// The permission named `name`.
    pub fn permission(&self, name: &str) -> Option<Permission<'_>> {
        self.permission_index(name)
            .and_then(|index| self.0.permissions.get(index))
            .map(Permission)
    }

    /// Whether role `role` includes role `other`: it is `other`, or inherits it,
    /// directly or through other roles. False when either is not declared.
    pub fn includes(&self, role: &str, other: &str) -> bool {
        self.role(role).is_some_and(|role| role.includes(other))
    }

    /// Resolves the roles a principal holds (as stored with the user) to
    /// everything they grant, inheritance included: what the `role(..)` and
    /// `permission(..)` gates ask. Do it once per request, when the principal is
    /// loaded (a [`LoadUser`](crate::LoadUser) or a claims mapper), so every gate
    /// after it is a lookup.
    ///
    /// # Errors
    ///
    /// [`UnknownRole`] for a role the file does not declare: fail the request (as
    /// an [`AuthError`](crate::AuthError) it is a 500), since granting less than
    /// the record says would hide the mismatch.
    pub fn grants<I>(&self, held: I) -> Result<Grants, UnknownRole>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut roles = Bits::new(self.0.roles.len());
        let mut permissions = Bits::new(self.0.permissions.len());
        for name in held {
            let name = name.as_ref();
            let entry = self
                .role_index(name)
                .and_then(|index| self.0.roles.get(index))
                .ok_or_else(|| UnknownRole {
                    role: name.to_owned(),
                    file: self.0.file.to_string(),
                })?;
            roles.union_with(&entry.includes);
            permissions.union_with(&entry.grants);
        }
        Ok(Grants {
            table: Some(self.clone()),
            roles,
            permissions,
        })
    }

    pub(super) fn role_index(&self, name: &str) -> Option<usize> {
        self.0.role_index.get(name).copied()
    }

    pub(super) fn permission_index(&self, name: &str) -> Option<usize> {
        self.0.permission_index.get(name).copied()
    }

    pub(super) fn same_as(&self, other: &RoleTable) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for RoleTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleTable")
            .field("file", &self.0.file)
            .field("roles", &self.0.roles.len())
            .field("permissions", &self.0.permissions.len())
            .finish()
    }
}

/// A role of a [`RoleTable`].
#[derive(Clone, Copy)]
pub struct Role<'t> {
    table: &'t RoleTable,
    index: usize,
}

impl<'t> Role<'t> {
    #[allow(
        clippy::indexing_slicing,
        reason = "a `Role` is made only with an index of its table"
    )]
    fn entry(&self) -> &'t RoleEntry {
        &self.table.0.roles[self.index]
    }

    /// Its name.
    pub fn name(&self) -> &'t str {
        &self.entry().name
    }

    /// Its `description`, if the file gives one.
    pub fn description(&self) -> Option<&'t str> {
        self.entry().description.as_deref()
    }

    /// The line of its `[roles.<name>]` header.
    pub fn line(&self) -> usize {
        self.entry().line
    }

    /// The roles it inherits directly, as written.
    pub fn inherits(&self) -> impl Iterator<Item = &'t str> + 't {
        let table = self.table;
        self.entry()
            .inherits
            .iter()
            .filter_map(move |&i| table.0.roles.get(i))
            .map(|role| &*role.name)
    }

    /// Every role it includes, itself first, then in the order of the file.
    pub fn included(&self) -> impl Iterator<Item = &'t str> + 't {
        let table = self.table;
        let index = self.index;
        std::iter::once(self.name()).chain(
            self.entry()
                .includes
                .ones()
                .filter(move |&i| i != index)
                .filter_map(move |i| table.0.roles.get(i))
                .map(|role| &*role.name),
        )
    }

    /// Whether it includes role `other`: it is `other`, or inherits it.
    pub fn includes(&self, other: &str) -> bool {
        self.table
            .role_index(other)
            .is_some_and(|i| self.entry().includes.get(i))
    }

    /// Every permission it grants, its own and inherited, in the order of the
    /// file's `[permissions]`.
    pub fn permissions(&self) -> impl Iterator<Item = &'t str> + 't {
        let table = self.table;
        self.entry()
            .grants
            .ones()
            .filter_map(move |i| table.0.permissions.get(i))
            .map(|permission| &*permission.name)
    }

    /// Whether it grants `permission`, itself or through a role it inherits.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.table
            .permission_index(permission)
            .is_some_and(|i| self.entry().grants.get(i))
    }
}

impl fmt::Debug for Role<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Role")
            .field("name", &self.name())
            .field("inherits", &self.inherits().collect::<Vec<_>>())
            .field("permissions", &self.permissions().collect::<Vec<_>>())
            .finish()
    }
}

/// A permission of a [`RoleTable`].
#[derive(Clone, Copy)]
pub struct Permission<'t>(&'t PermissionEntry);

impl<'t> Permission<'t> {
    /// Its name.
    pub fn name(&self) -> &'t str {
        &self.0.name
    }

    /// What it allows, as the file describes it.
    pub fn description(&self) -> &'t str {
        &self.0.description
    }

    /// Its line in `[permissions]`.
    pub fn line(&self) -> usize {
        self.0.line
    }
}

impl fmt::Debug for Permission<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Permission").field(&self.name()).finish()
    }
}

/// A set of small integers (role or permission indices), one bit each.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct Bits(Box<[u64]>);

impl Bits {
    pub(super) fn new(len: usize) -> Self {
        Bits(vec![0; len.div_ceil(64)].into_boxed_slice())
    }

    pub(super) fn set(&mut self, i: usize) {
        if let Some(word) = self.0.get_mut(i / 64) {
            *word |= 1 << (i % 64);
        }
    }

    pub(super) fn get(&self, i: usize) -> bool {
        self.0
            .get(i / 64)
            .is_some_and(|word| word & (1 << (i % 64)) != 0)
    }

    pub(super) fn union_with(&mut self, other: &Bits) {
        for (word, more) in self.0.iter_mut().zip(other.0.iter()) {
            *word |= more;
        }
    }

    /// The members, in increasing order.
    pub(super) fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            (0..64)
                .filter(move |b| word & (1 << b) != 0)
                .map(move |b| w * 64 + b)
        })
    }
}
