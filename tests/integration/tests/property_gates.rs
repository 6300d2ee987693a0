//! Property tests of the gates: three-valued decisions and what `#[requires]`
//! makes of them.
//!
//! - The combinators ([`All`], [`Any`], [`Decision::negate`]) against a reference
//!   evaluator written from the truth tables in `auth_core::Decision`'s module,
//!   for random trees of random decisions.
//! - Soundness under outages: an answer that is not "unavailable" is the answer
//!   of every way the unavailable gates could have answered. An allow is never a
//!   guess, and neither is a denial.
//! - The macro: `build.rs` writes 180 handlers with random gate lists in every
//!   handler shape the macro accepts. For random principals and random answers of
//!   the gates, each handler's body runs exactly when the reference evaluator
//!   allows, and a denial is the reference's (status, and the scopes named).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use auth_core::limit::{Quota, RateLimited};
use auth_core::{
    Action, All, Any, AuthError, Authenticated, Authenticator, Decision, Identity, Mechanism,
    Outcome, Policy, Resource, Scopes, requires,
};
use auth_tests::{User, block_on};
use proptest::prelude::*;

// --- the reference ------------------------------------------------------------

/// A decision, as the reference evaluator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum V {
    Allow,
    Deny,
    NotFound,
    Scope(String),
    RateLimited,
    Unavailable,
}

impl V {
    fn severity(&self) -> u8 {
        match self {
            V::Allow => 0,
            V::Deny => 1,
            V::Scope(_) => 2,
            V::NotFound => 3,
            V::RateLimited => 4,
            V::Unavailable => 5,
        }
    }

    fn decision(&self) -> Decision {
        match self {
            V::Allow => Decision::allow("reference allow"),
            V::Deny => Decision::deny("reference deny"),
            V::NotFound => Decision::not_found("reference not found"),
            V::Scope(scope) => Decision::insufficient_scope(scope.clone()),
            V::RateLimited => Decision::rate_limited(RateLimited::new(
                "reference",
                Quota::per_minute(60).unwrap(),
                Duration::from_secs(1),
                Duration::from_secs(60),
            )),
            V::Unavailable => Decision::unavailable("reference store", None),
        }
    }

    fn of(decision: &Decision) -> V {
        match decision.outcome() {
            Outcome::Allow => V::Allow,
            Outcome::Deny => V::Deny,
            Outcome::NotFound => V::NotFound,
            Outcome::InsufficientScope => match decision.clone().into_result() {
                Err(AuthError::InsufficientScope { scope }) => V::Scope(scope.into_owned()),
                other => panic!("not a scope denial: {other:?}"),
            },
            Outcome::RateLimited => V::RateLimited,
            Outcome::Unavailable => V::Unavailable,
            other => panic!("unknown outcome {other:?}"),
        }
    }

