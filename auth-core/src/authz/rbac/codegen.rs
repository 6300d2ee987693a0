//! Typed role and permission names, generated at build time from the roles file
//! the service loads at run time, so a misspelled role in `#[requires]` does not
//! compile.
//!
//! In the service's `build.rs` (with `auth-core` and its `rbac` feature in
//! `[build-dependencies]`):
//!
//! ```no_run
//! fn main() {
//!     // Reads `roles.toml` beside Cargo.toml, writes `$OUT_DIR/roles.rs`, and
//!     // asks Cargo to run again when the file changes.
//!     if let Err(error) = auth_core::rbac::codegen::build("roles.toml", "roles.rs") {
//!         eprintln!("{error}");
//!         std::process::exit(1);
//!     }
//! }
//! ```
//!
//! In the service, a module that includes what it wrote:
//!
//! ```ignore
//! pub mod access {
//!     include!(concat!(env!("OUT_DIR"), "/roles.rs"));
//! }
//!
//! use access::roles::Admin;
//!
//! #[requires(role(Admin))]            // `role(Admn)`: error[E0412]: cannot find type `Admn`
//! async fn list_users(user: Authenticated<User>) -> Json<Vec<User>> { .. }
//! ```
//!
//! The file defines two modules: `roles`, with one unit type per role
//! (`customer` becomes `Customer`, `support-agent` `SupportAgent`) implementing
//! [`RoleName`](super::RoleName), and `permissions`, with one per permission
//! (`orders.refund` becomes `OrdersRefund`) implementing
//! [`PermissionName`](super::PermissionName); each module also has `ALL`, every
//! name in the order of the file. The same validation as at run time runs first,
//! so a bad file fails the build with the same messages.
//!
//! The types are compiled from the file as it was at build time. A service that
//! loads a different file at run time (a deployment's own) should check the
//! gates against it at start: [`Matrix::check_roles`](crate::inventory::Matrix::check_roles).
#![allow(
    clippy::needless_doctest_main,
    reason = "the example is a build script: its `main` is the point"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::RoleTable;
use super::error::RoleFileError;
use super::file::typed_name;

