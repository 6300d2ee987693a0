//! `#[derive(Action)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::ctxt::Ctxt;

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let mut cx = Ctxt::default();
    match &input.data {
        Data::Struct(data) if matches!(data.fields, Fields::Unit) => {}
        _ => cx.error_spanned_by(
            &input.ident,
            format!("an action is a unit struct: `struct {};`", input.ident),
        ),
    }
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, "an action takes no generic parameters");
    }
    let mut name: Option<LitStr> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("action")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                let value: LitStr = meta.value()?.parse()?;
                if value.value().is_empty() {
                    return Err(meta.error("an action's name cannot be empty"));
                }
                if name.is_some() {
                    return Err(meta.error("duplicate `name`"));
                }
                name = Some(value);
                Ok(())
            } else {
                Err(meta.error("expected `name = \"..\"`"))
            }
        });
        if let Err(err) = result {
            cx.push(err);
        }
    }
    let ident = &input.ident;
    let name = name.map_or_else(|| snake_case(&ident.to_string()), |n| n.value());
    let errors = cx.into_compile_errors();
    quote! {
        #errors
        #[automatically_derived]
        impl ::auth_core::Action for #ident {
            const NAME: &'static str = #name;
        }
    }
}

fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn snake_case_names() {
        assert_eq!(super::snake_case("Read"), "read");
        assert_eq!(super::snake_case("ApproveRefund"), "approve_refund");
    }
}
