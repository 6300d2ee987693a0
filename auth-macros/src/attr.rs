//! Parses the arguments of `#[requires(..)]`.
//!
//! The input is split at top-level commas first, so one bad gate is one error and
//! the others are still checked: the user sees every mistake in one build.

use proc_macro2::{Delimiter, Ident, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::Parser as _;
use syn::{Expr, ExprPath, LitStr, Path};

use crate::ast::{CombineKind, Gate, NamedKind, RequiresArgs};
use crate::ctxt::Ctxt;

const KEYWORDS: &[&str] = &[
    "authenticated",
    "role",
    "scope",
    "permission",
    "any",
    "all",
    "not",
    "check",
    "mechanism",
    "mfa",
    "amr",
    "acr",
    "fresh",
];

const EXPECTED: &str = "expected `authenticated`, `role`, `scope`, `permission`, `mechanism`, `mfa`, `amr`, `acr`, `fresh`, `any`, `all`, `not`, `check` or an action such as `Update(order)`";

/// The names `mechanism(..)` accepts: `auth_core::Mechanism`'s variants, as
/// `Mechanism::as_str` spells them.
pub(crate) const MECHANISMS: &[(&str, &str)] = &[
    ("bearer_token", "BearerToken"),
    ("session", "Session"),
    ("api_key", "ApiKey"),
    ("guest", "Guest"),
    ("test", "Test"),
];

pub(crate) fn parse_requires(cx: &mut Ctxt, input: TokenStream) -> RequiresArgs {
    let mut args = RequiresArgs {
        gates: Vec::new(),
        state: None,
        krate: None,
        early: None,
        guests: None,
    };
    for chunk in split_commas(cx, input) {
        parse_item(cx, &mut args, &chunk);
    }
    args
}

/// Splits at top-level commas. Commas inside `(..)` belong to nested gates. A
/// trailing comma is allowed; an empty item is an error.
fn split_commas(cx: &mut Ctxt, input: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut chunks = vec![Vec::new()];
    for tree in input {
        match &tree {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                if chunks.last().is_some_and(Vec::is_empty) {
                    cx.error_spanned_by(&tree, format!("{EXPECTED}, found `,`"));
                }
                chunks.push(Vec::new());
            }
            _ => {
                if let Some(last) = chunks.last_mut() {
                    last.push(tree);
                }
            }
        }
    }
    if chunks.last().is_some_and(Vec::is_empty) {
        chunks.pop();
    }
    chunks
}

fn parse_item(cx: &mut Ctxt, args: &mut RequiresArgs, chunk: &[TokenTree]) {
    if let [TokenTree::Ident(key), TokenTree::Punct(eq), rest @ ..] = chunk
        && eq.as_char() == '='
    {
        let rest: TokenStream = rest.iter().cloned().collect();
        if key == "state" {
            parse_state(cx, args, key, rest);
            return;
        }
        if key == "crate" {
            parse_crate(cx, args, key, rest);
            return;
        }
        if key == "early" {
            match syn::parse2::<syn::LitBool>(rest) {
                Ok(_) if args.early.is_some() => {
                    cx.error_spanned_by(key, "duplicate `early`");
                }
                Ok(value) => args.early = Some(value),
                Err(_) => cx.error_spanned_by(key, "expected `early = false` or `early = true`"),
            }
            return;
        }
        if key == "guests" {
            match syn::parse2::<syn::LitBool>(rest) {
                Ok(_) if args.guests.is_some() => {
                    cx.error_spanned_by(key, "duplicate `guests`");
                }
                Ok(value) => args.guests = Some(value),
                Err(_) => cx.error_spanned_by(
                    key,
                    "expected `guests = true` (guests may call this handler) or `guests = false` (the default)",
                ),
            }
            return;
        }
        cx.error_spanned_by(
            key,
            format!(
                "unknown option `{key}`: expected `state = ..`, `crate = ..`, `early = false` or `guests = true`"
            ),
        );
        return;
    }
    if let Some(gate) = parse_gate(cx, chunk, Nesting::Top) {
        args.gates.push(gate);
    }
}

fn parse_state(cx: &mut Ctxt, args: &mut RequiresArgs, key: &Ident, rest: TokenStream) {
    if rest.is_empty() {
        cx.error_spanned_by(
            key,
            "expected an expression after `state =`, e.g. `state = policies` naming a parameter",
        );
        return;
    }
    match syn::parse2::<Expr>(rest) {
        Ok(expr) if args.state.is_some() => {
            cx.error_spanned_by(expr, "duplicate `state`: a handler has one policy state");
        }
        Ok(expr) => args.state = Some(expr),
        Err(err) => cx.push(err),
    }
}

