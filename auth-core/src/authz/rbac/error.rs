//! Why a roles file was refused ([`RoleFileError`], each [`Problem`] at its line),
//! and why a principal's roles could not be resolved ([`UnknownRole`]).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Why a roles file cannot be used. A service refuses to start on it.
///
/// Its `Display` names the file, and for each problem the line and column, what is
/// wrong and what to write instead, one problem a line:
///
/// ```
/// use auth_core::rbac::RoleTable;
///
/// let text = "[permissions]\n\"orders.read\" = \"read any order\"\n\n[roles.customer]\npermissions = [\"orders.raed\"]\n";
/// let err = RoleTable::from_toml("roles.toml", text).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "roles.toml:5:16: role `customer` lists unknown permission `orders.raed` (did you mean `orders.read`?): \
///      declare it under `[permissions]` (`\"orders.raed\" = \"what it allows\"`) or fix the spelling"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RoleFileError {
    /// The file could not be read.
    #[error("{}: the roles file cannot be read: {source}; check the path", path.display())]
    Read {
        /// The path as given.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file was read, and is not a valid roles file: every problem found, in
    /// the order of the file (at least one).
    #[error("{}", Lines(problems))]
    Invalid {
        /// The problems, each at its line.
        problems: Vec<Problem>,
    },
}

impl RoleFileError {
    /// The problems found in the file; none when it could not be read.
    pub fn problems(&self) -> &[Problem] {
        match self {
            RoleFileError::Invalid { problems } => problems,
            RoleFileError::Read { .. } => &[],
        }
    }
}

struct Lines<'a>(&'a [Problem]);

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// One problem of a roles file, where it is: `roles.toml:7:15: ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {kind}")]
pub struct Problem {
    pub(super) file: Arc<str>,
    pub(super) line: usize,
    pub(super) column: usize,
    pub(super) kind: ProblemKind,
}

impl Problem {
    /// The file, as named to the loader.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line, from 1.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column, in characters, from 1.
    pub fn column(&self) -> usize {
        self.column
    }

    /// What is wrong.
    pub fn kind(&self) -> &ProblemKind {
        &self.kind
    }
}

/// Whether a name is a role's or a permission's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameKind {
    /// A role, `[roles.<name>]`.
    Role,
    /// A permission, a key of `[permissions]`.
    Permission,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Role => "role",
            NameKind::Permission => "permission",
        })
    }
}

/// ` (did you mean `x`?)`, or nothing.
struct Hint<'a>(&'a Option<String>);

impl fmt::Display for Hint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(near) => write!(f, " (did you mean `{near}`?)"),
            None => Ok(()),
        }
    }
}

/// `a` → `b` → `a`.
struct Cycle<'a>(&'a [String]);

impl fmt::Display for Cycle<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, role) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" → ")?;
            }
            write!(f, "`{role}`")?;
        }
        Ok(())
    }
}

