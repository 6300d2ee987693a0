//! The per-request memo: a policy with `MEMO = true` is decided once per
//! request for the same resource, state and action; never across requests,
//! never for an unavailable answer, and never for a policy that did not ask.

use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::{
    Action, AsyncPolicy, AuthError, Authenticated, Decision, Guarded, Policy, Resource,
    authenticate, requires,
};
use auth_tests::{TestAuthenticator, User, block_on, request_as};

#[derive(Debug, Clone)]
struct Doc {
    id: u64,
    public: bool,
}

impl Resource for Doc {
    const KIND: &'static str = "doc";
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

/// Counts how often a rule ran; `down` makes it unavailable.
#[derive(Default)]
struct Engine {
    asked: AtomicUsize,
    down: std::sync::atomic::AtomicBool,
}

impl Engine {
    fn asked(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }
    fn answer(&self, doc: &Doc) -> Decision {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            Decision::unavailable("engine", None)
        } else {
            Decision::allow_if(doc.public, "public", "private")
        }
    }
}

#[derive(Action)]
struct View;
#[derive(Action)]
struct Print;
#[derive(Action)]
struct Share;

impl Policy<Doc> for View {
    type Principal = User;
    type State = Engine;
    const MEMO: bool = true;
    fn decide(_: &Authenticated<User>, doc: &Doc, engine: &Engine) -> Decision {
        engine.answer(doc)
    }
}

/// Not memoized.
impl Policy<Doc> for Print {
    type Principal = User;
    type State = Engine;
    fn decide(_: &Authenticated<User>, doc: &Doc, engine: &Engine) -> Decision {
        engine.answer(doc)
    }
}

impl AsyncPolicy<Doc> for Share {
    type Principal = User;
    type State = Engine;
    const MEMO: bool = true;
    async fn decide(_: &Authenticated<User>, doc: &Doc, engine: &Engine) -> Decision {
        tokio::task::yield_now().await;
        engine.answer(doc)
    }
}

fn sign_in() -> Authenticated<User> {
    block_on(authenticate(
        &TestAuthenticator::default(),
        &request_as(1, ""),
    ))
    .expect("user 1")
}

fn doc(id: u64, public: bool) -> Doc {
    Doc { id, public }
}

#[test]
fn a_memoized_policy_decides_once_per_request_and_resource() {
    let engine = Engine::default();
    let user = sign_in();
    for _ in 0..3 {
        assert!(
            user.authorize_with::<View, _>(doc(1, true), &engine)
                .is_ok()
        );
    }
    assert_eq!(engine.asked(), 1);
    // A clone of the principal is the same request.
    assert!(
        user.clone()
            .authorize_with::<View, _>(doc(1, true), &engine)
            .is_ok()
    );
    assert_eq!(engine.asked(), 1);
    // A denial is kept too.
    for _ in 0..2 {
        assert!(matches!(
            user.authorize_with::<View, _>(doc(2, false), &engine),
            Err(AuthError::Forbidden { .. })
        ));
    }
    assert_eq!(engine.asked(), 2);
    // Another state value is another question.
    let other = Engine::default();
    assert!(user.authorize_with::<View, _>(doc(1, true), &other).is_ok());
    assert_eq!((engine.asked(), other.asked()), (2, 1));
    // Another request asks again.
    assert!(
        sign_in()
            .authorize_with::<View, _>(doc(1, true), &engine)
            .is_ok()
    );
    assert_eq!(engine.asked(), 3);
}

#[test]
fn an_unmemoized_policy_and_an_outage_are_asked_every_time() {
    let engine = Engine::default();
    let user = sign_in();
    for _ in 0..3 {
        assert!(
            user.authorize_with::<Print, _>(doc(1, true), &engine)
                .is_ok()
        );
    }
    assert_eq!(engine.asked(), 3);

    let engine = Engine::default();
    engine.down.store(true, Ordering::SeqCst);
    for _ in 0..2 {
        assert!(matches!(
            user.authorize_with::<View, _>(doc(9, true), &engine),
            Err(AuthError::Unavailable { .. })
        ));
    }
    assert_eq!(engine.asked(), 2, "an outage is never kept");
    engine.down.store(false, Ordering::SeqCst);
    assert!(
        user.authorize_with::<View, _>(doc(9, true), &engine)
            .is_ok()
    );
}

#[test]
fn an_async_memoized_policy_decides_once() {
    let engine = Engine::default();
    let user = sign_in();
    block_on(async {
        for _ in 0..3 {
            assert!(
                user.authorize_async::<Share, _>(doc(1, true), &engine)
                    .await
                    .is_ok()
            );
        }
    });
    assert_eq!(engine.asked(), 1);
}

#[requires(View(document), state = engine)]
fn view(user: Authenticated<User>, engine: &Engine, document: Doc) -> u64 {
    // Asked again in the body, for the same document: no second decision.
    let again = user.authorize_with::<View, _>(document.resource().clone(), engine);
    assert!(again.is_ok());
    document.id
}

#[test]
fn a_gate_and_a_body_call_share_one_decision() {
    let engine = Engine::default();
    let out: Guarded<u64, Authenticated<User>> = view(sign_in(), &engine, doc(4, true));
    assert_eq!(out.into_result().ok(), Some(4));
    assert_eq!(engine.asked(), 1);
}
