//! What each role reaches: the matrix per role ([`PerRole`]), and the gates that
//! name roles or permissions a table lacks ([`UndeclaredNames`]).

use std::fmt;

use super::table::{Role, RoleTable};
use crate::gate_text::{split_top_level, unquote};
use crate::inventory::{Access, Entry, Matrix};

impl Matrix {
    /// The matrix per role of `table`: for each role, every guarded handler it
    /// reaches by its role and permission gates, with the gates that still apply
    /// (scopes, mechanisms, step-up, predicates, resource policies). Least
    /// privilege, reviewable: its [`Display`](fmt::Display) is Markdown, one
    /// section per role.
    ///
    /// Each section is for a principal holding that one role (and what it
    /// inherits): a handler that needs two roles neither of which includes the
    /// other (`role("auditor"), role("manager")`) is in no section, though a
    /// user holding both reaches it. Review such handlers in the full matrix.
    ///
    /// ```
    /// use auth_core::inventory::Matrix;
    /// use auth_core::rbac::RoleTable;
    /// use auth_core::{requires, Authenticated, HasRoles};
    /// # struct User;
    /// # impl HasRoles for User { fn has_role(&self, _: &str) -> bool { false } }
    ///
    /// #[requires(role("admin"), scope("users:write"))]
    /// fn delete_user(user: Authenticated<User>) {}
    ///
    /// let table = RoleTable::from_toml("roles.toml", r#"
    ///     [roles.customer]
    ///     [roles.admin]
    ///     inherits = ["customer"]
    /// "#)?;
    /// let text = Matrix::collect().within(module_path!()).per_role(&table).to_string();
    /// // The admin reaches it if the credential has the scope; the customer not at all.
    /// let (customer, admin) = text.split_once("## role `admin`").unwrap();
    /// assert!(admin.contains(r#"delete_user` | `scope("users:write")` |"#), "{text}");
    /// assert!(!customer.contains("delete_user"), "{text}");
    /// # Ok::<(), auth_core::rbac::RoleFileError>(())
    /// ```
    pub fn per_role<'m>(&'m self, table: &'m RoleTable) -> PerRole<'m> {
        PerRole {
            matrix: self,
            table,
        }
    }

    /// Checks that every `role(..)` and `permission(..)` gate of the matrix names
    /// a role or permission `table` declares. Call it at start, after loading the
    /// table: a gate naming an undeclared one would never allow (a string gate's
    /// typo, or a typed name compiled from another file).
    ///
    /// # Errors
    ///
    /// [`UndeclaredNames`], every such gate with its handler and source line.
    pub fn check_roles(&self, table: &RoleTable) -> Result<(), UndeclaredNames> {
        let mut undeclared = Vec::new();
        for entry in self.handlers() {
            for text in entry.gates() {
                GateText::parse(text).names(&mut |kind, name| {
                    let known = match kind {
                        super::NameKind::Role => table.role(name).is_some(),
                        _ => table.permission(name).is_some(),
                    };
                    if !known {
                        undeclared.push(UndeclaredName {
                            handler: *entry,
                            kind,
                            name: name.to_owned(),
                            file: table.file().to_owned(),
                        });
                    }
                });
            }
        }
        if undeclared.is_empty() {
            Ok(())
        } else {
            Err(UndeclaredNames(undeclared))
        }
    }
}

/// Gates that name roles or permissions the roles file does not declare; see
/// [`Matrix::check_roles`]. A service refuses to start on it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", Lines(&self.0))]
#[non_exhaustive]
pub struct UndeclaredNames(pub Vec<UndeclaredName>);

struct Lines<'a>(&'a [UndeclaredName]);

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{name}")?;
        }
        Ok(())
    }
}

/// One gate naming a role or permission the roles file does not declare.
#[derive(Debug, Clone)]
pub struct UndeclaredName {
    handler: Entry,
    kind: super::NameKind,
    name: String,
    file: String,
}

impl UndeclaredName {
    /// The handler whose gate names it.
    pub fn handler(&self) -> Entry {
        self.handler
    }

    /// Role or permission.
    pub fn kind(&self) -> super::NameKind {
        self.kind
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for UndeclaredName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = &self.handler;
        write!(
            f,
            "{}:{}: `{}::{}` requires {} `{}`, which the roles file `{}` does not declare: declare it there, or correct the gate (a typed name, `{}(..)` with a type from `rbac::codegen`, is checked when it compiles)",
            h.file(),
            h.line(),
            h.module(),
            h.name(),
            self.kind,
            self.name,
            self.file,
            self.kind,
        )
    }
}

/// The matrix per role: see [`Matrix::per_role`].
#[derive(Debug, Clone, Copy)]
pub struct PerRole<'m> {
    matrix: &'m Matrix,
    table: &'m RoleTable,
}

