//! Expansion snapshots: what the macros write, for reviewers to read.
//!
//! Inputs are `tests/expand/*.rs` at the workspace root; each `#[requires]` or
//! `#[public]` function in them is expanded, pretty-printed and compared with the
//! `.expanded.rs` file beside it. Regenerate with
//! `SNAPSHOTS=overwrite cargo test -p auth-macros` and read the diff.

#![allow(clippy::panic, reason = "a test reports failure by panicking")]

use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit_mut::VisitMut;

/// Expands every attributed function of a file, like the compiler would.
struct Expand;

impl Expand {
    fn expand(item: &mut syn::ItemFn) -> Option<syn::File> {
        let index = item
            .attrs
            .iter()
            .position(|attr| attr.path().is_ident("requires") || attr.path().is_ident("public"))?;
        let attr = item.attrs.remove(index);
        let args = match &attr.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        let tokens = item.to_token_stream();
        let expanded = if attr.path().is_ident("requires") {
            crate::expand::requires(args, tokens)
        } else {
            crate::expand::public(&args, tokens)
        };
        syn::parse2(expanded).ok()
    }
}

impl VisitMut for Expand {
    fn visit_item_mut(&mut self, item: &mut syn::Item) {
        if let syn::Item::Fn(function) = item
            && let Some(file) = Self::expand(function)
            && let [single] = file.items.as_slice()
        {
            *item = single.clone();
        }
        syn::visit_mut::visit_item_mut(self, item);
    }

    fn visit_impl_item_fn_mut(&mut self, method: &mut syn::ImplItemFn) {
        let mut function = syn::ItemFn {
            attrs: method.attrs.clone(),
            vis: method.vis.clone(),
            sig: method.sig.clone(),
            block: Box::new(method.block.clone()),
        };
        if let Some(file) = Self::expand(&mut function)
            && let [syn::Item::Fn(expanded)] = file.items.as_slice()
        {
            method.attrs.clone_from(&expanded.attrs);
            method.sig = expanded.sig.clone();
            method.block = (*expanded.block).clone();
        }
    }
}

fn inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/expand");
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| {
                    path.extension().is_some_and(|ext| ext == "rs")
                        && !path.to_string_lossy().ends_with(".expanded.rs")
                })
                .collect()
        })
        .unwrap_or_default();
    inputs.sort();
    inputs
}

#[test]
fn expansions_match_their_snapshots() {
    if !Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/expand")
        .is_dir()
    {
        // A packaged copy (crates.io) has no workspace around it; CI runs in the
        // repository, where a missing folder is a failure, never a skip.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "tests/expand is missing from the repository"
        );
        eprintln!("skipped: the expansion inputs are in the repository's tests/expand");
        return;
    }
    let inputs = inputs();
    assert!(inputs.len() >= 3, "no inputs in tests/expand");
    let overwrite = std::env::var("SNAPSHOTS").is_ok_and(|v| v == "overwrite");
    let mut stale = Vec::new();
    for input in inputs {
        let source = fs::read_to_string(&input).unwrap_or_default();
        let mut file: syn::File =
            syn::parse_file(&source).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
        Expand.visit_file_mut(&mut file);
        let expanded = prettyplease::unparse(&file);
        let snapshot = input.with_extension("expanded.rs");
        if overwrite {
            fs::write(&snapshot, &expanded)
                .unwrap_or_else(|e| panic!("{}: {e}", snapshot.display()));
        } else if fs::read_to_string(&snapshot).ok().as_deref() != Some(expanded.as_str()) {
            stale.push(snapshot.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "expansion changed; rerun with SNAPSHOTS=overwrite and review the diff: {stale:?}"
    );
}