/// Why [`build`] could not write the names.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodegenError {
    /// The roles file was refused (the same errors as at run time).
    #[error(transparent)]
    Roles(#[from] RoleFileError),
    /// A variable Cargo sets for build scripts is missing: `build` was called
    /// outside a build script.
    #[error(
        "`{0}` is not set: call `codegen::build` from a build script, or use `codegen::generate`"
    )]
    NotInBuildScript(&'static str),
    /// The generated file could not be written.
    #[error("{}: cannot write the generated names: {source}", path.display())]
    Write {
        /// Where it was written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// For a build script: validates `roles_file` (relative to the package's
/// directory), writes its typed names to `$OUT_DIR/<out_name>`, and tells Cargo to
/// run the build script again when the file changes. Returns the path written.
///
/// # Errors
///
/// [`CodegenError::Roles`] with every problem of the file (the build should stop
/// and print it), or an error reading the environment or writing the file.
pub fn build(roles_file: impl AsRef<Path>, out_name: &str) -> Result<PathBuf, CodegenError> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .ok_or(CodegenError::NotInBuildScript("CARGO_MANIFEST_DIR"))?;
    let out_dir = std::env::var_os("OUT_DIR").ok_or(CodegenError::NotInBuildScript("OUT_DIR"))?;
    let roles_file = roles_file.as_ref();
    let source = Path::new(&dir).join(roles_file);
    // Printed first: a file fixed after a failed build must run the script again.
    println!("cargo::rerun-if-changed={}", source.display());
    let table = match std::fs::read_to_string(&source) {
        Ok(text) => RoleTable::from_toml(&roles_file.display().to_string(), &text)?,
        Err(source_error) => {
            return Err(RoleFileError::Read {
                path: source,
                source: source_error,
            }
            .into());
        }
    };
    let path = Path::new(&out_dir).join(out_name);
    std::fs::write(&path, generate(&table)).map_err(|source| CodegenError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// The Rust source of `table`'s typed names: the `roles` and `permissions`
/// modules, for `include!`.
///
/// ```
/// use auth_core::rbac::{codegen, RoleTable};
///
/// let table = RoleTable::from_toml("roles.toml", r#"
///     [permissions]
///     "orders.refund" = "refund an order"
///     [roles.manager]
///     permissions = ["orders.refund"]
/// "#)?;
/// let code = codegen::generate(&table);
/// assert!(code.contains("pub struct Manager;"));
/// assert!(code.contains(r#"const NAME: &'static str = "orders.refund";"#));
/// # Ok::<(), auth_core::rbac::RoleFileError>(())
/// ```
pub fn generate(table: &RoleTable) -> String {
    let mut out = String::new();
    let file = table.file();
    let _ = writeln!(
        out,
        "// @generated by `auth_core::rbac::codegen` from `{}`. Do not edit: edit the roles file.\n",
        one_line(file)
    );

    let _ = writeln!(
        out,
        "#[doc = {:?}]",
        format!(
            "The roles of `{}`, as types for `#[requires(role(..))]`.",
            one_line(file)
        )
    );
    out.push_str("#[allow(dead_code, unreachable_pub)]\npub mod roles {\n");
    for role in table.roles() {
        let mut doc = format!("Role `{}`", role.name());
        if let Some(description) = role.description().filter(|d| !d.is_empty()) {
            let _ = write!(doc, ": {}", one_line(description));
        }
        doc.push('.');
        let inherits: Vec<String> = role.inherits().map(|r| format!("`{r}`")).collect();
        if !inherits.is_empty() {
            let _ = write!(doc, " Inherits {}.", inherits.join(", "));
        }
        let grants: Vec<String> = role.permissions().map(|p| format!("`{p}`")).collect();
        if !grants.is_empty() {
            let _ = write!(doc, " Grants {}.", grants.join(", "));
        }
        let _ = write!(doc, " ({file}:{})", role.line());
        item(
            &mut out,
            &doc,
            &typed_name(role.name()),
            "RoleName",
            role.name(),
        );
    }
    all(&mut out, table.roles().map(|r| r.name()));
    out.push_str("}\n\n");

    let _ = writeln!(
        out,
        "#[doc = {:?}]",
        format!(
            "The permissions of `{}`, as types for `#[requires(permission(..))]`.",
            one_line(file)
        )
    );
    out.push_str("#[allow(dead_code, unreachable_pub)]\npub mod permissions {\n");
    for permission in table.permissions() {
        let doc = format!(
            "Permission `{}`: {}. ({file}:{})",
            permission.name(),
            one_line(permission.description()).trim_end_matches('.'),
            permission.line()
        );
        item(
            &mut out,
            &doc,
            &typed_name(permission.name()),
            "PermissionName",
            permission.name(),
        );
    }
    all(&mut out, table.permissions().map(|p| p.name()));
    out.push_str("}\n");
    out
}

fn item(out: &mut String, doc: &str, rust: &str, trait_name: &str, name: &str) {
    // Names are checked at load (lowercase ASCII, digits, `.`, `_`, `-`, `:`), so
    // the type name is an identifier and the string needs no escaping; the
    // description is escaped as a string literal.
    let _ = writeln!(
        out,
        "    #[doc = {doc:?}]\n    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]\n    pub struct {rust};\n\n    impl ::auth_core::rbac::{trait_name} for {rust} {{\n        const NAME: &'static str = {name:?};\n    }}\n"
    );
}

fn all<'a>(out: &mut String, names: impl Iterator<Item = &'a str>) {
    let names: Vec<String> = names.map(|n| format!("{n:?}")).collect();
    let _ = writeln!(
        out,
        "    /// Every name, in the order of the file.\n    pub const ALL: &[&str] = &[{}];",
        names.join(", ")
    );
}

/// `text` on one line, for a doc comment.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
