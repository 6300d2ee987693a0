//! Writes `gate_trees.rs` for `tests/property_gates.rs`: handlers under
//! `#[requires(..)]` whose gate lists are drawn at random (a fixed seed, so every
//! build writes the same file), in every handler shape the macro accepts, each
//! beside the same gates as data. The property test then runs the macro's
//! expansion against a reference evaluator, for random principals and random
//! answers of the gates.

use std::fmt::Write as _;
use std::path::PathBuf;

/// How many handlers: enough for every shape to meet every kind of tree.
const HANDLERS: usize = 180;
const SEED: u64 = 0x05ee_d0f6_a7e5;

/// The handler shapes `#[requires]` accepts.
const SHAPES: [&str; 6] = [
    "SyncFree",
    "AsyncFree",
    "Method",
    "AsyncMethod",
    "BoxPinMethod",
    "AsyncTraitMethod",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

/// A gate as the attribute spells it, and as the test's `Node` data.
struct Gate {
    attribute: String,
    data: String,
}

fn leaf(rng: &mut Rng) -> Gate {
    let (attribute, data) = match rng.below(10) {
        0 => ("authenticated".to_owned(), "Node::Authenticated".to_owned()),
        1 => (r#"role("a")"#.to_owned(), r#"Node::Role("a")"#.to_owned()),
        2 => (r#"role("b")"#.to_owned(), r#"Node::Role("b")"#.to_owned()),
        3 => (r#"scope("x")"#.to_owned(), r#"Node::Scope("x")"#.to_owned()),
        4 => (r#"scope("y")"#.to_owned(), r#"Node::Scope("y")"#.to_owned()),
        5 => (
            r#"permission("w")"#.to_owned(),
            r#"Node::Permission("w")"#.to_owned(),
        ),
        n => {
            let p = n - 6;
            (
                format!("check(crate::world::p{p})"),
                format!("Node::Check({p})"),
            )
        }
    };
    Gate { attribute, data }
}

fn tree(rng: &mut Rng, depth: usize) -> Gate {
    if depth == 0 || rng.below(3) == 0 {
        return leaf(rng);
    }
    match rng.below(3) {
        0 => {
            let inner = tree(rng, depth - 1);
            Gate {
                attribute: format!("not({})", inner.attribute),
                data: format!("Node::Not(&{})", inner.data),
            }
        }
        kind => {
            let (keyword, variant) = if kind == 1 {
                ("any", "Any")
            } else {
                ("all", "All")
            };
            let n = 1 + rng.below(3);
            let children = list(rng, depth - 1, n);
            Gate {
                attribute: format!(
                    "{keyword}({})",
                    children
                        .iter()
                        .map(|g| g.attribute.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                data: format!(
                    "Node::{variant}(&[{}])",
                    children
                        .iter()
                        .map(|g| g.data.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    }
}

/// `n` gates at most, without two alike (the macro refuses duplicates in a list).
fn list(rng: &mut Rng, depth: usize, n: usize) -> Vec<Gate> {
    let mut gates: Vec<Gate> = Vec::new();
    for _ in 0..n {
        let gate = tree(rng, depth);
        if gates.iter().all(|g| g.attribute != gate.attribute) {
            gates.push(gate);
        }
    }
    gates
}

fn main() {
    let mut rng = Rng(SEED);
    let mut handlers = String::new();
    let mut cases = String::new();
    for i in 0..HANDLERS {
        let shape = SHAPES[i % SHAPES.len()];
        let n = 1 + rng.below(4);
        let mut gates = list(&mut rng, 3, n);
        let resource_at = (rng.below(2) == 0).then(|| rng.below(gates.len() + 1));
        if let Some(at) = resource_at {
            gates.insert(
                at,
                Gate {
                    attribute: "Touch(thing)".to_owned(),
                    data: "Node::Resource".to_owned(),
                },
            );
        }
        let attribute = gates
            .iter()
            .map(|g| g.attribute.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let data = gates
            .iter()
            .map(|g| g.data.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let body = format!("{{ let _ = &thing; crate::world::ran({i}); {i} }}");
        let ok_body = format!("{{ let _ = &thing; crate::world::ran({i}); Ok({i}) }}");
        let (item, run) = match shape {
            "SyncFree" => (
                format!(
                    "#[requires({attribute})]\nfn h{i}(user: Authenticated<User>, thing: Thing) -> u32 {body}\n"
                ),
                format!("h{i}(user, thing).into_result()"),
            ),
            "AsyncFree" => (
                // Every other one awaits: the macro runs a body that may await as an
                // `async` block and one that cannot as a closure.
                format!(
                    "#[requires({attribute})]\nasync fn h{i}(user: Authenticated<User>, thing: Thing) -> u32 {}\n",
                    if i % 4 == 1 {
                        format!(
                            "{{ std::future::ready(()).await; let _ = &thing; crate::world::ran({i}); {i} }}"
                        )
                    } else {
                        body.clone()
                    }
                ),
                format!("block_on(h{i}(user, thing)).into_result()"),
            ),
            "Method" => (
                format!(
                    "impl Svc {{\n    #[requires({attribute})]\n    fn h{i}(&self, user: &Authenticated<User>, thing: Thing) -> Result<u32, AuthError> {ok_body}\n}}\n"
                ),
                format!("Svc.h{i}(&user, thing)"),
            ),
            "AsyncMethod" => (
                format!(
                    "impl Svc {{\n    #[requires({attribute})]\n    async fn h{i}(&mut self, user: Authenticated<User>, thing: Thing) -> Result<u32, AuthError> {ok_body}\n}}\n"
                ),
                format!("block_on(Svc.h{i}(user, thing))"),
            ),
            "BoxPinMethod" => (
                format!(
                    "impl Svc {{\n    #[requires({attribute})]\n    fn h{i}(&self, user: Authenticated<User>, thing: Thing) -> BoxFuture<'_, Result<u32, AuthError>> {{\n        Box::pin(async move {{ let _ = &user; let _ = &thing; crate::world::ran({i}); Ok({i}) }})\n    }}\n}}\n"
                ),
                format!("block_on(Svc.h{i}(user, thing))"),
            ),
            _ => (
                format!(
                    "#[async_trait::async_trait]\ntrait T{i} {{\n    async fn h{i}(&self, user: Authenticated<User>, thing: Thing) -> Result<u32, AuthError>;\n}}\n#[async_trait::async_trait]\nimpl T{i} for Svc {{\n    #[requires({attribute})]\n    async fn h{i}(&self, user: Authenticated<User>, thing: Thing) -> Result<u32, AuthError> {ok_body}\n}}\n"
                ),
                format!("block_on(T{i}::h{i}(&Svc, user, thing))"),
            ),
        };
        handlers.push_str(&item);
        let _ = writeln!(
            cases,
            "    Case {{ index: {i}, shape: {shape:?}, gates: &[{data}], run: |user, thing| {run} }},"
        );
    }
    let out = format!(
        "// Written by build.rs: {HANDLERS} handlers with random gates (seed {SEED:#x}).\n\n{handlers}\n\
         pub(crate) static CASES: &[Case] = &[\n{cases}];\n"
    );
    let dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    std::fs::write(dir.join("gate_trees.rs"), out).unwrap_or_else(|e| panic!("write: {e}"));
    println!("cargo::rerun-if-changed=build.rs");
}