    fn of_result(result: &Result<u32, AuthError>) -> V {
        match result {
            Ok(_) => V::Allow,
            Err(AuthError::Forbidden { .. }) => V::Deny,
            Err(AuthError::NotFound { .. }) => V::NotFound,
            Err(AuthError::InsufficientScope { scope }) => V::Scope(scope.to_string()),
            Err(AuthError::TooManyRequests(_)) => V::RateLimited,
            Err(AuthError::Unavailable { .. }) => V::Unavailable,
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
}

fn not(v: &V) -> V {
    match v {
        V::Allow => V::Deny,
        V::Unavailable => V::Unavailable,
        V::RateLimited => V::RateLimited,
        V::Deny | V::NotFound | V::Scope(_) => V::Allow,
    }
}

/// `all`: the first that does not allow answers.
fn all(vs: impl IntoIterator<Item = V>) -> V {
    let mut any_seen = false;
    for v in vs {
        any_seen = true;
        if v != V::Allow {
            return v;
        }
    }
    if any_seen { V::Allow } else { V::Deny }
}

/// `any`: the first allow answers; else unavailable if one was, else the
/// strongest denial, scopes merged in order.
fn any(vs: impl IntoIterator<Item = V>) -> V {
    let mut result: Option<V> = None;
    for v in vs {
        if v == V::Allow {
            return V::Allow;
        }
        result = Some(match result {
            None => v,
            Some(V::Scope(a)) => match v {
                V::Scope(b) => V::Scope(format!("{a} {b}")),
                other if other.severity() > 2 => other,
                _ => V::Scope(a),
            },
            Some(previous) if v.severity() > previous.severity() => v,
            Some(previous) => previous,
        });
    }
    result.unwrap_or(V::Deny)
}

/// A tree of gates over leaves that answer from a world.
#[derive(Debug, Clone)]
enum Tree {
    Leaf(V),
    Not(Box<Tree>),
    All(Vec<Tree>),
    Any(Vec<Tree>),
}

impl Tree {
    fn reference(&self) -> V {
        match self {
            Tree::Leaf(v) => v.clone(),
            Tree::Not(inner) => not(&inner.reference()),
            Tree::All(children) => all(children.iter().map(Tree::reference)),
            Tree::Any(children) => any(children.iter().map(Tree::reference)),
        }
    }

    /// What the library's combinators say, short-circuiting as the macro does.
    fn library(&self) -> Decision {
        match self {
            Tree::Leaf(v) => v.decision(),
            Tree::Not(inner) => inner.library().negate(),
            Tree::All(children) => {
                let mut acc = All::new();
                for child in children {
                    if acc.push(child.library()).is_break() {
                        break;
                    }
                }
                acc.finish()
            }
            Tree::Any(children) => {
                let mut acc = Any::new();
                for child in children {
                    if acc.push(child.library()).is_break() {
                        break;
                    }
                }
                acc.finish()
            }
        }
    }

    /// The tree with its rate-limited leaves answering `v` instead.
    fn without_rate_limits(&self, v: V) -> Tree {
        match self {
            Tree::Leaf(V::RateLimited) => Tree::Leaf(v),
            Tree::Leaf(other) => Tree::Leaf(other.clone()),
            Tree::Not(inner) => Tree::Not(Box::new(inner.without_rate_limits(v))),
            Tree::All(children) => Tree::All(
                children
                    .iter()
                    .map(|c| c.without_rate_limits(v.clone()))
                    .collect(),
            ),
            Tree::Any(children) => Tree::Any(
                children
                    .iter()
                    .map(|c| c.without_rate_limits(v.clone()))
                    .collect(),
            ),
        }
    }

    fn unavailable_leaves(&self) -> usize {
        match self {
            Tree::Leaf(v) => usize::from(*v == V::Unavailable),
            Tree::Not(inner) => inner.unavailable_leaves(),
            Tree::All(children) | Tree::Any(children) => {
                children.iter().map(Tree::unavailable_leaves).sum()
            }
        }
    }

    /// The tree with its unavailable leaves answered by `answers` (bit `i`: the
    /// `i`-th such leaf allows), in order.
    fn completed(&self, answers: u32, next: &mut u32) -> Tree {
        match self {
            Tree::Leaf(V::Unavailable) => {
                let allows = answers & (1 << *next) != 0;
                *next += 1;
                Tree::Leaf(if allows { V::Allow } else { V::Deny })
            }
            Tree::Leaf(v) => Tree::Leaf(v.clone()),
            Tree::Not(inner) => Tree::Not(Box::new(inner.completed(answers, next))),
            Tree::All(children) => Tree::All(
                children
                    .iter()
                    .map(|c| c.completed(answers, next))
                    .collect(),
            ),
            Tree::Any(children) => Tree::Any(
                children
                    .iter()
                    .map(|c| c.completed(answers, next))
                    .collect(),
            ),
        }
    }
}

fn any_v() -> impl Strategy<Value = V> {
    prop_oneof![
        3 => Just(V::Allow),
        2 => Just(V::Deny),
        1 => Just(V::NotFound),
        1 => prop_oneof![Just("s1"), Just("s2")].prop_map(|s| V::Scope(s.to_owned())),
        1 => Just(V::RateLimited),
        2 => Just(V::Unavailable),
    ]
}

fn any_tree() -> impl Strategy<Value = Tree> {
    any_v()
        .prop_map(Tree::Leaf)
        .prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(|t| Tree::Not(Box::new(t))),
                prop::collection::vec(inner.clone(), 1..4).prop_map(Tree::All),
                prop::collection::vec(inner, 1..4).prop_map(Tree::Any),
            ]
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The library's `not`, `all` and `any` are the truth tables.
    #[test]
    fn combinators_follow_the_three_valued_truth_tables(tree in any_tree()) {
        prop_assert_eq!(V::of(&tree.library()), tree.reference());
    }

    /// An outage is never turned into an answer the gates would not give: when
    /// the result is not unavailable, every way the unavailable gates could
    /// have answered gives the same allow or a denial.
    #[test]
    fn an_answer_under_an_outage_is_never_a_guess(tree in any_tree()) {
        let result = V::of(&tree.library());
        let unknown = tree.unavailable_leaves();
        prop_assume!(unknown <= 10);
        if result != V::Unavailable {
            for answers in 0..(1u32 << unknown) {
                let completed = tree.completed(answers, &mut 0).reference();
                prop_assert_eq!(
                    completed == V::Allow,
                    result == V::Allow,
                    "completion {:b} of {:?} gives {:?}, the outage answer was {:?}",
                    answers, tree, completed, result
                );
            }
        }
    }

    /// `not(..)` of a rate limit is a rate limit (a 429), at any depth of
    /// negation, and no tree of combinators over rate-limited gates allows.
    #[test]
    fn not_never_turns_a_rate_limit_into_an_allow(depth in 0usize..6, tree in any_tree()) {
        let mut decision = V::RateLimited.decision();
        for _ in 0..depth {
            decision = decision.negate();
        }
        prop_assert_eq!(decision.outcome(), Outcome::RateLimited);
        let is_429 = decision.into_result().is_err_and(|e| e.status().as_u16() == 429);
        prop_assert!(is_429);
        // Any tree that allows still allows, and still refuses, when its
        // rate-limited leaves are read as plain denials flipped by no `not`:
        // a rate limit only ever takes allows away.
        let result = V::of(&tree.library());
        if result == V::Allow {
            prop_assert_eq!(tree.without_rate_limits(V::Allow).reference(), V::Allow);
        }
    }

    /// `not(..)` of an outage is an outage, at any depth of negation.
    #[test]
    fn not_never_turns_an_outage_into_an_allow(depth in 0usize..6) {
        let mut decision = Decision::unavailable("suspension list", None);
        for _ in 0..depth {
            decision = decision.negate();
        }
        prop_assert_eq!(decision.outcome(), Outcome::Unavailable);
        let is_503 = decision.into_result().is_err_and(|e| e.status().as_u16() == 503);
        prop_assert!(is_503);
    }
}

// --- the macro, on random gate trees ---------------------------------------------

/// The answers of the gates of one run: what `check(crate::world::pN)` and the
/// resource policy say, and who the principal is.
mod world {
    use super::*;

