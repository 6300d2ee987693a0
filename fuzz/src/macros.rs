//! `#[requires(..)]` and `#[public]` on arbitrary token text.
//!
//! proc-macro2 runs on its fallback outside a proc macro, so the stages see the
//! tokens rustc would hand them. A panic in them is an "proc macro panicked" error
//! at the user's attribute instead of a message that says what to write.

use std::str::FromStr;

use proc_macro2::TokenStream;

use crate::{attr, ctxt::Ctxt, expand};

/// The function the expansion target guards when the input names none: it takes a
/// principal, a resource and a state, so every kind of gate can apply.
const DEFAULT_ITEM: &str = "async fn handler(user: Authenticated<User>, order: Order, db: Db, \
                            _: Extra) -> Result<&'static str, Error> { Ok(\"ok\") }";

/// The attribute parser alone: `#[requires(<input>)]`.
pub fn requires_attr(data: &[u8]) {
    let Some(input) = lex(data) else {
        return;
    };
    let mut cx = Ctxt::default();
    let args = attr::parse_requires(&mut cx, input);
    for gate in &args.gates {
        let _ = gate.render();
    }
    let _ = cx.into_compile_errors();
}

/// The whole expansion: `<attribute>\0<item>`, or an attribute alone on a default
/// handler. Runs `#[requires(<attribute>)]` and `#[public(<attribute>)]` on the item.
///
/// When the item is a function, the output must parse as items: code that does not
/// is a confusing error at the user's attribute.
pub fn requires_expand(data: &[u8]) {
    let (attr_bytes, item_bytes) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, DEFAULT_ITEM.as_bytes()),
    };
    let (Some(attr), Some(item)) = (lex(attr_bytes), lex(item_bytes)) else {
        return;
    };
    let is_fn = syn::parse2::<syn::ItemFn>(item.clone()).is_ok();

    let output = expand::requires(attr.clone(), item.clone());
    if is_fn && let Err(error) = syn::parse2::<syn::File>(output.clone()) {
        panic!("#[requires] emitted code that does not parse ({error}):\n{output}");
    }
    let output = expand::public(&attr, item);
    if is_fn && let Err(error) = syn::parse2::<syn::File>(output.clone()) {
        panic!("#[public] emitted code that does not parse ({error}):\n{output}");
    }
}

/// The tokens of `data`, or `None` when it is not text that lexes: rustc would
/// have refused it before any macro ran.
fn lex(data: &[u8]) -> Option<TokenStream> {
    TokenStream::from_str(std::str::from_utf8(data).ok()?).ok()
}
