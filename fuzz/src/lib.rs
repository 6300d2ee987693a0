//! The harnesses of the fuzz targets in `fuzz_targets/`, one function per target.
//!
//! Each takes the raw input, feeds the parser, and checks what a caller relies on:
//! an answer (a value or a typed error), never a panic. The targets themselves are
//! one line each, so `cargo test` here can replay inputs on stable too.

pub mod jwt;
pub mod macros;
pub mod roles;

// auth-macros' stages, compiled here as they are in the proc-macro crate (which a
// fuzz target cannot link): at the crate root, where their `crate::` paths point.
// Included by path, not copied, so the targets follow every edit; a new stage that
// `expand.rs` uses needs one more line here.
#[allow(dead_code, unreachable_pub)]
#[path = "../../auth-macros/src/ast.rs"]
mod ast;
#[allow(dead_code, unreachable_pub)]
#[path = "../../auth-macros/src/attr.rs"]
mod attr;
#[allow(dead_code, unreachable_pub)]
#[path = "../../auth-macros/src/ctxt.rs"]
mod ctxt;
#[allow(dead_code, unreachable_pub)]
#[path = "../../auth-macros/src/expand.rs"]
mod expand;
#[allow(dead_code, unreachable_pub)]
#[path = "../../auth-macros/src/handler.rs"]
mod handler;
#[allow(dead_code, unreachable_pub)]
#[path = "../../auth-macros/src/names.rs"]
mod names;
#[allow(dead_code, unreachable_pub)]
#[path = "../../auth-macros/src/valid.rs"]
mod valid;