fn parse_crate(cx: &mut Ctxt, args: &mut RequiresArgs, key: &Ident, rest: TokenStream) {
    if rest.is_empty() {
        cx.error_spanned_by(
            key,
            "expected a path after `crate =`, e.g. `crate = ::auth_core`",
        );
        return;
    }
    // A module path: the expansion puts it before `::Gatekeeper::new(..)` and
    // `::__private::inventory::submit!`, where generic arguments do not parse.
    match Path::parse_mod_style.parse2(rest) {
        Ok(path) if args.krate.is_some() => {
            cx.error_spanned_by(path, "duplicate `crate`: name the path to auth_core once");
        }
        Ok(path) => args.krate = Some(path),
        Err(err) => cx.push(syn::Error::new(
            err.span(),
            "expected a path after `crate =`, e.g. `crate = ::auth_core`",
        )),
    }
}

#[derive(Clone, Copy)]
enum Nesting {
    Top,
    Inside(&'static str),
}

fn parse_gate(cx: &mut Ctxt, chunk: &[TokenTree], nesting: Nesting) -> Option<Gate> {
    let first = chunk.first()?;
    let after_group = chunk
        .iter()
        .position(|t| matches!(t, TokenTree::Group(_)))
        .and_then(|position| chunk.get(position + 1));
    if let Some(next) = after_group {
        cx.error_spanned_by(next, format!("expected `,` between gates, found `{next}`"));
        return None;
    }
    let (head, args) = match chunk.split_last() {
        Some((TokenTree::Group(group), head)) if group.delimiter() == Delimiter::Parenthesis => {
            (head, Some(group))
        }
        _ => (chunk, None),
    };
    if head.is_empty() {
        cx.error_spanned_by(first, format!("{EXPECTED}, found `(`"));
        return None;
    }
    let head_tokens: TokenStream = head.iter().cloned().collect();
    let Ok(path) = syn::parse2::<Path>(head_tokens.clone()) else {
        cx.error_spanned_by(
            head_tokens,
            format!("{EXPECTED}, found `{}`", tokens_text(head)),
        );
        return None;
    };
    let args_tokens = args.map(proc_macro2::Group::stream);

    if let Some(ident) = path.get_ident() {
        let name = ident.to_string();
        if KEYWORDS.contains(&name.as_str()) {
            return parse_keyword_gate(cx, ident, &name, args, args_tokens);
        }
        if name == "state" || name == "crate" {
            cx.error_spanned_by(ident, format!("expected `{name} = ..`"));
            return None;
        }
        if name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
            let hint = closest_keyword(&name)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            cx.error_spanned_by(ident, format!("{EXPECTED}, found `{name}`{hint}"));
            return None;
        }
    }

    parse_resource_gate(cx, path, args, args_tokens, nesting)
}

fn parse_keyword_gate(
    cx: &mut Ctxt,
    ident: &Ident,
    name: &str,
    group: Option<&proc_macro2::Group>,
    args: Option<TokenStream>,
) -> Option<Gate> {
    let keyword = ident.clone();
    match name {
        "authenticated" => {
            if let Some(group) = group {
                cx.error_spanned_by(group, "`authenticated` takes no arguments");
                return None;
            }
            Some(Gate::Authenticated(keyword))
        }
        "mfa" => {
            if let Some(group) = group {
                cx.error_spanned_by(
                    group,
                    "`mfa` takes no arguments; for one method write `amr(\"otp\")`",
                );
                return None;
            }
            Some(Gate::Mfa(keyword))
        }
        "fresh" => parse_fresh(cx, ident, group, args),
        "role" | "scope" | "permission" | "amr" | "acr" | "mechanism" => {
            let kind = match name {
                "role" => NamedKind::Role,
                "scope" => NamedKind::Scope,
                "amr" => NamedKind::Amr,
                "acr" => NamedKind::Acr,
                "mechanism" => NamedKind::Mechanism,
                _ => NamedKind::Permission,
            };
            if matches!(kind, NamedKind::Role | NamedKind::Permission)
                && let Some(args) = &args
            {
                match typed_name(cx, kind, args) {
                    TypedName::Path(name) => {
                        return Some(Gate::Typed {
                            kind,
                            keyword,
                            name,
                        });
                    }
                    TypedName::Refused => return None,
                    TypedName::NotAPath => {}
                }
            }
            let value = parse_named_value(cx, ident, kind, group, args)?;
            Some(Gate::Named {
                kind,
                keyword,
                value,
            })
        }
        "any" | "all" => parse_combine(cx, ident, name, group, args),
        "not" => parse_not(cx, ident, group, args),
        _ => parse_check(cx, ident, args),
    }
}

