//! The attribute macros of [`auth-core`](https://docs.rs/auth-core):
//! `#[requires(..)]`, `#[public]` and `#[derive(Action)]`.
//!
//! Use them through `auth-core`, which re-exports them and documents them:
//! `use auth_core::{requires, public, Action};`.
//!
//! The crate is split by stage: `attr` parses the attribute into `ast`,
//! `handler` reads the function, `valid` cross-checks the two, and `expand`
//! writes the guarded function. Every error is collected (`ctxt`) and reported
//! together, and the function is still emitted so IDEs keep working.
#![forbid(unsafe_code)]

mod action;
mod ast;
mod attr;
mod ctxt;
mod expand;
mod handler;
mod names;
mod tonic;
mod valid;

use proc_macro::TokenStream;

/// Guards a function: the body runs only after authentication and every gate.
#[proc_macro_attribute]
pub fn requires(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::requires(attr.into(), item.into()).into()
}

/// Marks a handler that deliberately needs no authentication.
#[proc_macro_attribute]
pub fn public(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::public(&attr.into(), item.into()).into()
}

/// Guards the methods of a tonic service `impl` block: `auth_core::tonic::service`.
#[proc_macro_attribute]
pub fn tonic_service(attr: TokenStream, item: TokenStream) -> TokenStream {
    tonic::service(&attr.into(), item.into()).into()
}

/// Declares an action type.
#[proc_macro_derive(Action, attributes(action))]
pub fn derive_action(input: TokenStream) -> TokenStream {
    action::derive(input.into()).into()
}

#[cfg(test)]
mod snapshots;
