//! The inventory of guarded and public handlers, for audit and docs.
//!
//! Every function under [`#[requires]`](crate::requires) or
//! [`#[public]`](crate::public) registers a [`HandlerInfo`] at link time, whether
//! or not it is ever called. [`handlers`] lists them and [`Matrix`] prints the
//! authorization matrix of an application:
//!
//! ```
//! use auth_core::{public, requires, Authenticated, HasRoles};
//!
//! struct User { admin: bool }
//! impl HasRoles for User {
//!     fn has_role(&self, role: &str) -> bool { role == "admin" && self.admin }
//! }
//!
//! #[public]
//! fn health() -> &'static str { "ok" }
//!
//! #[requires(role("admin"))]
//! fn list_users(user: Authenticated<User>) -> Vec<String> { vec![] }
//!
//! let matrix = auth_core::inventory::Matrix::collect().to_string();
//! assert!(matrix.contains("list_users"));
//! assert!(matrix.contains(r#"role("admin")"#));
//! assert!(matrix.contains("health"));
//! ```

use std::fmt;

/// Whether a handler checks its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Access {
    /// `#[requires(..)]`: authentication and every listed gate.
    Guarded,
    /// `#[public]`: deliberately open to anyone.
    Public,
}

/// A guarded or public handler: where it is and what it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlerInfo {
    name: &'static str,
    module: &'static str,
    file: &'static str,
    line: u32,
    gates: &'static [&'static str],
    access: Access,
}

impl HandlerInfo {
    /// Describes a `#[requires]` handler. The macro writes these; it grants nothing.
    pub const fn guarded(
        name: &'static str,
        module: &'static str,
        file: &'static str,
        line: u32,
        gates: &'static [&'static str],
    ) -> Self {
        HandlerInfo {
            name,
            module,
            file,
            line,
            gates,
            access: Access::Guarded,
        }
    }

    /// Describes a `#[public]` handler.
    pub const fn public(
        name: &'static str,
        module: &'static str,
        file: &'static str,
        line: u32,
    ) -> Self {
        HandlerInfo {
            name,
            module,
            file,
            line,
            gates: &[],
            access: Access::Public,
        }
    }

    /// The function's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The module path it is defined in.
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// The source file.
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The line of the attribute.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The gates, as written in the attribute, in evaluation order.
    pub fn gates(&self) -> &'static [&'static str] {
        self.gates
    }

    /// Guarded or public.
    pub fn access(&self) -> Access {
        self.access
    }

    /// The text of gate number `index`, or `"?"` when out of range.
    pub fn gate(&self, index: usize) -> &'static str {
        self.gates.get(index).copied().unwrap_or("?")
    }
}

::inventory::collect!(HandlerInfo);

/// Every handler of the program, sorted by module, then name.
pub fn handlers() -> Vec<&'static HandlerInfo> {
    let mut all: Vec<&'static HandlerInfo> = ::inventory::iter::<HandlerInfo>.into_iter().collect();
    all.sort_by_key(|h| (h.module, h.name, h.line));
    all
}

/// The authorization matrix: one line per handler with its gates. Its
/// [`Display`](fmt::Display) is a Markdown table.
#[derive(Debug, Clone)]
pub struct Matrix {
    handlers: Vec<&'static HandlerInfo>,
}

impl Matrix {
    /// Collects every handler of the program.
    pub fn collect() -> Self {
        Matrix {
            handlers: handlers(),
        }
    }

    /// Only the handlers whose module path starts with `prefix`.
    #[must_use]
    pub fn within(mut self, prefix: &str) -> Self {
        self.handlers.retain(|h| h.module.starts_with(prefix));
        self
    }

    /// The handlers in the matrix.
    pub fn handlers(&self) -> &[&'static HandlerInfo] {
        &self.handlers
    }
}

impl fmt::Display for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "| handler | access | gates | source |")?;
        writeln!(f, "|---|---|---|---|")?;
        for h in &self.handlers {
            let access = match h.access {
                Access::Guarded => "guarded",
                Access::Public => "PUBLIC",
            };
            let gates = if h.gates.is_empty() {
                "-".to_owned()
            } else {
                h.gates.join(", ")
            };
            writeln!(
                f,
                "| `{}::{}` | {access} | `{gates}` | {}:{} |",
                h.module, h.name, h.file, h.line
            )?;
        }
        Ok(())
    }
}