fn parse_combine(
    cx: &mut Ctxt,
    ident: &Ident,
    name: &str,
    group: Option<&proc_macro2::Group>,
    args: Option<TokenStream>,
) -> Option<Gate> {
    let kind = if name == "any" {
        CombineKind::Any
    } else {
        CombineKind::All
    };
    let Some(args) = args else {
        cx.error_spanned_by(
            ident,
            format!("expected `{name}(..)` with the gates to combine"),
        );
        return None;
    };
    let chunks = split_commas(cx, args);
    if chunks.is_empty() {
        let verdict = if name == "any" {
            "would never allow"
        } else {
            "would check nothing"
        };
        cx.error_spanned_by(
            group.map_or_else(|| ident.to_token_stream(), ToTokens::to_token_stream),
            format!("`{name}()` with no gates {verdict}; list at least one gate, e.g. `{name}(role(\"admin\"), scope(\"orders:write\"))`"),
        );
        return None;
    }
    let mut gates = Vec::new();
    let mut ok = true;
    for chunk in &chunks {
        match parse_gate(cx, chunk, Nesting::Inside(kind.keyword())) {
            Some(gate) => gates.push(gate),
            None => ok = false,
        }
    }
    ok.then(|| Gate::Combine {
        kind,
        keyword: ident.clone(),
        gates,
    })
}

fn parse_not(
    cx: &mut Ctxt,
    ident: &Ident,
    group: Option<&proc_macro2::Group>,
    args: Option<TokenStream>,
) -> Option<Gate> {
    let Some(args) = args else {
        cx.error_spanned_by(
            ident,
            "expected `not(gate)`, e.g. `not(role(\"suspended\"))`",
        );
        return None;
    };
    let chunks = split_commas(cx, args);
    let span = group.map_or_else(|| ident.to_token_stream(), ToTokens::to_token_stream);
    match chunks.as_slice() {
        [single] => {
            let gate = parse_gate(cx, single, Nesting::Inside("not"))?;
            Some(Gate::Not {
                keyword: ident.clone(),
                gate: Box::new(gate),
            })
        }
        [] => {
            cx.error_spanned_by(
                span,
                "`not()` needs exactly one gate, e.g. `not(role(\"suspended\"))`",
            );
            None
        }
        _ => {
            cx.error_spanned_by(
                span,
                "`not(..)` takes one gate; to negate several write `not(any(..))` or `not(all(..))`",
            );
            None
        }
    }
}

fn parse_fresh(
    cx: &mut Ctxt,
    ident: &Ident,
    group: Option<&proc_macro2::Group>,
    args: Option<TokenStream>,
) -> Option<Gate> {
    const EXAMPLE: &str =
        "expected `fresh(max_age = 300)`: the greatest age, in seconds, of the sign-in";
    let span = group.map_or_else(|| ident.to_token_stream(), ToTokens::to_token_stream);
    let Some(args) = args else {
        cx.error_spanned_by(ident, EXAMPLE);
        return None;
    };
    let trees: Vec<TokenTree> = args.into_iter().collect();
    let [
        TokenTree::Ident(key),
        TokenTree::Punct(eq),
        TokenTree::Literal(value),
    ] = trees.as_slice()
    else {
        cx.error_spanned_by(span, EXAMPLE);
        return None;
    };
    if key != "max_age" || eq.as_char() != '=' {
        cx.error_spanned_by(span, EXAMPLE);
        return None;
    }
    let Ok(max_age) = syn::parse2::<syn::LitInt>(value.to_token_stream()) else {
        cx.error_spanned_by(value, EXAMPLE);
        return None;
    };
    match max_age.base10_parse::<u32>() {
        Ok(0) => {
            cx.error_spanned_by(
                &max_age,
                "`fresh(max_age = 0)` would refuse every request; give the age in seconds, e.g. `fresh(max_age = 300)`",
            );
            None
        }
        Ok(_) if !max_age.suffix().is_empty() => {
            cx.error_spanned_by(
                &max_age,
                "write the seconds without a suffix: `fresh(max_age = 300)`",
            );
            None
        }
        Ok(_) => Some(Gate::Fresh {
            keyword: ident.clone(),
            max_age,
        }),
        Err(_) => {
            cx.error_spanned_by(
                &max_age,
                "`max_age` is a number of seconds from 1 to 4294967295",
            );
            None
        }
    }
}

