//! The parsed `#[requires(..)]` attribute. Every node keeps its tokens for spans.

use proc_macro2::Ident;
use syn::{Expr, LitStr, Path};

pub(crate) struct RequiresArgs {
    pub(crate) gates: Vec<Gate>,
    pub(crate) state: Option<Expr>,
    /// `crate = path`: where `auth_core` is, for re-exporting crates.
    pub(crate) krate: Option<Path>,
    /// `early = false`: no early gates (a handler in a generic `impl` whose
    /// principal or predicate names the impl's parameters).
    pub(crate) early: Option<syn::LitBool>,
    /// `guests = true`: guests (`Mechanism::Guest`) may call the handler.
    pub(crate) guests: Option<syn::LitBool>,
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
    /// `role(Admin)`, `permission(OrdersRefund)`: a type implementing
    /// `auth_core::rbac::RoleName` / `PermissionName`, so a misspelled name does
    /// not compile.
    Typed {
        kind: NamedKind,
        keyword: Ident,
        name: Path,
    },
    /// `any(..)`, `all(..)`
    Combine {
        kind: CombineKind,
        keyword: Ident,
        gates: Vec<Gate>,
    },
    /// `mfa`: a second factor in the credential's `amr`.
    Mfa(Ident),
    /// `fresh(max_age = 300)`: authenticated at most that many seconds ago.
    Fresh {
        keyword: Ident,
        max_age: syn::LitInt,
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
    Amr,
    Acr,
    Mechanism,
}

impl NamedKind {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            NamedKind::Role => "role",
            NamedKind::Scope => "scope",
            NamedKind::Permission => "permission",
            NamedKind::Amr => "amr",
            NamedKind::Acr => "acr",
            NamedKind::Mechanism => "mechanism",
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
    /// detection. A typed name shows as its path (`role(Admin)`).
    pub(crate) fn render(&self) -> String {
        self.pieces()
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(text) => text,
                Piece::Name(kind, path) => format!("{}({})", kind.keyword(), render_path(path)),
            })
            .collect()
    }

    /// The gate's text in pieces, a typed name apart: the inventory records it
    /// with the name the type stands for (`role("admin")`), known only to rustc.
    pub(crate) fn pieces(&self) -> Vec<Piece<'_>> {
        let mut pieces = Vec::new();
        self.push_pieces(&mut pieces);
        pieces
    }

    fn push_pieces<'g>(&'g self, out: &mut Vec<Piece<'g>>) {
        let text = |out: &mut Vec<Piece<'g>>, text: String| match out.last_mut() {
            Some(Piece::Text(last)) => last.push_str(&text),
            _ => out.push(Piece::Text(text)),
        };
        match self {
            Gate::Authenticated(_) => text(out, "authenticated".to_owned()),
            Gate::Mfa(_) => text(out, "mfa".to_owned()),
            Gate::Fresh { max_age, .. } => {
                text(out, format!("fresh(max_age = {})", max_age.base10_digits()));
            }
            Gate::Named { kind, value, .. } => {
                text(out, format!("{}({:?})", kind.keyword(), value.value()));
            }
            Gate::Typed { kind, name, .. } => out.push(Piece::Name(*kind, name)),
            Gate::Combine { kind, gates, .. } => {
                text(out, format!("{}(", kind.keyword()));
                for (i, gate) in gates.iter().enumerate() {
                    if i > 0 {
                        text(out, ", ".to_owned());
                    }
                    gate.push_pieces(out);
                }
                text(out, ")".to_owned());
            }
            Gate::Not { gate, .. } => {
                text(out, "not(".to_owned());
                gate.push_pieces(out);
                text(out, ")".to_owned());
            }
            Gate::Check { predicate, .. } => {
                text(out, format!("check({})", render_path(predicate)));
            }
            Gate::Resource { action, param } => {
                text(out, format!("{}({param})", render_path(action)));
            }
        }
    }
}

/// A piece of a gate's text.
pub(crate) enum Piece<'g> {
    Text(String),
    /// A typed role or permission name.
    Name(NamedKind, &'g Path),
}

/// `path` as written, generic arguments included (`plans::on_plan::<Enterprise>`),
/// without the spaces a token stream puts between tokens.
pub(crate) fn render_path(path: &Path) -> String {
    use quote::ToTokens;
    let spaced = path.to_token_stream().to_string();
    let mut out = String::with_capacity(spaced.len());
    for piece in spaced.split(' ') {
        out.push_str(piece);
        if piece.ends_with(',') {
            out.push(' ');
        }
    }
    out
}
