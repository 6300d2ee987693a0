//! Writes the guarded function.
//!
//! The generated code calls only auth-core's public API (`Gatekeeper`, `Guarded`,
//! `gate::*`, `All`/`Any`, `Decision`) plus the `__private` plumbing, which mints
//! nothing. Paths are absolute and locals are `__auth_` prefixed, so a user who
//! shadows `Result`, `Ok` or `Option` does not change what runs.

use proc_macro2::{Group, Literal, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::{Lifetime, Path, ReturnType, Type};

use crate::ast::{CombineKind, Gate, NamedKind, RequiresArgs};
use crate::attr;
use crate::ctxt::Ctxt;
use crate::handler::{Handler, Shape, conflicting_attribute};
use crate::valid;

pub(crate) fn requires(attr: TokenStream, item: TokenStream) -> TokenStream {
    requires_with(attr, item, false)
}

/// `#[requires]`; with `tonic`, for a method of `#[auth_core::tonic::service]`
/// (its denials are tonic statuses in the principal's realm).
pub(crate) fn requires_with(attr: TokenStream, item: TokenStream, tonic: bool) -> TokenStream {
    let mut cx = Ctxt::default();
    let args = attr::parse_requires(&mut cx, attr);
    let original = item.clone();
    let mut handler = match Handler::parse(&mut cx, "requires", item) {
        Ok(handler) => handler,
        Err(item) => return with_errors(cx, &item),
    };
    handler.tonic = tonic;
    if let Some(public) = conflicting_attribute(&handler.item, &["public"]) {
        cx.error_spanned_by(
            public,
            "`#[public]` and `#[requires]` contradict each other: a handler is either open to anyone or guarded; keep one",
        );
        // One mistake, one error: `#[public]` must not also run on what we emit.
        return with_errors(cx, &without_attribute(&handler.item, "public"));
    }
    if let Some(again) = conflicting_attribute(&handler.item, &["requires"]) {
        cx.error_spanned_by(
            again,
            "`#[requires]` appears twice: list every gate in one attribute, e.g. `#[requires(role(\"admin\"), Update(order))]`",
        );
    }
    let principal = handler.principal(&mut cx);
    for attribute in &handler.item.attrs {
        if !conflicting_attribute_name(attribute) && !runs_nothing_before_the_gates(attribute) {
            let name = crate::ast::render_path(attribute.path());
            cx.error_spanned_by(
                attribute,
                format!("`#[{name}]` below `#[requires]` wraps the guarded function, so what it runs (its fields, formatting of the arguments, its own code) would run before the gates; put it above `#[requires]`, where it wraps only what runs after them"),
            );
        }
    }
    valid::check(&mut cx, &args, &handler, principal.as_ref());
    match principal {
        Some(principal) if !cx.has_errors() => expand_requires(&args, handler, &principal),
        // Emit the function as written, so the user sees our errors and not a
        // cascade of unrelated ones, and IDEs keep working. A `const` we already
        // reported is dropped so rustc does not report it a second time.
        _ if handler.item.sig.constness.is_some() => {
            let mut item = handler.item;
            item.sig.constness = None;
            with_errors(cx, &item.to_token_stream())
        }
        _ => with_errors(cx, &original),
    }
}

pub(crate) fn public(attr: &TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    if !attr.is_empty() {
        cx.error_spanned_by(
            attr,
            "`#[public]` takes no arguments; to guard a handler use `#[requires(..)]`",
        );
    }
    let original = item.clone();
    let handler = match Handler::parse(&mut cx, "public", item) {
        Ok(handler) => handler,
        Err(item) => return with_errors(cx, &item),
    };
    if let Some(requires) = conflicting_attribute(&handler.item, &["requires"]) {
        cx.error_spanned_by(
            requires,
            "`#[public]` and `#[requires]` contradict each other: a handler is either open to anyone or guarded; keep one",
        );
        return with_errors(cx, &without_attribute(&handler.item, "requires"));
    }
    for input in &handler.item.sig.inputs {
        if let syn::FnArg::Typed(typed) = input
            && is_required_principal(&typed.ty)
        {
            cx.error_spanned_by(
                    &typed.ty,
                    "a `#[public]` handler cannot demand an `Authenticated<_>`: it would admit every signed-in caller without saying so; write `#[requires(authenticated)]`, or take `Option<Authenticated<_>>` for optional sign-in",
                );
        }
    }
    if cx.has_errors() {
        return with_errors(cx, &original);
    }
    expand_public(handler)
}

/// Whether an attribute left below `#[requires]` (so applied to the guarded
/// function) runs nothing at call time: the compiler's inert attributes, tool
/// attributes, and the macros known to leave the function's code alone
/// (`axum::debug_handler` only checks types, `utoipa::path` writes another item).
fn runs_nothing_before_the_gates(attribute: &syn::Attribute) -> bool {
    const INERT: &[&str] = &[
        "allow",
        "cfg",
        "cfg_attr",
        "cold",
        "deny",
        "deprecated",
        "doc",
        "expect",
        "export_name",
        "forbid",
        "inline",
        "link_section",
        "must_use",
        "no_mangle",
        "optimize",
        "target_feature",
        "track_caller",
        "used",
        "warn",
    ];
    const TOOLS: &[&str] = &["clippy", "diagnostic", "rustfmt", "rust_analyzer"];
    let path = attribute.path();
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [one] => INERT.contains(&one.as_str()) || one == "debug_handler",
        [first, ..] if TOOLS.contains(&first.as_str()) => true,
        [.., last] if last == "debug_handler" => true,
        [first, last] => first == "utoipa" && last == "path",
        _ => false,
    }
}

