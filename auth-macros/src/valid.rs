//! Cross-checks between the attribute and the function, after both parsed.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

use crate::ast::{Gate, RequiresArgs};
use crate::ctxt::Ctxt;
use crate::handler::Handler;

pub(crate) fn check(
    cx: &mut Ctxt,
    args: &RequiresArgs,
    handler: &Handler,
    principal: Option<&syn::Ident>,
) {
    if args.gates.is_empty() && !cx.has_errors() {
        cx.error_at(
            Span::call_site(),
            "`#[requires]` needs at least one gate; write `#[requires(authenticated)]` to admit any signed-in caller",
        );
    }
    check_duplicates(cx, &args.gates);
    for binding in &handler.bindings {
        if binding.to_string().starts_with("__auth_") {
            cx.error_spanned_by(
                binding,
                format!("`{binding}`: names that start with `__auth_` are the expansion's own; rename the parameter"),
            );
        }
    }

    let mut guarded_params: HashSet<String> = HashSet::new();
    let mut reads_state = false;
    for gate in &args.gates {
        reads_state |= gate_reads_state(gate);
        if let Gate::Resource { action, param } = gate {
            let name = param.to_string();
            if !handler.bindings.iter().any(|b| *b == name) {
                let known: Vec<String> = handler
                    .bindings
                    .iter()
                    .filter(|b| principal.is_none_or(|p| *b != p))
                    .map(|b| format!("`{b}`"))
                    .collect();
                let known = if known.is_empty() {
                    "it has none besides the principal".to_owned()
                } else {
                    format!("it has {}", known.join(", "))
                };
                cx.error_spanned_by(
                    param,
                    format!("`{name}` is not a parameter of `{}`: a resource gate names the parameter holding the resource; {known}", handler.item.sig.ident),
                );
            } else if principal.is_some_and(|p| *p == name) {
                cx.error_spanned_by(
                    param,
                    format!("`{name}` is the principal, not a resource: name the parameter holding the resource, e.g. `{}(order)`", crate::ast::render_path(action)),
                );
            } else if !guarded_params.insert(name.clone()) {
                cx.error_spanned_by(
                    param,
                    format!("`{name}` already has a resource gate: a parameter becomes one permit, so give it one action"),
                );
            }
        }
    }
    if let Some(state) = &args.state
        && !reads_state
    {
        cx.error_spanned_by(
                state,
                "`state` is read only by resource gates and `check(..)` predicates, and this attribute has neither; remove it",
            );
    }
    if let Some(state) = &args.state
        && !is_place(state)
    {
        cx.error_spanned_by(
            state,
            "`state` names a parameter or a field, e.g. `state = db` or `state = self.limits`: it is read after the gates before it, so it must not compute anything that would run for a caller they refuse; do that work inside the policy or predicate",
        );
    }
    if args.gates.len() > MAX_GATES {
        cx.error_at(
            Span::call_site(),
            format!(
                "a handler has at most {MAX_GATES} gates; combine some with `all(..)` or `any(..)`"
            ),
        );
    }
}

/// As `auth_core::Gatekeeper::MAX_GATES`.
const MAX_GATES: usize = 64;

/// A place: a name, a field of a place, or `&`/`*`/parentheses around one. Reading
/// it runs no code of the user's (but a `Deref` impl the fields go through).
fn is_place(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Path(path) => path.qself.is_none() && path.path.get_ident().is_some(),
        syn::Expr::Field(field) => is_place(&field.base),
        syn::Expr::Reference(reference) => {
            reference.mutability.is_none() && is_place(&reference.expr)
        }
        syn::Expr::Paren(paren) => is_place(&paren.expr),
        syn::Expr::Group(group) => is_place(&group.expr),
        syn::Expr::Unary(unary) => matches!(unary.op, syn::UnOp::Deref(_)) && is_place(&unary.expr),
        _ => false,
    }
}

pub(crate) fn gate_reads_state(gate: &Gate) -> bool {
    match gate {
        Gate::Resource { .. } | Gate::Check { .. } => true,
        Gate::Combine { gates, .. } => gates.iter().any(gate_reads_state),
        Gate::Not { gate, .. } => gate_reads_state(gate),
        Gate::Authenticated(_)
        | Gate::Mfa(_)
        | Gate::Fresh { .. }
        | Gate::Named { .. }
        | Gate::Typed { .. } => false,
    }
}

/// Two identical gates in one list are a mistake (usually a copy-paste that was
/// meant to say something else), at every nesting level.
fn check_duplicates(cx: &mut Ctxt, gates: &[Gate]) {
    let mut seen: HashSet<String> = HashSet::new();
    for gate in gates {
        let text = gate.render();
        if !seen.insert(text.clone()) {
            cx.error_spanned_by(
                gate_tokens(gate),
                format!("duplicate gate `{text}`: it is already required; remove it or write the gate you meant"),
            );
        }
        match gate {
            Gate::Combine { gates, .. } => check_duplicates(cx, gates),
            Gate::Not { gate, .. } => check_duplicates(cx, std::slice::from_ref(gate)),
            _ => {}
        }
    }
}

/// The tokens to point at for a whole gate.
pub(crate) fn gate_tokens(gate: &Gate) -> TokenStream {
    match gate {
        Gate::Authenticated(keyword)
        | Gate::Mfa(keyword)
        | Gate::Combine { keyword, .. }
        | Gate::Not { keyword, .. } => keyword.to_token_stream(),
        Gate::Named { keyword, value, .. } => {
            let mut tokens = keyword.to_token_stream();
            value.to_tokens(&mut tokens);
            tokens
        }
        Gate::Fresh { keyword, max_age } => {
            let mut tokens = keyword.to_token_stream();
            max_age.to_tokens(&mut tokens);
            tokens
        }
        Gate::Typed { keyword, name, .. } => {
            let mut tokens = keyword.to_token_stream();
            name.to_tokens(&mut tokens);
            tokens
        }
        Gate::Check {
            keyword, predicate, ..
        } => {
            let mut tokens = keyword.to_token_stream();
            predicate.to_tokens(&mut tokens);
            tokens
        }
        Gate::Resource { action, param } => {
            let mut tokens = action.to_token_stream();
            param.to_tokens(&mut tokens);
            tokens
        }
    }
}
