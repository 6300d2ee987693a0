//! Reads the function under the attribute: its shape, its parameters, and where
//! its body really is.

use proc_macro2::{Span, TokenStream};
use syn::{Block, Expr, FnArg, ItemFn, Pat, Stmt, Type};

use crate::ctxt::Ctxt;

/// The function a `#[requires]` or `#[public]` attribute sits on.
pub(crate) struct Handler {
    pub(crate) item: ItemFn,
    pub(crate) shape: Shape,
    /// Every name the parameters bind, for resource gates to refer to.
    pub(crate) bindings: Vec<syn::Ident>,
    /// The principal parameter's type without references, once found.
    pub(crate) principal_type: Option<Type>,
    /// Whether the principal parameter is a reference (`&Authenticated<_>`).
    pub(crate) principal_by_reference: bool,
    /// A tonic service method (`#[auth_core::tonic::service]`): a denial is
    /// `auth_core::tonic::__private::reject(&principal, error)`, a `Status` in
    /// the principal's realm.
    pub(crate) tonic: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// No `self`: a handler. Its output becomes `Guarded<R>`.
    Function,
    /// Has `self`: the signature stays; a denial is `Err(E::from(AuthError))`.
    Method,
    /// A method already expanded by `#[async_trait]`: the body is
    /// `Box::pin(async move { .. })` and the gates go inside that block.
    AsyncTraitMethod,
}

impl Handler {
    pub(crate) fn is_async(&self) -> bool {
        self.item.sig.asyncness.is_some() || self.shape == Shape::AsyncTraitMethod
    }

    /// Parses `item`, or reports why it cannot be guarded and returns it unchanged.
    pub(crate) fn parse(
        cx: &mut Ctxt,
        attribute: &str,
        item: TokenStream,
    ) -> Result<Handler, TokenStream> {
        let item: ItemFn = if let Ok(item) = syn::parse2(item.clone()) {
            item
        } else {
            let message = if syn::parse2::<syn::TraitItemFn>(item.clone()).is_ok() {
                format!(
                    "`#[{attribute}]` needs a function body: put it on the function in the `impl` block, not on the trait's declaration"
                )
            } else {
                format!(
                    "`#[{attribute}]` goes on a function, e.g. `#[{attribute}] async fn handler(..)`"
                )
            };
            cx.error_at(Span::call_site(), message);
            return Err(item);
        };
        let sig = &item.sig;
        if let Some(constness) = &sig.constness {
            cx.error_spanned_by(
                constness,
                format!("`#[{attribute}]` cannot guard a `const fn`: gates run when the request arrives, not at compile time"),
            );
        }
        if let Some(abi) = &sig.abi {
            cx.error_spanned_by(
                abi,
                format!("`#[{attribute}]` cannot guard an `extern` function: its callers cannot receive a denial"),
            );
        }
        if let Some(variadic) = &sig.variadic {
            cx.error_spanned_by(
                variadic,
                format!("`#[{attribute}]` cannot guard a variadic function"),
            );
        }
        let shape = if sig.receiver().is_none() {
            Shape::Function
        } else if sig.asyncness.is_none() && async_trait_index(&item.block).is_some() {
            if let Some(first) = item.block.stmts.first()
                && item.block.stmts.len() > 1
            {
                cx.error_spanned_by(
                    first,
                    format!("this statement would run before the gates of `#[{attribute}]`: they run inside the `Box::pin(async move {{ .. }})` this method returns; move every statement into that `async move` block"),
                );
            }
            Shape::AsyncTraitMethod
        } else {
            Shape::Method
        };
        let mut bindings = Vec::new();
        for input in &sig.inputs {
            if let FnArg::Typed(typed) = input {
                collect_bindings(&typed.pat, &mut bindings);
            }
        }
        Ok(Handler {
            item,
            shape,
            bindings,
            principal_type: None,
            principal_by_reference: false,
            tonic: false,
        })
    }

