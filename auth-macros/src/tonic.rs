//! `#[auth_core::tonic::service]`: guards the methods of a tonic service `impl`.
//!
//! It goes above `#[tonic::async_trait]`, so it sees each `async fn` as written,
//! with its `#[requires]` or `#[public]`. A method with neither is an error. A
//! `#[requires]` method declares its principal as an extra parameter, which is
//! removed from the signature (tonic's trait fixes it) and bound from the
//! outcome the server's layer recorded, before the gates the usual expansion
//! writes (`expand::requires_with`). It implements
//! `auth_core::tonic::GuardedService` for the `impl`'s type with each method's
//! access, which the secure server consults to answer 401 first.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::{FnArg, ImplItem, ImplItemFn, ItemImpl, Pat, Type};

use crate::ctxt::Ctxt;
use crate::handler::{is_authenticated, optional_principal};

pub(crate) fn service(attr: &TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    if !attr.is_empty() {
        cx.error_spanned_by(
            attr,
            "`#[auth_core::tonic::service]` takes no arguments; put the gates on each method with `#[requires(..)]`",
        );
    }
    let mut item = match syn::parse2::<ItemImpl>(item) {
        Ok(item) => item,
        Err(error) => {
            cx.error_at(
            Span::call_site(),
            "`#[auth_core::tonic::service]` goes on the `impl` block of a tonic service trait, e.g. `#[auth_core::tonic::service] #[tonic::async_trait] impl Orders for OrdersService { .. }`",
        );
            cx.push(error);
            return cx.into_compile_errors();
        }
    };
    if item.trait_.is_none() {
        cx.error_spanned_by(
            &item.self_ty,
            "`#[auth_core::tonic::service]` goes on the `impl` of a tonic service trait (`impl Orders for OrdersService`), not on an inherent `impl`",
        );
        return with(cx, &item.to_token_stream());
    }
    let mut access = Vec::new();
    let mut items = Vec::new();
    for impl_item in std::mem::take(&mut item.items) {
        let Some(method) = method_of(&mut cx, impl_item, &mut items) else {
            continue;
        };
        if method.sig.asyncness.is_none() {
            cx.error_spanned_by(
                &method.sig.ident,
                format!(
                    "`{}` is not an `async fn`: put `#[auth_core::tonic::service]` above `#[tonic::async_trait]`, so it sees the methods as written",
                    method.sig.ident
                ),
            );
            // One mistake, one error: our attributes are not left to be
            // resolved on their own.
            let mut method = method;
            method.attrs.retain(|attr| {
                attr.path()
                    .segments
                    .last()
                    .is_none_or(|s| s.ident != "requires" && s.ident != "public")
            });
            items.push(ImplItem::Fn(method));
            continue;
        }
        // `r#type` is the gRPC method `Type`.
        let name = method.sig.ident.unraw().to_string();
        match guard(&mut cx, method) {
            Ok((guarded, out)) => {
                access.push((name, guarded));
                items.push(out);
            }
            // Reported; kept as written, so the only error is ours.
            Err(method) => items.push(ImplItem::Fn(*method)),
        }
    }
    item.items = items;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let self_ty = &item.self_ty;
    let service = item
        .trait_
        .as_ref()
        .and_then(|(_, path, _)| path.segments.last())
        .map(|segment| segment.ident.unraw().to_string())
        .unwrap_or_default();
    let methods = access.iter().map(|(name, guarded)| {
        if *guarded {
            quote!(::auth_core::tonic::MethodAccess::guarded(#name))
        } else {
            quote!(::auth_core::tonic::MethodAccess::public(#name))
        }
    });
    let errors = cx.into_compile_errors();
    quote! {
        #errors
        #item
        impl #impl_generics ::auth_core::tonic::GuardedService for #self_ty #where_clause {
            const METHODS: &'static [::auth_core::tonic::MethodAccess] = &[#(#methods),*];
            const SERVICE: &'static str = #service;
            fn __written_by_the_service_attribute(_: ::auth_core::tonic::__private::Seal) {}
        }
    }
}

/// The method `impl_item` is; anything else goes to `items` as written, a
/// macro call with an error: a macro may write methods the attribute cannot
/// see, which would be served with no gates (deny by default).
fn method_of(cx: &mut Ctxt, impl_item: ImplItem, items: &mut Vec<ImplItem>) -> Option<ImplItemFn> {
    match impl_item {
        ImplItem::Fn(method) => Some(method),
        ImplItem::Macro(call) => {
            cx.error_spanned_by(
                &call.mac,
                "a macro call in a `#[auth_core::tonic::service]` impl: the attribute cannot see the methods it writes; write each method in the impl, with `#[requires(..)]` or `#[public]`",
            );
            // Kept as written, so the only error is ours.
            items.push(ImplItem::Macro(call));
            None
        }
        other => {
            items.push(other);
            None
        }
    }
}

fn with(cx: Ctxt, item: &TokenStream) -> TokenStream {
    let errors = cx.into_compile_errors();
    quote!(#errors #item)
}

/// Rewrites one method; gives it back (after an error) when it has neither
/// attribute. The `bool` is whether it is guarded.
fn guard(cx: &mut Ctxt, mut method: ImplItemFn) -> Result<(bool, ImplItem), Box<ImplItemFn>> {
    let position = |method: &ImplItemFn, name: &str| {
        method.attrs.iter().position(|attr| {
            attr.path()
                .segments
                .last()
                .is_some_and(|segment| segment.ident == name)
        })
    };
    let requires = position(&method, "requires");
    let public = position(&method, "public");
    let (index, guarded) = match (requires, public) {
        (Some(index), _) => (index, true),
        (None, Some(index)) => (index, false),
        (None, None) => {
            cx.error_spanned_by(
                &method.sig.ident,
                format!(
                    "the tonic method `{}` has neither `#[requires(..)]` nor `#[public]`: say who may call it with `#[requires(..)]` (and a parameter `user: Authenticated<User>`), or `#[public]` if anyone may",
                    method.sig.ident
                ),
            );
            return Err(Box::new(method));
        }
    };
    let attribute = method.attrs.remove(index);
    Ok((guarded, rewrite(cx, method, attribute, guarded)))
}

/// `inputs` without the one at `index`.
fn without_input(
    inputs: syn::punctuated::Punctuated<FnArg, syn::Token![,]>,
    index: usize,
) -> syn::punctuated::Punctuated<FnArg, syn::Token![,]> {
    inputs
        .into_iter()
        .enumerate()
        .filter(|(j, _)| *j != index)
        .map(|(_, input)| input)
        .collect()
}

/// The method under `attribute` (`#[requires(..)]` when `guarded`, else
/// `#[public]`), expanded, its principal bound from the layer's outcome.
fn rewrite(
    cx: &mut Ctxt,
    mut method: ImplItemFn,
    attribute: syn::Attribute,
    guarded: bool,
) -> ImplItem {
    let Some(request) = request_name(cx, &mut method) else {
        return ImplItem::Fn(method);
    };
    // The principal parameter, removed from the signature and bound from the
    // layer's outcome.
    let principal = method.sig.inputs.iter().position(|input| match input {
        FnArg::Typed(typed) if guarded => is_authenticated(&typed.ty),
        FnArg::Typed(typed) => optional_principal(&typed.ty).is_some(),
        FnArg::Receiver(_) => false,
    });
    if let Some(FnArg::Typed(typed)) = principal.and_then(|i| method.sig.inputs.iter().nth(i))
        && matches!(&*typed.ty, Type::Reference(_))
    {
        cx.error_spanned_by(
            &typed.ty,
            "a tonic method takes its principal by value: `user: Authenticated<User>`",
        );
        return ImplItem::Fn(method);
    }
    let function = syn::ItemFn {
        attrs: method.attrs.clone(),
        vis: method.vis.clone(),
        sig: method.sig.clone(),
        block: Box::new(method.block.clone()),
    };
    let args = match attribute.meta {
        syn::Meta::List(list) => list.tokens,
        _ => TokenStream::new(),
    };
    let expanded = if guarded {
        crate::expand::requires_with(args, function.into_token_stream(), true)
    } else {
        // `#[public]` without the optional principal: it is bound here.
        let mut function = function;
        if let Some(i) = principal {
            function.sig.inputs = without_input(function.sig.inputs, i);
        }
        crate::expand::public(&args, function.into_token_stream())
    };
    let Ok(mut out) = syn::parse2::<syn::ItemFn>(expanded.clone()) else {
        // Errors: the expansion reports them; keep its tokens as they are.
        return ImplItem::Verbatim(expanded);
    };
    let binding = match principal.and_then(|i| method.sig.inputs.iter().nth(i)) {
        Some(FnArg::Typed(typed)) => {
            let (pat, ty) = (&typed.pat, &typed.ty);
            // After `requires_with`, a `_` principal is named: take its name.
            let pat = if guarded {
                match out.sig.inputs.iter().nth(principal.unwrap_or(0)) {
                    Some(FnArg::Typed(typed)) => typed.pat.clone(),
                    _ => pat.clone(),
                }
            } else {
                pat.clone()
            };
            let function = if guarded {
                quote!(principal)
            } else {
                quote!(optional)
            };
            Some(quote! {
                let #pat: #ty = match ::auth_core::tonic::__private::#function(&#request) {
                    ::core::result::Result::Ok(__auth_principal) => __auth_principal,
                    ::core::result::Result::Err(__auth_status) => {
                        return ::core::result::Result::Err(::core::convert::From::from(__auth_status));
                    }
                };
            })
        }
        _ => None,
    };
    if guarded && let Some(i) = principal {
        out.sig.inputs = without_input(out.sig.inputs, i);
    }
    if let Some(binding) = binding {
        let block = &out.block;
        *out.block = syn::parse_quote!({
            #binding
            #block
        });
    }
    ImplItem::Fn(ImplItemFn {
        attrs: out.attrs,
        vis: out.vis,
        defaultness: method.defaultness,
        sig: out.sig,
        block: *out.block,
    })
}

/// The name the method binds tonic's `Request<_>` to (its first parameter
/// after `self`); a `_` is renamed so the principal can be read from it.
fn request_name(cx: &mut Ctxt, method: &mut ImplItemFn) -> Option<syn::Ident> {
    let ident = method.sig.ident.clone();
    let Some(FnArg::Typed(typed)) = method
        .sig
        .inputs
        .iter_mut()
        .find(|input| matches!(input, FnArg::Typed(_)))
    else {
        cx.error_spanned_by(
            &ident,
            format!("`{ident}` takes no request: a tonic method is `async fn {ident}(&self, request: Request<T>) -> Result<Response<U>, Status>`"),
        );
        return None;
    };
    match &*typed.pat {
        Pat::Ident(pat) if pat.subpat.is_none() => Some(pat.ident.clone()),
        Pat::Wild(_) => {
            let name = syn::Ident::new("__auth_request", Span::mixed_site());
            *typed.pat = syn::parse_quote!(#name);
            Some(name)
        }
        other => {
            cx.error_spanned_by(
                other,
                "bind tonic's request to a name, e.g. `request: Request<GetOrderRequest>`",
            );
            None
        }
    }
}