fn parse_check(cx: &mut Ctxt, ident: &Ident, args: Option<TokenStream>) -> Option<Gate> {
    let Some(args) = args.filter(|a| !a.is_empty()) else {
        cx.error_spanned_by(
            ident,
            "expected `check(path::to::predicate)`, a function `fn(&Authenticated<User>) -> Decision`",
        );
        return None;
    };
    // An expression path: the expansion calls it, so generic arguments need `::<..>`.
    let predicate = syn::parse2::<ExprPath>(args.clone())
        .ok()
        .filter(|path| path.qself.is_none() && path.attrs.is_empty());
    if let Some(ExprPath {
        path: predicate, ..
    }) = predicate
    {
        Some(Gate::Check {
            keyword: ident.clone(),
            predicate,
        })
    } else if syn::parse2::<syn::Path>(args.clone()).is_ok_and(|path| path_has_generics(&path)) {
        cx.error_spanned_by(
            args,
            "the expansion calls the predicate, so its generic arguments take a turbofish: \
             `check(path::to::predicate::<T>)`",
        );
        None
    } else {
        cx.error_spanned_by(
            args,
            "expected the path of a predicate function, e.g. `check(policies::is_verified)`",
        );
        None
    }
}

/// Whether a type-position path (`f<T>`) carries generic arguments somewhere.
fn path_has_generics(path: &syn::Path) -> bool {
    path.segments
        .iter()
        .any(|segment| !segment.arguments.is_none())
}

enum TypedName {
    /// `role(Admin)`, `permission(permissions::OrdersRefund)`.
    Path(Path),
    /// `role(admin)`: reported.
    Refused,
    /// No path: a string literal, or a mistake the caller reports.
    NotAPath,
}

/// The typed name of `role(..)` / `permission(..)`, if `args` is one.
fn typed_name(cx: &mut Ctxt, kind: NamedKind, args: &TokenStream) -> TypedName {
    let Ok(path) = Path::parse_mod_style.parse2(args.clone()) else {
        return TypedName::NotAPath;
    };
    let name = kind.keyword();
    if let Some(ident) = path.get_ident()
        && ident
            .to_string()
            .starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
    {
        cx.error_spanned_by(
            ident,
            format!(
                "expected a {name} type or a string: `{name}({})` with a type generated from the roles file, or `{name}(\"{ident}\")`",
                if kind == NamedKind::Role { "Admin" } else { "OrdersRefund" },
            ),
        );
        return TypedName::Refused;
    }
    TypedName::Path(path)
}

fn parse_named_value(
    cx: &mut Ctxt,
    ident: &Ident,
    kind: NamedKind,
    group: Option<&proc_macro2::Group>,
    args: Option<TokenStream>,
) -> Option<LitStr> {
    let name = kind.keyword();
    let example = match kind {
        NamedKind::Role => "role(\"admin\")",
        NamedKind::Scope => "scope(\"orders:write\")",
        NamedKind::Permission => "permission(\"orders.delete\")",
        NamedKind::Amr => "amr(\"otp\")",
        NamedKind::Acr => "acr(\"urn:auth-core:acr:mfa\")",
        NamedKind::Mechanism => "mechanism(\"session\")",
    };
    let Some(args) = args else {
        cx.error_spanned_by(ident, format!("expected `{example}`"));
        return None;
    };
    let span_of_args = group.map_or_else(|| ident.to_token_stream(), ToTokens::to_token_stream);
    let Ok(value) = syn::parse2::<LitStr>(args.clone()) else {
        let several = args
            .clone()
            .into_iter()
            .any(|t| matches!(&t, TokenTree::Punct(p) if p.as_char() == ','));
        if several {
            cx.error_spanned_by(
                span_of_args,
                format!("`{name}` takes one name; for alternatives write `any({name}(\"a\"), {name}(\"b\"))`, for all of them `all(..)`"),
            );
        } else {
            let expected = match kind {
                NamedKind::Role => "a role type or a string literal: `role(Admin)` or `role(\"admin\")`".to_owned(),
                NamedKind::Permission => "a permission type or a string literal: `permission(OrdersRefund)` or `permission(\"orders.refund\")`".to_owned(),
                _ => format!("a string literal: `{example}`"),
            };
            cx.error_spanned_by(
                if args.is_empty() { span_of_args } else { args },
                format!("expected {expected}"),
            );
        }
        return None;
    };
    let text = value.value();
    if text.trim().is_empty() {
        cx.error_spanned_by(
            &value,
            format!("`{name}(\"\")` names nothing; write the {name}, e.g. `{example}`"),
        );
        return None;
    }
    if kind == NamedKind::Mechanism && !MECHANISMS.iter().any(|(known, _)| *known == text) {
        let known: Vec<String> = MECHANISMS
            .iter()
            .map(|(known, _)| format!("`{known}`"))
            .collect();
        cx.error_spanned_by(
            &value,
            format!(
                "unknown mechanism `{text}`: expected one of {}",
                known.join(", ")
            ),
        );
        return None;
    }
    if matches!(kind, NamedKind::Amr | NamedKind::Acr)
        && text.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\')
    {
        cx.error_spanned_by(
            &value,
            format!("`{name}` names one value, without spaces or quotes: `{example}`"),
        );
        return None;
    }
    if kind == NamedKind::Scope && text.contains(char::is_whitespace) {
        cx.error_spanned_by(
            &value,
            "a scope has no spaces; to require several write `scope(\"a\"), scope(\"b\")`",
        );
        return None;
    }
    Some(value)
}