/// `#[requires]` or `#[public]`: reported on their own.
fn conflicting_attribute_name(attribute: &syn::Attribute) -> bool {
    attribute
        .path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "requires" || s.ident == "public")
}

fn without_attribute(item: &syn::ItemFn, name: &str) -> TokenStream {
    let mut item = item.clone();
    item.attrs
        .retain(|attr| attr.path().segments.last().is_none_or(|s| s.ident != name));
    item.to_token_stream()
}

fn with_errors(cx: Ctxt, item: &TokenStream) -> TokenStream {
    let errors = cx.into_compile_errors();
    quote!(#errors #item)
}

fn is_required_principal(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => is_required_principal(&r.elem),
        Type::Paren(p) => is_required_principal(&p.elem),
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Authenticated"),
        _ => false,
    }
}

fn krate(args: &RequiresArgs) -> Path {
    args.krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::auth_core))
}

/// The handler's record, as a `static` (so the gatekeeper gets the very record the
/// inventory holds), and its registration.
fn handler_info(
    krate: &Path,
    via: Option<&Path>,
    handler: &Handler,
    gates: Option<&[Gate]>,
    early: Option<TokenStream>,
    guests: bool,
) -> TokenStream {
    let name = handler.item.sig.ident.to_string();
    let info = if let Some(gates) = gates {
        let texts = gates.iter().map(|gate| crate::names::text(krate, gate));
        quote! {
            #krate::inventory::HandlerInfo::guarded(
                #name, ::core::module_path!(), ::core::file!(), ::core::line!(), &[#(#texts),*],
            )
        }
    } else {
        quote! {
            #krate::inventory::HandlerInfo::public(
                #name, ::core::module_path!(), ::core::file!(), ::core::line!(),
            )
        }
    };
    let info = if guests {
        quote!(#info.accepting_guests())
    } else {
        info
    };
    let info = match via {
        Some(path) => {
            let text = crate::ast::render_path(path);
            quote!(#info.via(#text))
        }
        None => info,
    };
    let (early, info) = match early {
        Some(early) => (
            early,
            quote!(#info.early(__auth_early_gates__in_a_generic_impl_write_early_false)),
        ),
        None => (TokenStream::new(), info),
    };
    // The handler's exact path, which `module_path!()` and the name are not (a
    // function nested in `fn outer` prints as one of `mod outer`; an associated
    // function as a free one): a secure mount finds the early gates by it.
    let info = quote!(#info.at(__auth_path));
    let early = quote! {
        #early
        fn __auth_path() -> &'static str {
            ::core::any::type_name_of_val(&__auth_path)
        }
    };
    // The record lives in a block of its own: the handler's body cannot name it
    // (a registered record is a door), and `__auth_handler` is hidden too.
    let names = gates.map(|gates| crate::names::consts(krate, gates));
    quote! {
        #names
        let __auth_handler: &'static #krate::inventory::HandlerInfo = {
            #early
            static __AUTH_HANDLER: #krate::inventory::HandlerInfo = #info;
            #krate::__private::inventory::submit! {
                #krate::inventory::Registration::new(&__AUTH_HANDLER)
            }
            &__AUTH_HANDLER
        };
    }
}