impl PerRole<'_> {
    /// The handlers `role` reaches, each with the gates that still apply (empty
    /// when the role alone is enough). `None` for a role the table lacks.
    pub fn reached(&self, role: &str) -> Option<Vec<(Entry, Vec<String>)>> {
        let role = self.table.role(role)?;
        Some(self.reached_by(role))
    }

    fn reached_by(&self, role: Role<'_>) -> Vec<(Entry, Vec<String>)> {
        self.matrix
            .handlers()
            .iter()
            .filter(|entry| entry.access() == Access::Guarded)
            .filter_map(|entry| {
                let gates: Vec<GateText<'_>> =
                    entry.gates().iter().map(|t| GateText::parse(t)).collect();
                match Reach::all(gates.iter().map(|g| g.reach(role))) {
                    Reach::Denied => None,
                    Reach::Allowed => Some((*entry, Vec::new())),
                    Reach::If(conditions) => Some((*entry, conditions)),
                }
            })
            .collect()
    }
}

impl fmt::Display for PerRole<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let public = self
            .matrix
            .handlers()
            .iter()
            .filter(|entry| entry.access() == Access::Public)
            .count();
        for (i, role) in self.table.roles().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(
                f,
                "## role `{}` ({}:{})",
                role.name(),
                self.table.file(),
                role.line()
            )?;
            writeln!(f)?;
            let included: Vec<String> = role.included().map(|r| format!("`{r}`")).collect();
            let permissions: Vec<String> = role.permissions().map(|p| format!("`{p}`")).collect();
            writeln!(f, "- includes: {}", included.join(", "))?;
            writeln!(
                f,
                "- permissions: {}",
                if permissions.is_empty() {
                    "-".to_owned()
                } else {
                    permissions.join(", ")
                }
            )?;
            writeln!(f)?;
            let reached = self.reached_by(role);
            if reached.is_empty() {
                writeln!(f, "No guarded handler.")?;
            } else {
                writeln!(f, "| handler | gates that still apply | source |")?;
                writeln!(f, "|---|---|---|")?;
                for (entry, conditions) in reached {
                    let conditions = if conditions.is_empty() {
                        "-".to_owned()
                    } else {
                        conditions
                            .iter()
                            .map(|c| format!("`{}`", c.replace('|', "\\|")))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    writeln!(
                        f,
                        "| `{}::{}` | {conditions} | {}:{} |",
                        entry.module(),
                        entry.name(),
                        entry.file(),
                        entry.line()
                    )?;
                }
            }
            if public > 0 {
                writeln!(f)?;
                writeln!(
                    f,
                    "And {public} public handler{} (`#[public]`), which anyone reaches.",
                    if public == 1 { "" } else { "s" }
                )?;
            }
        }
        Ok(())
    }
}

/// Whether a role reaches a gate.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    Allowed,
    Denied,
    /// Allowed if these gates allow (all of them).
    If(Vec<String>),
}

impl Reach {
    fn all(reaches: impl Iterator<Item = Reach>) -> Reach {
        let mut conditions = Vec::new();
        for reach in reaches {
            match reach {
                Reach::Denied => return Reach::Denied,
                Reach::Allowed => {}
                Reach::If(more) => conditions.extend(more),
            }
        }
        if conditions.is_empty() {
            Reach::Allowed
        } else {
            Reach::If(conditions)
        }
    }

    fn any(reaches: impl Iterator<Item = Reach>) -> Reach {
        let mut open = Vec::new();
        for reach in reaches {
            match reach {
                Reach::Allowed => return Reach::Allowed,
                Reach::Denied => {}
                Reach::If(conditions) => open.push(conditions),
            }
        }
        match open.len() {
            0 => Reach::Denied,
            1 => Reach::If(open.pop().unwrap_or_default()),
            _ => {
                let each: Vec<String> = open.iter().map(|c| joined_all(c)).collect();
                Reach::If(vec![format!("any({})", each.join(", "))])
            }
        }
    }

    fn not(self) -> Reach {
        match self {
            Reach::Allowed => Reach::Denied,
            Reach::Denied => Reach::Allowed,
            Reach::If(conditions) => Reach::If(vec![format!("not({})", joined_all(&conditions))]),
        }
    }
}

fn joined_all(conditions: &[String]) -> String {
    match conditions {
        [one] => one.clone(),
        _ => format!("all({})", conditions.join(", ")),
    }
}