fn parse_resource_gate(
    cx: &mut Ctxt,
    action: Path,
    group: Option<&proc_macro2::Group>,
    args: Option<TokenStream>,
    nesting: Nesting,
) -> Option<Gate> {
    let action_text = crate::ast::render_path(&action);
    if let Nesting::Inside(combinator) = nesting {
        cx.error_spanned_by(
            &action,
            format!("a resource gate cannot be inside `{combinator}(..)`: a permit comes only from its own policy; put alternatives such as an admin override inside `impl Policy for {action_text}`"),
        );
        return None;
    }
    let Some(args) = args else {
        cx.error_spanned_by(
            &action,
            format!("`{action_text}` needs the parameter it guards, e.g. `{action_text}(order)`"),
        );
        return None;
    };
    if let Ok(param) = syn::parse2::<Ident>(args.clone()) {
        Some(Gate::Resource { action, param })
    } else {
        cx.error_spanned_by(
            group.map_or(args, ToTokens::to_token_stream),
            format!("expected the name of the parameter `{action_text}` guards, e.g. `{action_text}(order)`"),
        );
        None
    }
}

fn tokens_text(tokens: &[TokenTree]) -> String {
    tokens
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn closest_keyword(name: &str) -> Option<&'static str> {
    KEYWORDS
        .iter()
        .map(|k| (levenshtein(name, k), *k))
        .filter(|(d, k)| *d <= 2.min(k.len() / 2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(0);
            let left = row.get(j).copied().unwrap_or(0);
            let cost = usize::from(ca != *cb);
            let value = (previous + cost).min(above + 1).min(left + 1);
            previous = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::panic, reason = "a test reports failure by panicking")]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_keyword() {
        assert_eq!(closest_keyword("rol"), Some("role"));
        assert_eq!(closest_keyword("scopes"), Some("scope"));
        assert_eq!(closest_keyword("authenticatd"), Some("authenticated"));
        assert_eq!(closest_keyword("xyz"), None);
    }

    /// Found while fuzzing the expansion (`fuzz/`, target `requires_expand`): these
    /// parsed as paths here, and the expansion then panicked parsing its own output
    /// ("proc macro panicked" at the attribute).
    #[test]
    fn paths_the_expansion_cannot_call_are_errors_not_panics() {
        let cases = [
            "authenticated, crate = a<T>",
            "authenticated, crate = a::<T>",
            "authenticated, crate = Fn(u8) -> bool",
            "check(f<T>)",
            "check(Fn(u8) -> bool)",
            "check(f<T>), state = db",
        ];
        for attr in cases {
            let Ok(attr) = attr.parse::<TokenStream>() else {
                panic!("{attr:?} does not lex");
            };
            let item = quote::quote!(
                fn handler(user: Authenticated<User>, db: Db) {}
            );
            let output = crate::expand::requires(attr.clone(), item).to_string();
            assert!(output.contains("compile_error"), "{output}");

            let mut cx = Ctxt::default();
            let _ = parse_requires(&mut cx, attr.clone());
            assert!(cx.has_errors(), "{attr} parsed");
        }
        // Generic arguments where they parse still work.
        for attr in ["check(f::<T>)", "check(a::f::<T, U>), state = db"] {
            let Ok(attr) = attr.parse::<TokenStream>() else {
                panic!("{attr:?} does not lex");
            };
            let mut cx = Ctxt::default();
            let _ = parse_requires(&mut cx, attr);
            assert!(!cx.has_errors(), "refused");
        }
    }
}
