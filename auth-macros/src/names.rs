//! Typed role and permission names (`role(Admin)`, `permission(OrdersRefund)`).
//!
//! Each distinct name is resolved once, in a `const` at the top of the guarded
//! body, spanned at the user's path: a misspelled type is one "cannot find type"
//! error there, and a type of the wrong kind one `on_unimplemented` message. The
//! gate calls and the handler's inventory record read that `const`, so the record
//! says `role("admin")`, the name the type stands for, as a string gate would.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use std::fmt::Write as _;
use syn::Path;

use crate::ast::{Gate, NamedKind, Piece};

/// The `const` holding the name `path` stands for.
pub(crate) fn const_ident(kind: NamedKind, path: &Path) -> syn::Ident {
    // One-to-one: ASCII letters and digits stay, anything else (`_` included)
    // is `_<hex code>_`, so two different paths never share a constant (the
    // gates of both are checked, not one of them twice).
    let mut mangled = String::new();
    for c in crate::ast::render_path(path).chars() {
        if c.is_ascii_alphanumeric() {
            mangled.push(c);
        } else {
            let _ = write!(mangled, "_{:x}_", u32::from(c));
        }
    }
    let kind = match kind {
        NamedKind::Role => "ROLE",
        _ => "PERMISSION",
    };
    format_ident!("__AUTH_{}_{}", kind, mangled)
}

/// One `const` per distinct typed name of `gates`, for the top of the body.
pub(crate) fn consts(krate: &Path, gates: &[Gate]) -> TokenStream {
    let mut seen: Vec<syn::Ident> = Vec::new();
    let mut out = TokenStream::new();
    for gate in gates {
        for piece in gate.pieces() {
            let Piece::Name(kind, path) = piece else {
                continue;
            };
            let ident = const_ident(kind, path);
            if seen.contains(&ident) {
                continue;
            }
            seen.push(ident.clone());
            let span = path_span(path);
            let krate = crate::expand::respan(krate, span);
            let name_trait = if kind == NamedKind::Role {
                quote_spanned!(span=> RoleName)
            } else {
                quote_spanned!(span=> PermissionName)
            };
            out.extend(quote_spanned! {span=>
                #[allow(non_upper_case_globals)]
                const #ident: &str = <#path as #krate::rbac::#name_trait>::NAME;
            });
        }
    }
    out
}

/// The text the inventory records for `gate`: a string literal, or, with typed
/// names, a constant expression joining the pieces.
pub(crate) fn text(krate: &Path, gate: &Gate) -> TokenStream {
    let pieces = gate.pieces();
    if let [Piece::Text(text)] = pieces.as_slice() {
        return quote!(#text);
    }
    let parts = pieces.iter().map(|piece| match piece {
        Piece::Text(text) => quote!(#text),
        Piece::Name(kind, path) => {
            let open = format!("{}(\"", kind.keyword());
            let ident = const_ident(*kind, path);
            quote!(#open, #ident, "\")")
        }
    });
    quote! {{
        const __AUTH_PARTS: &[&str] = &[#(#parts),*];
        const __AUTH_TEXT: [u8; #krate::__private::text_len(__AUTH_PARTS)] =
            #krate::__private::text_bytes(__AUTH_PARTS);
        #krate::__private::text_str(&__AUTH_TEXT)
    }}
}

fn path_span(path: &Path) -> Span {
    path.segments
        .last()
        .map_or_else(Span::call_site, |segment| segment.ident.span())
}