    thread_local! {
        pub(crate) static ANSWERS: RefCell<[V; 5]> = RefCell::new(std::array::from_fn(|_| V::Allow));
        pub(crate) static RAN: Cell<Option<usize>> = const { Cell::new(None) };
    }

    pub(crate) fn answer(i: usize) -> Decision {
        ANSWERS.with(|answers| answers.borrow()[i].decision())
    }

    pub(crate) fn ran(handler: usize) {
        RAN.with(|ran| ran.set(Some(handler)));
    }

    pub(crate) fn p0(_: &Authenticated<User>) -> Decision {
        answer(0)
    }
    pub(crate) fn p1(_: &Authenticated<User>) -> Decision {
        answer(1)
    }
    pub(crate) fn p2(_: &Authenticated<User>) -> Decision {
        answer(2)
    }
    pub(crate) fn p3(_: &Authenticated<User>) -> Decision {
        answer(3)
    }
}

/// A resource whose policy answers from the world.
pub(crate) struct Thing;

impl Resource for Thing {
    const KIND: &'static str = "thing";

    fn id(&self) -> impl std::fmt::Display + '_ {
        1
    }
}

#[derive(Action)]
pub(crate) struct Touch;

impl Policy<Thing> for Touch {
    type Principal = User;
    type State = ();

    fn decide(_: &Authenticated<User>, _: &Thing, (): &()) -> Decision {
        world::answer(4)
    }
}