/// What is wrong with a roles file at one place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Not TOML, or TOML with a repeated key (the TOML parser's own message).
    #[error("{message}")]
    Toml {
        /// The parser's message.
        message: String,
    },
    /// A key the roles file does not have.
    #[error("unknown key `{key}` {place}: expected {expected}{}", Hint(suggestion))]
    UnknownKey {
        /// The key.
        key: String,
        /// Where it is, e.g. ``in `[roles.admin]` ``.
        place: String,
        /// The keys allowed there.
        expected: &'static str,
        /// The nearest allowed key, if one is close.
        suggestion: Option<String>,
    },
    /// A value of the wrong type.
    #[error("{what} must be {expected}, found {found}")]
    WrongType {
        /// What the value is, e.g. ``the `inherits` of role `admin` ``.
        what: String,
        /// What it must be, with an example.
        expected: &'static str,
        /// The TOML type found.
        found: &'static str,
    },
    /// The file declares no role.
    #[error(
        "the file declares no roles: add one, e.g. `[roles.customer]` with `permissions = [\"orders.read.own\"]`"
    )]
    NoRoles,
    /// More roles, or more permissions, than a file may declare.
    #[error(
        "the file declares {count} {kind}s, more than the {limit} a roles file may have; group them, e.g. with broader permissions"
    )]
    TooMany {
        /// Roles or permissions.
        kind: NameKind,
        /// How many the file declares.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A name that is empty, or has characters a name may not have.
    #[error(
        "invalid {kind} name `{name}`: {reason}; a name is lowercase ASCII letters and digits, in words joined by one `.`, `_`, `-` or `:`, starting with a letter, e.g. `orders.read` or `support-agent`"
    )]
    InvalidName {
        /// Role or permission.
        kind: NameKind,
        /// The name (`Debug`-escaped where it has control characters).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two names that become the same typed name in Rust.
    #[error(
        "{kind} `{name}` and `{other}` (line {other_line}) both become the typed name `{typed}`; rename one"
    )]
    AmbiguousName {
        /// Role or permission.
        kind: NameKind,
        /// This name.
        name: String,
        /// The earlier name.
        other: String,
        /// The earlier name's line.
        other_line: usize,
        /// The Rust type name both become.
        typed: String,
    },
    /// A permission without a description.
    #[error(
        "permission `{name}` has no description: say what it allows, e.g. `\"{name}\" = \"refund an order\"`"
    )]
    EmptyDescription {
        /// The permission.
        name: String,
    },
    /// A role lists a permission that `[permissions]` does not declare.
    #[error(
        "role `{role}` lists unknown permission `{name}`{}: declare it under `[permissions]` (`\"{name}\" = \"what it allows\"`) or fix the spelling",
        Hint(suggestion)
    )]
    UnknownPermission {
        /// The role.
        role: String,
        /// The undeclared permission.
        name: String,
        /// The nearest declared permission, if one is close.
        suggestion: Option<String>,
    },
    /// A role inherits a role the file does not declare.
    #[error(
        "role `{role}` inherits unknown role `{name}`{}: declare `[roles.{name}]` or fix the spelling",
        Hint(suggestion)
    )]
    UnknownRole {
        /// The inheriting role.
        role: String,
        /// The undeclared role.
        name: String,
        /// The nearest declared role, if one is close.
        suggestion: Option<String>,
    },
    /// Roles that inherit from one another in a circle.
    #[error(
        "roles inherit in a cycle: {}; inheritance goes one way (`admin` inherits `manager`, never back): remove one of these `inherits`",
        Cycle(cycle)
    )]
    Cycle {
        /// The roles of the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// A role lists a permission twice.
    #[error(
        "role `{role}` lists permission `{name}` twice (first on line {first_line}); remove this one"
    )]
    DuplicatePermission {
        /// The role.
        role: String,
        /// The repeated permission.
        name: String,
        /// The line of its first mention.
        first_line: usize,
    },
    /// A role inherits a role twice.
    #[error("role `{role}` inherits `{name}` twice (first on line {first_line}); remove this one")]
    DuplicateInherit {
        /// The role.
        role: String,
        /// The repeated role.
        name: String,
        /// The line of its first mention.
        first_line: usize,
    },
}

/// A principal holds a role that the roles file does not declare: a user record
/// written under another file, or by hand. Nothing is granted for it. As an
/// [`AuthError`](crate::AuthError) it is a 500 (the service is misconfigured),
/// never an allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "role `{role}` is not declared in the roles file `{file}`: declare `[roles.{role}]`, or correct the user's roles"
)]
#[non_exhaustive]
pub struct UnknownRole {
    /// The role.
    pub role: String,
    /// The roles file.
    pub file: String,
}

impl From<UnknownRole> for crate::AuthError {
    fn from(_: UnknownRole) -> Self {
        crate::AuthError::Misconfigured {
            reason: "a principal holds a role that the roles file does not declare",
        }
    }
}
