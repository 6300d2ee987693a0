//! The parsed `#[requires(..)]` attribute. Every node keeps its tokens for spans.

use proc_macro2::Ident;
use syn::{Expr, LitStr, Path};

pub(crate) struct RequiresArgs {
    pub(crate) gates: Vec<Gate>,
    pub(crate) state: Option<Expr>,
    /// `crate = path`: where `auth_core` is, for re-exporting crates.
    pub(crate) krate: Option<Path>,
}

pub(crate) enum Gate {
    /// `authenticated`
    Authenticated(Ident),
    /// `role("admin")`, `scope("orders:write")`, `permission("orders.delete")`
    Named {
        kind: NamedKind,
        keyword: Ident,
        value: LitStr,
    },
    /// `any(..)`, `all(..)`
    Combine {
        kind: CombineKind,
        keyword: Ident,
        gates: Vec<Gate>,
    },
    /// `not(..)`
    Not { keyword: Ident, gate: Box<Gate> },
    /// `check(path::to::predicate)`
    Check { keyword: Ident, predicate: Path },
    /// `Update(order)`: the action's policy on the parameter `order`.
    Resource { action: Path, param: Ident },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum NamedKind {
    Role,
    Scope,
    Permission,
}

impl NamedKind {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            NamedKind::Role => "role",
            NamedKind::Scope => "scope",
            NamedKind::Permission => "permission",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CombineKind {
    Any,
    All,
}

impl CombineKind {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            CombineKind::Any => "any",
            CombineKind::All => "all",
        }
    }
}

impl Gate {
    /// The gate as a user would write it, normalized: the key for duplicate
    /// detection and the text in the inventory and audit events.
    pub(crate) fn render(&self) -> String {
        match self {
            Gate::Authenticated(_) => "authenticated".to_owned(),
            Gate::Named { kind, value, .. } => format!("{}({:?})", kind.keyword(), value.value()),
            Gate::Combine { kind, gates, .. } => {
                let inner: Vec<String> = gates.iter().map(Gate::render).collect();
                format!("{}({})", kind.keyword(), inner.join(", "))
            }
            Gate::Not { gate, .. } => format!("not({})", gate.render()),
            Gate::Check { predicate, .. } => format!("check({})", render_path(predicate)),
            Gate::Resource { action, param } => format!("{}({param})", render_path(action)),
        }
    }
}

pub(crate) fn render_path(path: &Path) -> String {
    let mut out = String::new();
    if path.leading_colon.is_some() {
        out.push_str("::");
    }
    for (i, segment) in path.segments.iter().enumerate() {
        if i > 0 {
            out.push_str("::");
        }
        out.push_str(&segment.ident.to_string());
    }
    out
}
