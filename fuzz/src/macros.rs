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
/// handler; or, after a leading `0xff` byte, choices that build both from a grammar
/// (see [`generated`]). Runs `#[requires(<attribute>)]` and `#[public(<attribute>)]`
/// on the item.
///
/// When the item is a function, the output must parse as items: code that does not
/// is a confusing error at the user's attribute.
pub fn requires_expand(data: &[u8]) {
    let (attr, item) = if let Some((0xff, choices)) = data.split_first() {
        let (attr, item) = generated(choices);
        (Some(attr), Some(item))
    } else {
        let (attr_bytes, item_bytes) = match data.iter().position(|&b| b == 0) {
            Some(nul) => (&data[..nul], &data[nul + 1..]),
            None => (data, DEFAULT_ITEM.as_bytes()),
        };
        (lex(attr_bytes), lex(item_bytes))
    };
    let (Some(attr), Some(item)) = (attr, item) else {
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

/// An attribute and a function built from `choices`, one byte per decision.
///
/// Byte mutations of text rarely turn an attribute that parses into another that
/// parses (`check(f)` into `check(f<T>)` takes a `<` and a `>` that earn no coverage
/// alone), so what the expansion does with every kind of gate, path, expression and
/// function shape is reached through this grammar instead.
pub fn generated(choices: &[u8]) -> (TokenStream, TokenStream) {
    let mut g = Grammar { choices };
    let mut attr = String::new();
    for i in 0..=g.pick(4) {
        if i > 0 {
            attr.push_str(", ");
        }
        match g.pick(8) {
            0 => attr.push_str(&format!("state = {}", g.expr(0))),
            1 => attr.push_str(&format!("crate = {}", g.path())),
            _ => attr.push_str(&g.gate(0)),
        }
    }
    let item = g.item();
    let parse = |text: &str| {
        TokenStream::from_str(text).unwrap_or_else(|e| panic!("the grammar wrote {text:?}: {e}"))
    };
    (parse(&attr), parse(&item))
}

struct Grammar<'a> {
    choices: &'a [u8],
}

impl Grammar<'_> {
    /// A number below `n`, from the next byte (0 once the input is used up).
    fn pick(&mut self, n: usize) -> usize {
        match self.choices.split_first() {
            Some((&byte, rest)) => {
                self.choices = rest;
                usize::from(byte) % n
            }
            None => 0,
        }
    }

    fn one<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.pick(items.len())]
    }

    fn gate(&mut self, depth: usize) -> String {
        let kinds = if depth > 3 { 5 } else { 9 };
        match self.pick(kinds) {
            0 => "authenticated".to_owned(),
            1 => {
                let kind = self.one(&["role", "scope", "permission", "authenticated", "rol"]);
                let value = self.one(&[
                    r#""admin""#,
                    r#""""#,
                    r#"" ""#,
                    r#""a b""#,
                    r#"r"x""#,
                    r#"b"x""#,
                    "x",
                    r#""a", "b""#,
                    "1",
                    r#""\u{0}""#,
                ]);
                format!("{kind}({value})")
            }
            2 => format!("check({})", self.path()),
            3 => format!("{}({})", self.path(), self.ident()),
            4 => format!(
                "{}{}",
                self.path(),
                self.one(&["", "()", "(order, db)", "[order]"])
            ),
            5 | 6 => {
                let kind = self.one(&["any", "all", "not"]);
                let mut inner = Vec::new();
                for _ in 0..self.pick(4) {
                    inner.push(self.gate(depth + 1));
                }
                format!("{kind}({})", inner.join(", "))
            }
            7 => format!("not({})", self.gate(depth + 1)),
            _ => format!("{} = {}", self.ident(), self.expr(depth + 1)),
        }
    }

    fn ident(&mut self) -> &'static str {
        self.one(&[
            "order",
            "db",
            "user",
            "id",
            "self",
            "Self",
            "super",
            "crate",
            "r#type",
            "r#fn",
            "_",
            "T",
            "Update",
            "auth_core",
            "__auth_gate",
            "__auth_principal",
            "state",
            "async",
            "Authenticated",
        ])
    }

    fn path(&mut self) -> String {
        let mut path = String::from(self.one(&["", "", "::"]));
        for i in 0..=self.pick(3) {
            if i > 0 {
                path.push_str("::");
            }
            path.push_str(self.ident());
            path.push_str(self.one(&[
                "",
                "",
                "",
                "<T>",
                "::<T>",
                "<'a>",
                "<T, U>",
                "<>",
                "(u8) -> bool",
                "::<'static>",
                "<U = u8>",
            ]));
        }
        path
    }

    fn expr(&mut self, depth: usize) -> String {
        if depth > 3 {
            return self.ident().to_owned();
        }
        match self.pick(12) {
            0 => self.path(),
            1 => format!("self.{}", self.ident()),
            2 => format!("&{}", self.expr(depth + 1)),
            3 => format!("({})", self.expr(depth + 1)),
            4 => format!("{}.await", self.expr(depth + 1)),
            5 => format!("{}?", self.expr(depth + 1)),
            6 => format!("{}({})", self.path(), self.expr(depth + 1)),
            7 => format!("{} as u8", self.expr(depth + 1)),
            8 => self
                .one(&[
                    "1", "\"s\"", "()", "{ }", "|| 1", "async {}", "[0; 2]", "return", "..",
                    "loop {}",
                ])
                .to_owned(),
            9 => format!("{}[0]", self.expr(depth + 1)),
            10 => format!("*{}", self.expr(depth + 1)),
            _ => self.ident().to_owned(),
        }
    }

    fn item(&mut self) -> String {
        let header = self.one(&[
            "",
            "pub ",
            "pub(crate) ",
            "#[public] ",
            "#[requires(authenticated)] ",
            "#[async_trait] ",
            "#[inline] ",
            "/// doc\n",
        ]);
        let qualifiers = self.one(&[
            "",
            "async ",
            "const ",
            "unsafe ",
            "extern \"C\" ",
            "async unsafe ",
        ]);
        let generics = self.one(&["", "<T>", "<T: Clone>", "<'a, T>", "<const N: usize>"]);
        let receiver = self.one(&[
            "",
            "",
            "&self, ",
            "&mut self, ",
            "self, ",
            "self: Arc<Self>, ",
        ]);
        let mut params = Vec::new();
        for _ in 0..self.pick(5) {
            let name = self.one(&[
                "user",
                "order",
                "db",
                "_",
                "id",
                "state",
                "mut order",
                "(a, b)",
                "Path(id)",
                "State(db)",
                "ref order",
                "__auth_gate",
            ]);
            let ty = self.one(&[
                "Authenticated<User>",
                "&Authenticated<User>",
                "Order",
                "Db",
                "&Db",
                "T",
                "Option<Authenticated<User>>",
                "(u8, u8)",
                "Path<u64>",
                "State<Db>",
                "impl Fn()",
                "auth_core::Authenticated<U>",
                "(Authenticated<User>)",
            ]);
            params.push(format!("{name}: {ty}"));
        }
        let output = self.one(&[
            "",
            "-> u8",
            "-> Result<&'static str, Error>",
            "-> impl Display",
            "-> Result<impl Display, E>",
            "-> !",
            "-> Guarded<()>",
            "-> Self",
            "-> Pin<Box<dyn Future<Output = Result<(), E>> + Send + '_>>",
            "-> Vec<T>",
            "-> impl Future<Output = u8>",
        ]);
        let where_clause = self.one(&["", " where T: Send"]);
        let body = self.one(&[
            "{}",
            "{ 1 }",
            "{ Ok(\"ok\") }",
            "{ Box::pin(async move { Ok(()) }) }",
            "{ return 1; }",
            "{ let x = order?; x }",
            "{ loop {} }",
            "{ todo!() }",
            "{ async move { 1 } }",
        ]);
        format!(
            "{header}{qualifiers}fn handler{generics}({receiver}{}) {output}{where_clause} {body}",
            params.join(", ")
        )
    }
}