/// The expansion's own locals (`__auth_gate`, `__auth_clearance`, ..) made
/// unnameable from the user's code: `Span::mixed_site()` resolves local variables
/// where the macro defines them, so the body cannot reach the gatekeeper or the
/// handler's record, and the names resolve whatever macro the user's tokens came
/// through. Apply it to the expansion's scaffolding only, never to the body.
fn hidden(tokens: TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Ident(ident) if is_hidden(&ident) => {
                TokenTree::Ident(proc_macro2::Ident::new(
                    &ident.to_string(),
                    Span::mixed_site().located_at(ident.span()),
                ))
            }
            TokenTree::Group(group) => {
                let mut hidden_group = Group::new(group.delimiter(), hidden(group.stream()));
                hidden_group.set_span(group.span());
                TokenTree::Group(hidden_group)
            }
            other => other,
        })
        .collect()
}

/// The locals [`hidden`] hides: every `__auth_` name but the ones bound again
/// under a gate's own span, whose span is how a type error points at that gate.
fn is_hidden(ident: &proc_macro2::Ident) -> bool {
    let name = ident.to_string();
    name.starts_with("__auth_")
        && !matches!(
            name.as_str(),
            "__auth_principal" | "__auth_gatekeeper" | "__auth_predicate_state"
        )
}