/// A gate of a generated handler, as data.
#[derive(Debug)]
pub(crate) enum Node {
    Authenticated,
    Role(&'static str),
    Scope(&'static str),
    Permission(&'static str),
    Check(usize),
    Not(&'static Node),
    All(&'static [Node]),
    Any(&'static [Node]),
    Resource,
}

/// Who asks, in a run.
#[derive(Debug, Clone)]
struct Principal {
    roles: Vec<&'static str>,
    scopes: Vec<&'static str>,
    permissions: Vec<&'static str>,
}

impl Node {
    fn reference(&self, who: &Principal, answers: &[V; 5]) -> V {
        match self {
            Node::Authenticated => V::Allow,
            Node::Role(role) => {
                if who.roles.contains(role) {
                    V::Allow
                } else {
                    V::Deny
                }
            }
            Node::Scope(scope) => {
                if who.scopes.contains(scope) {
                    V::Allow
                } else {
                    V::Scope((*scope).to_owned())
                }
            }
            Node::Permission(permission) => {
                if who.permissions.contains(permission) {
                    V::Allow
                } else {
                    V::Deny
                }
            }
            Node::Check(i) => answers[*i].clone(),
            Node::Not(inner) => not(&inner.reference(who, answers)),
            Node::All(children) => all(children.iter().map(|c| c.reference(who, answers))),
            Node::Any(children) => any(children.iter().map(|c| c.reference(who, answers))),
            Node::Resource => answers[4].clone(),
        }
    }
}

/// The attribute's gates: the function-level ones in the order written, then the
/// resource gate; the first that does not allow answers.
fn reference(gates: &[Node], who: &Principal, answers: &[V; 5]) -> V {
    let function = gates.iter().filter(|g| !matches!(g, Node::Resource));
    let resource = gates.iter().filter(|g| matches!(g, Node::Resource));
    all(function.chain(resource).map(|g| g.reference(who, answers)))
}

pub(crate) struct Case {
    index: usize,
    shape: &'static str,
    gates: &'static [Node],
    run: fn(Authenticated<User>, Thing) -> Result<u32, AuthError>,
}

pub(crate) struct Svc;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

mod generated {
    #![allow(
        clippy::unused_async,
        clippy::unused_self,
        clippy::needless_pass_by_value
    )]
    use super::*;

    include!(concat!(env!("OUT_DIR"), "/gate_trees.rs"));
}

/// Vouches for the principal of the run: the sanctioned way to an
/// `Authenticated` without the `testing` feature.
struct As(Principal);

impl Authenticator for As {
    type User = User;

    async fn authenticate(&self, _: &http::request::Parts) -> Result<Identity<User>, AuthError> {
        let user = User {
            id: 7,
            roles: self.0.roles.clone(),
            permissions: self.0.permissions.clone(),
        };
        let scopes: Scopes = self.0.scopes.iter().copied().collect();
        Ok(Identity::new(user, "7", Mechanism::Test).scopes(scopes))
    }
}

fn subset(of: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::subsequence(of.to_vec(), 0..=of.len())
}

fn any_principal() -> impl Strategy<Value = Principal> {
    (subset(&["a", "b"]), subset(&["x", "y"]), subset(&["w"])).prop_map(
        |(roles, scopes, permissions)| Principal {
            roles,
            scopes,
            permissions,
        },
    )
}

fn any_answers() -> impl Strategy<Value = [V; 5]> {
    [any_v(), any_v(), any_v(), any_v(), any_v()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Every generated handler runs its body exactly when the reference allows,
    /// and answers the reference's denial otherwise.
    #[test]
    fn the_body_runs_exactly_when_the_reference_allows(
        who in any_principal(),
        answers in any_answers(),
    ) {
        world::ANSWERS.with(|world| *world.borrow_mut() = answers.clone());
        let (parts, ()) = http::Request::new(()).into_parts();
        for case in generated::CASES {
            world::RAN.with(|ran| ran.set(None));
            let user = block_on(auth_core::authenticate(&As(who.clone()), &parts))
                .expect("the run's principal");
            let result = (case.run)(user, Thing);
            let expected = reference(case.gates, &who, &answers);
            let ran = world::RAN.with(Cell::get);
            prop_assert_eq!(
                ran == Some(case.index),
                expected == V::Allow,
                "handler h{} ({}) with {:?}, {:?}: body ran {:?}, reference {:?}",
                case.index, case.shape, who, answers, ran, expected
            );
            prop_assert_eq!(
                V::of_result(&result),
                expected,
                "handler h{} ({}) gates {:?}",
                case.index, case.shape, case.gates
            );
        }
    }
}

#[test]
fn every_shape_is_generated_with_and_without_a_resource_gate() {
    for shape in [
        "SyncFree",
        "AsyncFree",
        "Method",
        "AsyncMethod",
        "BoxPinMethod",
        "AsyncTraitMethod",
    ] {
        let of_shape: Vec<&Case> = generated::CASES
            .iter()
            .filter(|c| c.shape == shape)
            .collect();
        assert!(
            of_shape
                .iter()
                .any(|c| c.gates.iter().any(|g| matches!(g, Node::Resource))),
            "{shape} with a resource gate"
        );
        assert!(
            of_shape
                .iter()
                .any(|c| !c.gates.iter().any(|g| matches!(g, Node::Resource))),
            "{shape} without one"
        );
        assert!(
            of_shape.iter().any(|c| c
                .gates
                .iter()
                .any(|g| matches!(g, Node::Not(_) | Node::Any(_) | Node::All(_)))),
            "{shape} with a combinator"
        );
    }
}