    /// Finds the `Authenticated<_>` parameter and returns the expression that names
    /// it. A `_` pattern is renamed so the gates can still read it.
    pub(crate) fn principal(&mut self, cx: &mut Ctxt) -> Option<syn::Ident> {
        let mut found: Vec<usize> = Vec::new();
        for (index, input) in self.item.sig.inputs.iter().enumerate() {
            if let FnArg::Typed(typed) = input
                && is_authenticated(&typed.ty)
            {
                found.push(index);
            }
        }
        let Some(&first) = found.first() else {
            let sig = &self.item.sig;
            if self.tonic {
                cx.error_spanned_by(
                    &sig.ident,
                    format!(
                        "`#[requires]` needs to know who is asking: add a parameter after the request to `{}`, e.g. `user: Authenticated<User>` (the service attribute removes it from the signature and binds it), or mark it `#[public]` if anyone may call it",
                        sig.ident
                    ),
                );
                return None;
            }
            if self.shape != Shape::Function && takes_a_request(sig) {
                cx.error_spanned_by(
                    &sig.ident,
                    format!(
                        "`#[requires]` on the tonic method `{}` needs `#[auth_core::tonic::service]` on its `impl` block, above `#[tonic::async_trait]`; then declare who is asking as an extra parameter after the request, e.g. `user: Authenticated<User>`",
                        sig.ident
                    ),
                );
                return None;
            }
            cx.error_spanned_by(
                &sig.ident,
                format!(
                    "`#[requires]` needs to know who is asking: add a parameter of type `Authenticated<_>` to `{}`, e.g. `user: Authenticated<User>` (or mark it `#[public]` if anyone may call it)",
                    sig.ident
                ),
            );
            return None;
        };
        for &extra in found.iter().skip(1) {
            if let Some(FnArg::Typed(typed)) = self.item.sig.inputs.iter().nth(extra) {
                cx.error_spanned_by(
                    &typed.ty,
                    "a `#[requires]` function takes one `Authenticated<_>` parameter; remove this one",
                );
            }
        }
        let Some(FnArg::Typed(typed)) = self.item.sig.inputs.iter_mut().nth(first) else {
            return None;
        };
        self.principal_type = Some(without_references(&typed.ty).clone());
        self.principal_by_reference = matches!(&*typed.ty, Type::Reference(_));
        match &*typed.pat {
            Pat::Ident(pat) if pat.subpat.is_none() => Some(pat.ident.clone()),
            Pat::Wild(_) => {
                let ident =
                    syn::Ident::new("__auth_principal_param", proc_macro2::Span::mixed_site());
                *typed.pat = syn::parse_quote!(#ident);
                Some(ident)
            }
            other => {
                cx.error_spanned_by(
                    other,
                    "bind the `Authenticated<_>` parameter to a name, e.g. `user: Authenticated<User>`",
                );
                None
            }
        }
    }

    /// The `async move` block of an [`Shape::AsyncTraitMethod`].
    fn async_block_mut(&mut self) -> Option<&mut Block> {
        let index = async_trait_index(&self.item.block)?;
        match self.item.block.stmts.get_mut(index) {
            Some(Stmt::Expr(Expr::Call(call), None)) => match call.args.first_mut() {
                Some(Expr::Async(block)) => Some(&mut block.block),
                _ => None,
            },
            _ => None,
        }
    }

    /// Where the gates of an [`Shape::AsyncTraitMethod`] go, and whether `self` is
    /// spelled `__self` there.
    ///
    /// In `#[async_trait]`'s own output the async block first rebinds the
    /// parameters (`let __self = self; let user = user;`: moves, no code of the
    /// user's), then holds the user's body as a block. The gates go at the top of
    /// that block, after the rebinding, so permits borrow the rebound principal.
    /// Any other `async move` block gets the gates as its first statements.
    pub(crate) fn async_gate_site(&mut self) -> Option<(&mut Block, bool)> {
        let block = self.async_block_mut()?;
        let Some(body) = async_trait_body_index(block) else {
            return Some((block, false));
        };
        let renames_self = block.stmts.iter().any(is_self_rebinding);
        let inner = match block.stmts.get_mut(body) {
            Some(Stmt::Local(local)) => match local.init.as_mut().map(|init| &mut *init.expr) {
                Some(Expr::Block(inner)) => Some(&mut inner.block),
                _ => None,
            },
            Some(Stmt::Expr(Expr::Block(inner), _)) => Some(&mut inner.block),
            _ => None,
        }?;
        Some((inner, renames_self))
    }
}

/// `ty` without its `&`s and parentheses.
pub(crate) fn without_references(ty: &Type) -> &Type {
    match ty {
        Type::Reference(reference) => without_references(&reference.elem),
        Type::Paren(paren) => without_references(&paren.elem),
        Type::Group(group) => without_references(&group.elem),
        other => other,
    }
}

/// The index of the statement holding the user's body in `#[async_trait]`'s async
/// block: its statements are, in order, an optional `if let Some(__ret) = None`
/// guard, parameter rebindings, and the body (`let __ret: R = { .. };` then
/// `__ret`, `let _: () = { .. };`, or `{ .. }`). `None` when the block does not
/// have exactly that shape.
fn async_trait_body_index(block: &Block) -> Option<usize> {
    let mut stmts = block.stmts.iter().enumerate().peekable();
    if let Some((_, Stmt::Expr(Expr::If(guard), _))) = stmts.peek()
        && matches!(&*guard.cond, Expr::Let(_))
    {
        stmts.next();
    }
    while let Some((_, stmt)) = stmts.peek() {
        if is_parameter_rebinding(stmt) {
            stmts.next();
        } else {
            break;
        }
    }
    let (index, body) = stmts.next()?;
    let is_body = match body {
        Stmt::Local(local) => local.init.as_ref().is_some_and(|init| {
            init.diverge.is_none() && matches!(&*init.expr, Expr::Block(b) if b.label.is_none())
        }),
        Stmt::Expr(Expr::Block(b), _) => b.label.is_none(),
        _ => false,
    };
    if !is_body {
        return None;
    }
    // After the body: nothing, or the `__ret` it was bound to.
    match stmts.next() {
        None => Some(index),
        Some((_, Stmt::Expr(Expr::Path(path), None)))
            if stmts.next().is_none() && path.path.is_ident("__ret") =>
        {
            Some(index)
        }
        Some(_) => None,
    }
}

/// `let [mut] a = b;` with two plain names, or `let PAT = { let a = a; a };`:
/// how `#[async_trait]` moves parameters into its block.
fn is_parameter_rebinding(stmt: &Stmt) -> bool {
    let Stmt::Local(local) = stmt else {
        return false;
    };
    let Some(init) = &local.init else {
        return false;
    };
    if init.diverge.is_some() {
        return false;
    }
    match &*init.expr {
        Expr::Path(path) => path.path.get_ident().is_some() && matches!(local.pat, Pat::Ident(_)),
        Expr::Block(block) => {
            block.label.is_none()
                && block.block.stmts.len() == 2
                && block
                    .block
                    .stmts
                    .first()
                    .is_some_and(is_parameter_rebinding)
                && matches!(block.block.stmts.get(1), Some(Stmt::Expr(Expr::Path(p), None)) if p.path.get_ident().is_some())
        }
        _ => false,
    }
}

/// `let [mut] __self = self;`
fn is_self_rebinding(stmt: &Stmt) -> bool {
    let Stmt::Local(local) = stmt else {
        return false;
    };
    let Pat::Ident(pat) = &local.pat else {
        return false;
    };
    pat.ident == "__self"
        && local
            .init
            .as_ref()
            .is_some_and(|init| matches!(&*init.expr, Expr::Path(p) if p.path.is_ident("self")))
}

/// The `Authenticated<_>` inside a parameter of type `Option<Authenticated<_>>`
/// (by any path): a `#[public]` handler's optional sign-in.
pub(crate) fn optional_principal(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = without_references(ty) else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter();
    match (types.next(), types.next()) {
        (Some(syn::GenericArgument::Type(inner)), None)
            if matches!(inner, Type::Path(_)) && is_authenticated(inner) =>
        {
            Some(inner)
        }
        _ => None,
    }
}

/// Whether `ty` is `Authenticated<_>` or a reference to it, by any path.
pub(crate) fn is_authenticated(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) => is_authenticated(&reference.elem),
        Type::Paren(paren) => is_authenticated(&paren.elem),
        Type::Group(group) => is_authenticated(&group.elem),
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Authenticated"),
        _ => false,
    }
}