/// A gate as the inventory records it (`#[requires]` writes `role("admin")`,
/// `any(role("a"), scope("b"))`, ..), read back for the roles in it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum GateText<'t> {
    Role(String),
    Permission(String),
    Any(Vec<GateText<'t>>),
    All(Vec<GateText<'t>>),
    Not(Box<GateText<'t>>),
    /// `authenticated`: every principal passes it.
    Authenticated,
    /// Any other gate: a condition the roles do not decide.
    Other(&'t str),
}

impl<'t> GateText<'t> {
    fn parse(text: &'t str) -> GateText<'t> {
        let text = text.trim();
        if text == "authenticated" {
            return GateText::Authenticated;
        }
        let Some((head, inner)) = text.strip_suffix(')').and_then(|rest| rest.split_once('('))
        else {
            return GateText::Other(text);
        };
        match head {
            "role" | "permission" => match unquote(inner) {
                Some(name) if head == "role" => GateText::Role(name),
                Some(name) => GateText::Permission(name),
                None => GateText::Other(text),
            },
            "any" | "all" | "not" => {
                let Some(parts) = split_top_level(inner) else {
                    return GateText::Other(text);
                };
                let mut gates: Vec<GateText<'t>> = parts.into_iter().map(GateText::parse).collect();
                match head {
                    "any" => GateText::Any(gates),
                    "all" => GateText::All(gates),
                    _ if gates.len() == 1 => GateText::Not(Box::new(gates.remove(0))),
                    _ => GateText::Other(text),
                }
            }
            _ => GateText::Other(text),
        }
    }

    fn reach(&self, role: Role<'_>) -> Reach {
        match self {
            GateText::Role(name) => {
                if role.includes(name) {
                    Reach::Allowed
                } else {
                    Reach::Denied
                }
            }
            GateText::Permission(name) => {
                if role.has_permission(name) {
                    Reach::Allowed
                } else {
                    Reach::Denied
                }
            }
            GateText::Any(gates) => Reach::any(gates.iter().map(|g| g.reach(role))),
            GateText::All(gates) => Reach::all(gates.iter().map(|g| g.reach(role))),
            GateText::Not(gate) => gate.reach(role).not(),
            GateText::Authenticated => Reach::Allowed,
            GateText::Other(text) => Reach::If(vec![(*text).to_owned()]),
        }
    }

    fn names(&self, found: &mut impl FnMut(super::NameKind, &str)) {
        match self {
            GateText::Role(name) => found(super::NameKind::Role, name),
            GateText::Permission(name) => found(super::NameKind::Permission, name),
            GateText::Any(gates) | GateText::All(gates) => {
                for gate in gates {
                    gate.names(found);
                }
            }
            GateText::Not(gate) => gate.names(found),
            GateText::Authenticated | GateText::Other(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_gates_the_macro_writes() {
        assert_eq!(
            GateText::parse(r#"role("admin")"#),
            GateText::Role("admin".into())
        );
        assert_eq!(
            GateText::parse(r#"any(role("a"), all(permission("p"), scope("s, t")))"#),
            GateText::Any(vec![
                GateText::Role("a".into()),
                GateText::All(vec![
                    GateText::Permission("p".into()),
                    GateText::Other(r#"scope("s, t")"#)
                ])
            ])
        );
        assert_eq!(
            GateText::parse(r#"not(role("x"))"#),
            GateText::Not(Box::new(GateText::Role("x".into())))
        );
        for other in [
            "mfa",
            "Update(order)",
            "check(a::b)",
            "fresh(max_age = 300)",
            "any(",
            "role(admin)",
            "",
        ] {
            assert_eq!(GateText::parse(other), GateText::Other(other), "{other}");
        }
    }

    #[test]
    fn reach_combines_in_three_values() {
        let table = RoleTable::from_toml(
            "t.toml",
            "[permissions]\n\"p\" = \"x\"\n[roles.a]\n[roles.b]\ninherits = [\"a\"]\npermissions = [\"p\"]\n",
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let a = table.role("a").unwrap_or_else(|| unreachable!());
        let b = table.role("b").unwrap_or_else(|| unreachable!());
        let reach = |text: &str, role| GateText::parse(text).reach(role);
        assert_eq!(reach(r#"role("a")"#, b), Reach::Allowed);
        assert_eq!(reach(r#"role("b")"#, a), Reach::Denied);
        assert_eq!(reach("authenticated", a), Reach::Allowed);
        assert_eq!(reach(r#"not(role("b"))"#, a), Reach::Allowed);
        assert_eq!(
            reach(r#"any(role("b"), scope("s"))"#, a),
            Reach::If(vec![r#"scope("s")"#.into()])
        );
        assert_eq!(reach(r#"any(role("b"), scope("s"))"#, b), Reach::Allowed);
        assert_eq!(
            reach(r#"all(permission("p"), mfa)"#, b),
            Reach::If(vec!["mfa".into()])
        );
        assert_eq!(reach(r#"all(permission("p"), mfa)"#, a), Reach::Denied);
        assert_eq!(
            reach(r#"not(any(mfa, role("b")))"#, a),
            Reach::If(vec!["not(mfa)".into()])
        );
    }
}