fn expand_requires(
    args: &RequiresArgs,
    mut handler: Handler,
    principal: &syn::Ident,
) -> TokenStream {
    let krate = krate(args);
    let shape = handler.shape;
    let is_async = handler.is_async();
    let early = early_gates(args, &krate, &handler);
    let info = handler_info(
        &krate,
        args.krate.as_ref(),
        &handler,
        Some(&args.gates),
        early,
        args.guests.as_ref().is_some_and(|guests| guests.value),
    );

    let deny = match shape {
        _ if handler.tonic => quote!(#krate::tonic::__private::reject(&#principal, __auth_err)),
        Shape::Function => quote!(__auth_gate.deny(__auth_err)),
        Shape::Method | Shape::AsyncTraitMethod => reject(&krate, &handler, &quote!(__auth_err)),
    };
    let refuse = match shape {
        _ if handler.tonic => quote!(#krate::tonic::__private::reject(
            &#principal,
            __auth_refusal.into_error()
        )),
        Shape::Function => quote!(::core::convert::From::from(__auth_refusal)),
        Shape::Method | Shape::AsyncTraitMethod => {
            reject(&krate, &handler, &quote!(__auth_refusal.into_error()))
        }
    };
    // In `#[async_trait]`'s block, `self` was moved into `__self`.
    let renames_self = shape == Shape::AsyncTraitMethod
        && handler
            .async_gate_site()
            .is_some_and(|(_, renames)| renames);
    let state = args.state.as_ref().map(|state| {
        let mut state = state.clone();
        if renames_self {
            RenameSelf.visit_expr_mut(&mut state);
        }
        quote! {
            let __auth_state = {
                #[allow(unused_imports)]
                use #krate::__private::{ByReference as _, PeelReference as _};
                (&#krate::__private::StateRef(&(#state))).state()
            };
        }
    });

    let gates = gate_checks(args, &krate, is_async, &deny, state.as_ref());
    // A `&Authenticated<_>` parameter is passed on as it is: borrowing the local
    // that holds it would tie the permits to that local rather than the principal.
    let principal_ref = if handler.principal_by_reference {
        quote!(#principal)
    } else {
        quote!(&#principal)
    };
    let prologue = hidden(quote! {
        #info
        // The principal is often bound as `_user` when only the gates read it.
        #[allow(clippy::used_underscore_binding)]
        let mut __auth_gate = #krate::Gatekeeper::new(#principal_ref, __auth_handler);
        if let ::core::result::Result::Err(__auth_err) = __auth_gate.admit() {
            return #deny;
        }
        #gates
        let __auth_clearance = match __auth_gate.clear() {
            ::core::result::Result::Ok(__auth_clearance) => __auth_clearance,
            ::core::result::Result::Err(__auth_refusal) => return #refuse,
        };
    });
    let clearance = hidden(quote!(__auth_clearance));

    match shape {
        Shape::Function => {
            let caller = handler
                .principal_type
                .clone()
                .map_or_else(|| quote!(()), ToTokens::into_token_stream);
            let body = wrap_body(&krate, &mut handler, is_async, &caller);
            *handler.item.block = syn::parse_quote!({
                #prologue
                #krate::Guarded::new(#clearance, #body)
            });
        }
        Shape::Method => {
            let block = &handler.item.block;
            *handler.item.block = syn::parse_quote!({
                #prologue
                let _ = #clearance;
                #block
            });
        }
        Shape::AsyncTraitMethod => {
            if let Some((body, _)) = handler.async_gate_site() {
                let stmts = &body.stmts;
                *body = syn::parse_quote!({
                    #prologue
                    let _ = #clearance;
                    #(#stmts)*
                });
            }
        }
    }
    let item = &handler.item;
    quote!(#item)
}

/// `Err(E::from(error))` in a method's own return type, spanned at that type:
/// that is what must change when it cannot carry a denial.
fn reject(krate: &Path, handler: &Handler, error: &TokenStream) -> TokenStream {
    let span = match &handler.item.sig.output {
        ReturnType::Type(_, ty) => syn::spanned::Spanned::span(&**ty),
        ReturnType::Default => handler.item.sig.ident.span(),
    };
    let krate = respan(krate, span);
    quote_spanned!(span=> #krate::__private::reject(#error))
}

/// `self` → `__self`, as `#[async_trait]` renamed it inside its block.
struct RenameSelf;

impl VisitMut for RenameSelf {
    fn visit_expr_path_mut(&mut self, expr: &mut syn::ExprPath) {
        if expr.qself.is_none() && expr.path.is_ident("self") {
            let span = expr
                .path
                .segments
                .first()
                .map_or_else(Span::call_site, |s| s.ident.span());
            expr.path = syn::Ident::new("__self", span).into();
        }
    }
}

/// One check per gate: first every function-level gate, in the order written, then
/// every resource gate, in the order written, each rebinding its parameter to the
/// permit. So a caller the function-level gates refuse learns nothing from a
/// resource policy (403 / `insufficient_scope` before 404). `state = ..` is bound
/// right before the first gate that reads it.
fn gate_checks(
    args: &RequiresArgs,
    krate: &Path,
    is_async: bool,
    deny: &TokenStream,
    state: Option<&TokenStream>,
) -> TokenStream {
    let mut labels = 0usize;
    let mut gates = TokenStream::new();
    let mut state = state;
    let state_ref = if state.is_some() {
        quote!(__auth_state)
    } else {
        quote!(&())
    };
    let ordered = args
        .gates
        .iter()
        .enumerate()
        .filter(|(_, gate)| !matches!(gate, Gate::Resource { .. }))
        .chain(
            args.gates
                .iter()
                .enumerate()
                .filter(|(_, gate)| matches!(gate, Gate::Resource { .. })),
        );
    for (index, gate) in ordered {
        if crate::valid::gate_reads_state(gate)
            && let Some(binding) = state.take()
        {
            gates.extend(binding.clone());
        }
        let index = Literal::usize_unsuffixed(index);
        if let Gate::Resource { action, param } = gate {
            let span = action
                .segments
                .last()
                .map_or_else(Span::call_site, |s| s.ident.span());
            // The whole call is spelled at the user's gate, so a missing policy is
            // reported there; the gatekeeper is reached through a name bound under
            // that span (see `Decisions`).
            let gatekeeper = syn::Ident::new("__auth_gatekeeper", span);
            let check = quote_spanned!(span=> #gatekeeper.resource(#index, #param, #state_ref));
            let call = if is_async {
                quote_spanned!(span=> #check.authorize_async::<#action>().await)
            } else {
                quote_spanned!(span=> #check.authorize::<#action>())
            };
            gates.extend(quote! {
                #[allow(unused_variables, clippy::shadow_unrelated)]
                let #gatekeeper = &mut __auth_gate;
            });
            gates.extend(quote! {
                let #param = match #call {
                    ::core::result::Result::Ok(__auth_permit) => __auth_permit,
                    ::core::result::Result::Err(__auth_err) => return #deny,
                };
            });
        } else {
            let mut decisions = Decisions {
                krate,
                is_async,
                early: false,
                has_state: args.state.is_some(),
                labels: &mut labels,
                bindings: TokenStream::new(),
            };
            let decision = decisions.expr(gate);
            let bindings = decisions.bindings;
            gates.extend(quote! {
                #bindings
                let __auth_decision = #decision;
                if let ::core::result::Result::Err(__auth_err) = __auth_gate.check(#index, __auth_decision) {
                    return #deny;
                }
            });
        }
    }
    gates
}

/// The handler's early gates: the leading function-level gates (in the body's
/// order) that need nothing but the principal, as a function a secure mount runs
/// before the handler's extractors, so that a caller they refuse gets its 403
/// before any 400 or 422 (`HandlerInfo::early`). It records a denial only: an
/// allow is recorded by the body, which checks every gate again.
///
/// None when no gate leads that way, or when the function item cannot hold it: a
/// method, a generic function (the item could not name the parameters), or a
/// principal or predicate spelled with `Self`. An async handler's `check(..)` may
/// await, and reads the state when there is one, so it ends the early prefix.
fn early_gates(args: &RequiresArgs, krate: &Path, handler: &Handler) -> Option<TokenStream> {
    if handler.shape != Shape::Function
        || !handler.item.sig.generics.params.is_empty()
        || args.early.as_ref().is_some_and(|early| !early.value)
    {
        return None;
    }
    let principal = handler.principal_type.as_ref()?;
    let early_ok = |gate: &Gate| {
        (!contains_check(gate) || args.state.is_none()) && !mentions_self(&gate_tokens(gate))
    };
    let leading: Vec<(usize, &Gate)> = args
        .gates
        .iter()
        .enumerate()
        .filter(|(_, gate)| !matches!(gate, Gate::Resource { .. }))
        .take_while(|(_, gate)| early_ok(gate))
        .collect();
    // With no leading gate the function still runs: it refuses a guest at a
    // handler that does not accept guests (`Gatekeeper::admit`) before a loader
    // extractor could answer 404.
    if mentions_self(&principal.to_token_stream()) {
        return None;
    }
    let mut labels = 0usize;
    let mut checks = TokenStream::new();
    for (index, gate) in leading {
        let mut decisions = Decisions {
            krate,
            is_async: false,
            early: true,
            has_state: false,
            labels: &mut labels,
            bindings: TokenStream::new(),
        };
        let decision = decisions.expr(gate);
        let bindings = decisions.bindings;
        let index = Literal::usize_unsuffixed(index);
        checks.extend(quote! {
            {
                #bindings
                let __auth_decision = #decision;
                if !__auth_decision.is_allowed() {
                    __auth_gate.check(#index, __auth_decision)?;
                }
            }
        });
    }
    Some(quote! {
        #[allow(clippy::used_underscore_binding, clippy::unnecessary_wraps)]
        fn __auth_early_gates__in_a_generic_impl_write_early_false(
            __auth_record: &'static #krate::inventory::HandlerInfo,
            __auth_caller: &(dyn ::core::any::Any + ::core::marker::Send + ::core::marker::Sync),
        ) -> ::core::result::Result<(), #krate::AuthError> {
            let ::core::option::Option::Some(__auth_caller) =
                __auth_caller.downcast_ref::<#principal>()
            else {
                return ::core::result::Result::Ok(());
            };
            #[allow(unused_mut)]
            let mut __auth_gate = #krate::Gatekeeper::new(__auth_caller, __auth_record);
            __auth_gate.admit()?;
            #checks
            ::core::result::Result::Ok(())
        }
    })
}

fn contains_check(gate: &Gate) -> bool {
    match gate {
        Gate::Check { .. } => true,
        Gate::Combine { gates, .. } => gates.iter().any(contains_check),
        Gate::Not { gate, .. } => contains_check(gate),
        Gate::Authenticated(_)
        | Gate::Mfa(_)
        | Gate::Fresh { .. }
        | Gate::Named { .. }
        | Gate::Typed { .. }
        | Gate::Resource { .. } => false,
    }
}

fn gate_tokens(gate: &Gate) -> TokenStream {
    match gate {
        Gate::Check { predicate, .. } => predicate.to_token_stream(),
        Gate::Combine { gates, .. } => gates.iter().map(gate_tokens).collect(),
        Gate::Not { gate, .. } => gate_tokens(gate),
        Gate::Named { value, .. } => value.to_token_stream(),
        Gate::Typed { name, .. } => name.to_token_stream(),
        Gate::Fresh { max_age, .. } => max_age.to_token_stream(),
        Gate::Authenticated(_) | Gate::Mfa(_) | Gate::Resource { .. } => TokenStream::new(),
    }
}

/// Whether `tokens` say `Self` or a lifetime anywhere: a nested function cannot
/// name the first, and a principal downcast from `Any` has no room for the second.
fn mentions_self(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "Self",
        TokenTree::Punct(punct) => punct.as_char() == '\'',
        TokenTree::Group(group) => mentions_self(&group.stream()),
        TokenTree::Literal(_) => false,
    })
}

fn expand_public(mut handler: Handler) -> TokenStream {
    let krate: Path = syn::parse_quote!(::auth_core);
    let mut info = handler_info(&krate, None, &handler, None, None, false);
    // Every parameter but the optional principal spelled as such is probed for a
    // principal behind another name (a type alias): that one would be mounted as
    // admitting anyone, unauthenticated first.
    let mut spelled_optional = false;
    for input in &handler.item.sig.inputs {
        let syn::FnArg::Typed(typed) = input else {
            continue;
        };
        if !spelled_optional && crate::handler::optional_principal(&typed.ty).is_some() {
            spelled_optional = true;
            continue;
        }
        let ty = &typed.ty;
        let span = syn::spanned::Spanned::span(&**ty);
        info.extend(quote_spanned! {span=>
            {
                #[allow(unused_imports)]
                use #krate::__private::{ParamIsOther as _, ParamIsPrincipal as _};
                (&#krate::__private::PublicParam::<#ty>::new()).check_public_param();
            }
        });
    }
    match handler.shape {
        Shape::Function => {
            let is_async = handler.is_async();
            let caller = handler
                .item
                .sig
                .inputs
                .iter()
                .find_map(|input| match input {
                    syn::FnArg::Typed(typed) => crate::handler::optional_principal(&typed.ty),
                    syn::FnArg::Receiver(_) => None,
                })
                .map_or_else(
                    || quote!(()),
                    |inner| quote!(::core::option::Option<#inner>),
                );
            let body = wrap_body(&krate, &mut handler, is_async, &caller);
            let info = hidden(info);
            let (handler_ref, clearance, refusal) = (
                hidden(quote!(__auth_handler)),
                hidden(quote!(__auth_clearance)),
                hidden(quote!(__auth_refusal)),
            );
            *handler.item.block = syn::parse_quote!({
                #info
                match #krate::Clearance::public(#handler_ref) {
                    ::core::result::Result::Ok(#clearance) => {
                        #krate::Guarded::new(#clearance, #body)
                    }
                    ::core::result::Result::Err(#refusal) => {
                        ::core::convert::From::from(#refusal)
                    }
                }
            });
        }
        Shape::Method | Shape::AsyncTraitMethod => {
            // The record is registered; a method is not mounted, so nothing reads it.
            let info = hidden(quote!(#info let _ = __auth_handler;));
            let block = &handler.item.block;
            *handler.item.block = syn::parse_quote!({
                #info
                #block
            });
        }
    }
    let item = &handler.item;
    quote!(#item)
}

/// Makes the handler return `Guarded<R, C>` where it declared `R`, `C` being who
/// it admits, and turns its body into an expression of type `R`. The body moves
/// into a closure (or, when it may await, an `async` block), so its own `return`
/// and `?` still produce an `R`. It captures the parameters by use, not by
/// `move`: permits borrow the principal, which stays where it is.
fn wrap_body(
    krate: &Path,
    handler: &mut Handler,
    is_async: bool,
    caller: &TokenStream,
) -> TokenStream {
    let sig = &mut handler.item.sig;
    let output: Type = match &sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => (**ty).clone(),
    };
    let arrow = match &sig.output {
        ReturnType::Type(arrow, _) => *arrow,
        ReturnType::Default => syn::parse_quote!(->),
    };
    sig.output = ReturnType::Type(
        arrow,
        Box::new(syn::parse_quote!(#krate::Guarded<#output, #caller>)),
    );
    let hint = inference_hint(output);
    let block = &handler.item.block;
    if is_async && may_await(block) {
        quote!(#krate::__private::output::<#hint, _>(async #block).await)
    } else {
        // A body that cannot await runs as a closure even in an `async fn`: the
        // same `return` and `?`, without a second future (measured: a nested
        // `async` block costs a resource-gated handler about 3% more).
        quote!((|| -> #hint #block)())
    }
}

/// Whether `block` may `.await`: an `.await` outside nested closures, `async`
/// blocks and items, or a macro that is not one of the standard ones known not to
/// (a macro such as `tokio::join!` may expand to an `.await`). A wrong "no" would
/// be a compile error, never a change of meaning.
fn may_await(block: &syn::Block) -> bool {
    use syn::visit::Visit;

    /// Macros that expand to no `.await`: `std`'s, `serde_json::json!` and
    /// `tracing`'s events.
    const NO_AWAIT: &[&str] = &[
        "assert",
        "assert_eq",
        "assert_ne",
        "cfg",
        "column",
        "concat",
        "dbg",
        "debug",
        "debug_assert",
        "debug_assert_eq",
        "debug_assert_ne",
        "env",
        "eprint",
        "eprintln",
        "error",
        "event",
        "file",
        "format",
        "format_args",
        "include_bytes",
        "include_str",
        "info",
        "json",
        "line",
        "matches",
        "module_path",
        "option_env",
        "panic",
        "print",
        "println",
        "stringify",
        "todo",
        "trace",
        "unimplemented",
        "unreachable",
        "vec",
        "warn",
        "write",
        "writeln",
    ];

    struct Finder(bool);

    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_await(&mut self, _: &'ast syn::ExprAwait) {
            self.0 = true;
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            let known = mac
                .path
                .segments
                .last()
                .is_some_and(|segment| NO_AWAIT.iter().any(|name| segment.ident == name));
            if !known {
                self.0 = true;
            }
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }

    let mut finder = Finder(false);
    finder.visit_block(block);
    finder.0
}

/// The declared output with every `impl Trait` replaced by `_`: a type the body's
/// wrapper can be annotated with, so `?` infers as it did in the function.
fn inference_hint(mut ty: Type) -> Type {
    struct Placeholders;
    impl VisitMut for Placeholders {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(_) = ty {
                *ty = syn::parse_quote!(_);
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    Placeholders.visit_type_mut(&mut ty);
    ty
}

/// `path` with every token at `span`, so an error in a call through it points at
/// the user's gate rather than at the whole attribute.
pub(crate) fn respan(path: &Path, span: Span) -> TokenStream {
    path.to_token_stream()
        .into_iter()
        .map(|mut tree| {
            tree.set_span(span);
            tree
        })
        .collect()
}

/// Builds the `Decision` expression of a function-level gate.
///
/// A leaf's expression is spanned at the user's gate, so a type error points
/// there. The principal and the state it reads are locals of the expansion, bound
/// again under the gate's own span (see [`Decisions::bindings`]): were the gate's
/// tokens passed through a `macro_rules!`, a name of the expansion spelled at them
/// would not resolve.
struct Decisions<'a> {
    krate: &'a Path,
    is_async: bool,
    /// In a handler's early gates: a predicate that answers with a future ends
    /// them (the function returns `Ok`, leaving the rest to the body).
    early: bool,
    has_state: bool,
    labels: &'a mut usize,
    /// `let` statements to put before the decision: the principal and the state
    /// under each leaf's span.
    bindings: TokenStream,
}

impl Decisions<'_> {
    /// `__auth_principal`, bound under `span` to the gatekeeper's principal.
    fn principal(&mut self, span: Span) -> TokenStream {
        let name = syn::Ident::new("__auth_principal", span);
        self.bindings.extend(quote! {
            #[allow(unused_variables, clippy::shadow_unrelated)]
            let #name = __auth_gate.principal();
        });
        quote!(#name)
    }

    /// The state, bound again under `span` as `__auth_predicate_state`.
    fn state(&mut self, span: Span) -> TokenStream {
        let name = syn::Ident::new("__auth_predicate_state", span);
        self.bindings.extend(quote! {
            #[allow(unused_variables, clippy::shadow_unrelated)]
            let #name = __auth_state;
        });
        quote!(#name)
    }

    /// A built-in gate that reads only the principal: `gate::name(principal, ..)`.
    fn principal_gate(&mut self, gate: &Gate) -> TokenStream {
        match gate {
            Gate::Mfa(keyword) => {
                let krate = respan(self.krate, keyword.span());
                let principal = self.principal(keyword.span());
                quote_spanned!(keyword.span()=> #krate::gate::mfa(#principal))
            }
            Gate::Fresh { keyword, max_age } => {
                let krate = respan(self.krate, keyword.span());
                let principal = self.principal(keyword.span());
                let seconds = Literal::u32_unsuffixed(max_age.base10_parse::<u32>().unwrap_or(1));
                quote_spanned!(keyword.span()=> #krate::gate::fresh(#principal, #seconds))
            }
            Gate::Named {
                kind: NamedKind::Mechanism,
                keyword,
                value,
            } => {
                let krate = respan(self.krate, keyword.span());
                let text = value.value();
                let Some((_, variant)) = crate::attr::MECHANISMS
                    .iter()
                    .find(|(known, _)| *known == text)
                else {
                    // Refused by the parser; never a silent default.
                    return quote!(::core::compile_error!("unknown mechanism"));
                };
                let variant = syn::Ident::new(variant, value.span());
                let principal = self.principal(keyword.span());
                quote_spanned!(keyword.span()=> #krate::gate::mechanism(#principal, #krate::Mechanism::#variant))
            }
            Gate::Named {
                kind,
                keyword,
                value,
            } => {
                let krate = respan(self.krate, keyword.span());
                let function = match kind {
                    NamedKind::Role => quote_spanned!(keyword.span()=> role),
                    NamedKind::Scope => quote_spanned!(keyword.span()=> scope),
                    NamedKind::Permission => quote_spanned!(keyword.span()=> permission),
                    NamedKind::Amr => quote_spanned!(keyword.span()=> amr),
                    NamedKind::Acr | NamedKind::Mechanism => quote_spanned!(keyword.span()=> acr),
                };
                let principal = self.principal(keyword.span());
                quote_spanned!(keyword.span()=> #krate::gate::#function(#principal, #value))
            }
            Gate::Typed {
                kind,
                keyword,
                name,
            } => {
                let krate = respan(self.krate, keyword.span());
                let function = if *kind == NamedKind::Role {
                    quote_spanned!(keyword.span()=> role)
                } else {
                    quote_spanned!(keyword.span()=> permission)
                };
                let principal = self.principal(keyword.span());
                let name = crate::names::const_ident(*kind, name);
                quote_spanned!(keyword.span()=> #krate::gate::#function(#principal, #name))
            }
            _ => quote!(::core::compile_error!("not a principal gate")),
        }
    }

    fn expr(&mut self, gate: &Gate) -> TokenStream {
        match gate {
            Gate::Authenticated(keyword) => {
                let krate = respan(self.krate, keyword.span());
                let principal = self.principal(keyword.span());
                quote_spanned!(keyword.span()=> #krate::gate::authenticated(#principal))
            }
            Gate::Mfa(_) | Gate::Fresh { .. } | Gate::Named { .. } | Gate::Typed { .. } => {
                self.principal_gate(gate)
            }
            Gate::Not { gate, keyword } => {
                let krate = respan(self.krate, keyword.span());
                let inner = self.expr(gate);
                quote_spanned!(keyword.span()=> #krate::Decision::negate(#inner))
            }
            Gate::Combine { kind, gates, .. } => {
                let krate = self.krate;
                *self.labels += 1;
                let n = *self.labels;
                let (name, ty) = match kind {
                    CombineKind::Any => ("any", quote!(#krate::Any)),
                    CombineKind::All => ("all", quote!(#krate::All)),
                };
                let label = Lifetime::new(&format!("'__auth_{name}_{n}"), Span::call_site());
                let acc = format_ident!("__auth_{}_{}", name, n);
                let pushes: Vec<TokenStream> = gates
                    .iter()
                    .map(|gate| {
                        let decision = self.expr(gate);
                        quote! {
                            if #acc.push(#decision).is_break() {
                                break #label #acc.finish();
                            }
                        }
                    })
                    .collect();
                quote! {
                    #label: {
                        let mut #acc = #ty::new();
                        #(#pushes)*
                        #acc.finish()
                    }
                }
            }
            Gate::Check { predicate, keyword } => {
                let krate = respan(self.krate, keyword.span());
                let principal = self.principal(keyword.span());
                let args = if self.has_state {
                    let state = self.state(keyword.span());
                    quote_spanned!(keyword.span()=> #principal, #state)
                } else {
                    principal
                };
                if self.early {
                    quote_spanned!(keyword.span()=> {
                        #[allow(unused_imports)]
                        use #krate::__private::NotAtOnce as _;
                        let __auth_probe = #krate::__private::early_probe(&#predicate, #args);
                        if !__auth_probe.at_once() {
                            return ::core::result::Result::Ok(());
                        }
                        match __auth_probe.take(#predicate(#args)) {
                            ::core::option::Option::Some(__auth_decision) => __auth_decision,
                            ::core::option::Option::None => return ::core::result::Result::Ok(()),
                        }
                    })
                } else if self.is_async {
                    quote_spanned!(keyword.span()=>
                        #krate::__private::IntoDecisionFuture::into_decision_future(#predicate(#args)).await
                    )
                } else {
                    quote_spanned!(keyword.span()=>
                        #krate::__private::IntoDecision::into_decision(#predicate(#args))
                    )
                }
            }
            Gate::Resource { .. } => {
                // Rejected by the parser anywhere but the top level.
                quote!(::core::compile_error!("a resource gate cannot be nested"))
            }
        }
    }
}