fn collect_bindings(pat: &Pat, out: &mut Vec<syn::Ident>) {
    match pat {
        Pat::Ident(pat) => {
            out.push(pat.ident.clone());
            if let Some((_, sub)) = &pat.subpat {
                collect_bindings(sub, out);
            }
        }
        Pat::TupleStruct(pat) => pat.elems.iter().for_each(|p| collect_bindings(p, out)),
        Pat::Tuple(pat) => pat.elems.iter().for_each(|p| collect_bindings(p, out)),
        Pat::Struct(pat) => pat
            .fields
            .iter()
            .for_each(|field| collect_bindings(&field.pat, out)),
        Pat::Reference(pat) => collect_bindings(&pat.pat, out),
        Pat::Type(pat) => collect_bindings(&pat.pat, out),
        Pat::Slice(pat) => pat.elems.iter().for_each(|p| collect_bindings(p, out)),
        Pat::Paren(pat) => collect_bindings(&pat.pat, out),
        _ => {}
    }
}

/// The index of `Box::pin(async move { .. })` as the last statement: what
/// `#[async_trait]` makes of an `async fn`, and how dyn-compatible async traits
/// are written by hand.
fn async_trait_index(block: &Block) -> Option<usize> {
    let index = block.stmts.len().checked_sub(1)?;
    let Some(Stmt::Expr(Expr::Call(call), None)) = block.stmts.get(index) else {
        return None;
    };
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    let mut segments = func.path.segments.iter().rev();
    let is_box_pin = segments.next().is_some_and(|s| s.ident == "pin")
        && segments.next().is_some_and(|s| s.ident == "Box");
    let single_async = call.args.len() == 1 && matches!(call.args.first(), Some(Expr::Async(_)));
    (is_box_pin && single_async).then_some(index)
}

/// The user's own attributes that conflict with ours.
pub(crate) fn conflicting_attribute<'a>(
    item: &'a ItemFn,
    names: &[&str],
) -> Option<&'a syn::Attribute> {
    item.attrs.iter().find(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|s| names.iter().any(|n| s.ident == n))
    })
}

/// Whether a method takes a `Request<_>` (tonic's, by any path): a service
/// method whose signature a trait fixes.
fn takes_a_request(sig: &syn::Signature) -> bool {
    sig.inputs.iter().any(|input| match input {
        FnArg::Typed(typed) => match without_references(&typed.ty) {
            Type::Path(path) => path.path.segments.last().is_some_and(|segment| {
                segment.ident == "Request"
                    && matches!(segment.arguments, syn::PathArguments::AngleBracketed(_))
            }),
            _ => false,
        },
        FnArg::Receiver(_) => false,
    })
}
