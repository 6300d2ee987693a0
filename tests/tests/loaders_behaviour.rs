//! Loaders (`Loaded<R>`) as behaviour: `#[requires]` loads the resource only
//! after every function-level gate allowed, and right before the resource's
//! policy, on every handler shape, whether or not the gates could run early
//! (G5: 403 before 404). A loader's side effect (a query) never happens for a
//! caller a gate refused. No such resource is a 404; a loader that fails is a
//! 503, never an allow; the policy chooses 403 or 404 for someone else's.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use auth_core::{
    Action, AsyncPolicy, AuthError, Authenticated, Decision, Guarded, Load, LoadBy, LoadError,
    Loaded, LoadedBy, Policy, Resource, requires,
};
use auth_tests::audit::capture;
use auth_tests::{Counter, User, block_on, sign_in};

const ALICE: u64 = 1; // customer
const BOB: u64 = 2; // customer

/// A document, owned by one user.
#[derive(Debug)]
struct Doc {
    id: u64,
    owner_id: u64,
}

impl Resource for Doc {
    const KIND: &'static str = "doc";

    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

/// The store the loader reads, and the state the gates read: who may edit, and
/// how often it was queried (the side effect that must not happen on a 403).
#[derive(Debug, Default)]
struct Shelf {
    docs: Vec<(u64, u64)>,
    editors: Vec<u64>,
    loads: AtomicUsize,
    down: AtomicBool,
}

impl Shelf {
    /// Alice's doc 1, Bob's doc 2; Alice may edit.
    fn new() -> &'static Shelf {
        Box::leak(Box::new(Shelf {
            docs: vec![(1, ALICE), (2, BOB)],
            editors: vec![ALICE],
            ..Shelf::default()
        }))
    }

    fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    fn find(&self, id: u64) -> Result<Option<Doc>, LoadError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(LoadError::unavailable("shelf", "the shelf is down"));
        }
        Ok(self
            .docs
            .iter()
            .find(|(doc, _)| *doc == id)
            .map(|&(id, owner_id)| Doc { id, owner_id }))
    }
}

impl Load for Doc {
    type Key = u64;
    type Source = &'static Shelf;

    async fn load(id: &u64, shelf: &&'static Shelf) -> Result<Option<Doc>, LoadError> {
        tokio::task::yield_now().await;
        shelf.find(*id)
    }
}

/// A doc's title: another key to load it by.
struct Title(&'static str);

impl LoadBy<Title> for Doc {
    type Source = &'static Shelf;

    async fn load_by(title: &Title, shelf: &&'static Shelf) -> Result<Option<Doc>, LoadError> {
        let id = match title.0 {
            "first" => 1,
            "second" => 2,
            _ => 0,
        };
        shelf.find(id)
    }
}

/// Reveals that someone else's doc exists: 403.
#[derive(Action)]
struct View;

impl Policy<Doc> for View {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, doc: &Doc, (): &()) -> Decision {
        Decision::allow_if(doc.owner_id == user.id, "owner", "not the owner")
    }
}

/// Hides that someone else's doc exists: 404.
#[derive(Action)]
struct Peek;

impl Policy<Doc> for Peek {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, doc: &Doc, (): &()) -> Decision {
        if doc.owner_id == user.id {
            Decision::allow("owner")
        } else {
            Decision::not_found("not the owner")
        }
    }
}

/// A sync policy that reads the state.
#[derive(Action)]
struct Edit;

impl Policy<Doc> for Edit {
    type Principal = User;
    type State = Shelf;

    fn decide(user: &Authenticated<User>, doc: &Doc, _: &Shelf) -> Decision {
        Decision::allow_if(doc.owner_id == user.id, "owner", "not the owner")
    }
}

/// An async policy that reads the state.
#[derive(Action)]
struct Review;

impl AsyncPolicy<Doc> for Review {
    type Principal = User;
    type State = Shelf;

    async fn decide(user: &Authenticated<User>, doc: &Doc, _: &Shelf) -> Decision {
        tokio::task::yield_now().await;
        Decision::allow_if(doc.owner_id == user.id, "owner", "not the owner")
    }
}

/// A sync predicate with state: never an early gate.
fn may_edit(user: &Authenticated<User>, shelf: &Shelf) -> Decision {
    Decision::allow_if(shelf.editors.contains(&user.id), "editor", "not an editor")
}

/// An async predicate with state.
async fn may_review(user: &Authenticated<User>, shelf: &Shelf) -> Decision {
    tokio::task::yield_now().await;
    may_edit(user, shelf)
}

// Functions.

#[requires(scope("docs:read"), View(doc))]
async fn view(_user: Authenticated<User>, doc: Loaded<Doc>, ran: &Counter) -> u64 {
    ran.hit();
    doc.id
}

#[requires(scope("docs:read"), Peek(doc))]
async fn peek(_user: Authenticated<User>, doc: Loaded<Doc>, ran: &Counter) -> u64 {
    ran.hit();
    doc.id
}

#[requires(scope("docs:read"), View(doc))]
async fn view_by_title(
    _user: Authenticated<User>,
    doc: LoadedBy<Doc, Title>,
    ran: &Counter,
) -> u64 {
    ran.hit();
    doc.id
}

#[requires(check(may_edit), Edit(doc), state = shelf)]
async fn edit(_user: Authenticated<User>, shelf: &Shelf, doc: Loaded<Doc>, ran: &Counter) -> u64 {
    let _ = shelf;
    ran.hit();
    doc.id
}

#[requires(check(may_review), Review(doc), state = shelf)]
async fn review(_user: Authenticated<User>, shelf: &Shelf, doc: Loaded<Doc>, ran: &Counter) -> u64 {
    let _ = shelf;
    ran.hit();
    doc.id
}

/// A plain resource next to a loaded one: both gates, in the order written.
#[requires(View(first), Peek(second))]
async fn two(_user: Authenticated<User>, first: Doc, second: Loaded<Doc>, ran: &Counter) -> u64 {
    ran.hit();
    first.id + second.id
}

// Methods.

struct Desk {
    shelf: &'static Shelf,
}

impl Desk {
    #[requires(check(may_edit), Edit(doc), state = self.shelf)]
    async fn edit(
        &self,
        _user: Authenticated<User>,
        doc: Loaded<Doc>,
        ran: &Counter,
    ) -> Result<u64, AuthError> {
        ran.hit();
        Ok(doc.id)
    }

    #[requires(check(may_review), Review(doc), state = self.shelf)]
    async fn review(
        &self,
        _user: Authenticated<User>,
        doc: Loaded<Doc>,
        ran: &Counter,
    ) -> Result<u64, AuthError> {
        ran.hit();
        Ok(doc.id)
    }
}

/// `sign_in`, from inside a future: it blocks on a runtime of its own, so it
/// runs on a thread of its own.
fn who(id: u64, scopes: &'static str) -> Authenticated<User> {
    std::thread::spawn(move || sign_in(id, scopes))
        .join()
        .expect("a signed-in user")
}

fn status<T, C>(out: Guarded<T, C>) -> u16 {
    out.into_result()
        .map_or_else(|e| e.status().as_u16(), |_| 200)
}

fn method_status<T>(out: Result<T, AuthError>) -> u16 {
    out.map_or_else(|e| e.status().as_u16(), |_| 200)
}

/// `(status, body runs, loads)` of one call on a fresh shelf.
fn observe<F>(call: F) -> (u16, usize, usize)
where
    F: AsyncFnOnce(&'static Shelf, &Counter) -> u16,
{
    observe_on(Shelf::new(), call)
}

fn observe_on<F>(shelf: &'static Shelf, call: F) -> (u16, usize, usize)
where
    F: AsyncFnOnce(&'static Shelf, &Counter) -> u16,
{
    let ran = Counter::new();
    let status = block_on(call(shelf, &ran));
    (status, ran.get(), shelf.loads())
}

fn doc(id: u64, shelf: &'static Shelf) -> Loaded<Doc> {
    Loaded::new(id, shelf)
}

#[test]
fn an_early_scope_gate_refuses_before_the_load() {
    type Case = (&'static str, (u16, usize, usize), (u16, usize, usize));
    let cases: Vec<Case> = vec![
        (
            "no scope, missing doc",
            observe(async |s, r| status(view(who(ALICE, ""), doc(99, s), r).await)),
            (403, 0, 0),
        ),
        (
            "no scope, own doc",
            observe(async |s, r| status(view(who(ALICE, ""), doc(1, s), r).await)),
            (403, 0, 0),
        ),
        (
            "scope, missing doc",
            observe(async |s, r| status(view(who(ALICE, "docs:read"), doc(99, s), r).await)),
            (404, 0, 1),
        ),
        (
            "scope, someone else's doc, a policy that reveals",
            observe(async |s, r| status(view(who(ALICE, "docs:read"), doc(2, s), r).await)),
            (403, 0, 1),
        ),
        (
            "scope, someone else's doc, a policy that hides",
            observe(async |s, r| status(peek(who(ALICE, "docs:read"), doc(2, s), r).await)),
            (404, 0, 1),
        ),
        (
            "scope, own doc",
            observe(async |s, r| status(view(who(ALICE, "docs:read"), doc(1, s), r).await)),
            (200, 1, 1),
        ),
        (
            "scope, own doc, by another key",
            observe(async |s, r| {
                let by_title = LoadedBy::new(Title("first"), s);
                status(view_by_title(who(ALICE, "docs:read"), by_title, r).await)
            }),
            (200, 1, 1),
        ),
        (
            "no scope, by another key",
            observe(async |s, r| {
                let by_title = LoadedBy::new(Title("first"), s);
                status(view_by_title(who(ALICE, ""), by_title, r).await)
            }),
            (403, 0, 0),
        ),
        (
            "scope, missing, by another key",
            observe(async |s, r| {
                let by_title = LoadedBy::new(Title("third"), s);
                status(view_by_title(who(ALICE, "docs:read"), by_title, r).await)
            }),
            (404, 0, 1),
        ),
    ];
    for (case, observed, expected) in cases {
        assert_eq!(observed, expected, "{case}: (status, body runs, loads)");
    }
}

/// `check(..)` with state cannot run before the extractors: it runs in the body,
/// and the load still waits for it. Sync and async policies, functions and
/// methods.
#[test]
fn a_gate_that_cannot_be_early_still_refuses_before_the_load() {
    type Case = (&'static str, (u16, usize, usize), (u16, usize, usize));
    let mut cases: Vec<Case> = Vec::new();
    for (case, id, expected) in [
        // Bob is not an editor: 403 whatever the doc, nothing loaded.
        ("bob, missing", (BOB, 99), (403, 0, 0)),
        ("bob, his own", (BOB, 2), (403, 0, 0)),
        // Alice is: then the doc is loaded, and the policy decides.
        ("alice, missing", (ALICE, 99), (404, 0, 1)),
        ("alice, bob's", (ALICE, 2), (403, 0, 1)),
        ("alice, her own", (ALICE, 1), (200, 1, 1)),
    ] {
        let (user, key) = id;
        cases.push((
            case,
            observe(async |s, r| status(edit(who(user, ""), s, doc(key, s), r).await)),
            expected,
        ));
        cases.push((
            case,
            observe(async |s, r| status(review(who(user, ""), s, doc(key, s), r).await)),
            expected,
        ));
        cases.push((
            case,
            observe(async |s, r| {
                let desk = Desk { shelf: s };
                method_status(desk.edit(who(user, ""), doc(key, s), r).await)
            }),
            expected,
        ));
        cases.push((
            case,
            observe(async |s, r| {
                let desk = Desk { shelf: s };
                method_status(desk.review(who(user, ""), doc(key, s), r).await)
            }),
            expected,
        ));
    }
    for (index, (case, observed, expected)) in cases.into_iter().enumerate() {
        let shape = [
            "fn, sync policy",
            "fn, async policy",
            "method, sync policy",
            "method, async policy",
        ][index % 4];
        assert_eq!(
            observed, expected,
            "{case} ({shape}): (status, body runs, loads)"
        );
    }
}

#[test]
fn a_loader_that_fails_is_a_503_never_an_allow() {
    let down = || {
        let shelf = Shelf::new();
        shelf.down.store(true, Ordering::SeqCst);
        shelf
    };
    assert_eq!(
        observe_on(down(), async |s, r| {
            status(view(who(ALICE, "docs:read"), doc(1, s), r).await)
        }),
        (503, 0, 1)
    );
    assert_eq!(
        observe_on(down(), async |s, r| {
            let desk = Desk { shelf: s };
            method_status(desk.review(who(ALICE, ""), doc(1, s), r).await)
        }),
        (503, 0, 1)
    );
    // A refused caller is refused whatever the store's state: 403, not 503.
    assert_eq!(
        observe_on(down(), async |s, r| {
            status(view(who(ALICE, ""), doc(1, s), r).await)
        }),
        (403, 0, 0)
    );
}

#[test]
fn resource_gates_load_in_the_order_written() {
    // The plain resource's policy refuses first: the second is never loaded.
    let refused = observe(async |s, r| {
        let bobs = Doc {
            id: 2,
            owner_id: BOB,
        };
        status(two(who(ALICE, ""), bobs, doc(1, s), r).await)
    });
    assert_eq!(refused, (403, 0, 0));
    let allowed = observe(async |s, r| {
        let own = Doc {
            id: 1,
            owner_id: ALICE,
        };
        status(two(who(ALICE, ""), own, doc(1, s), r).await)
    });
    assert_eq!(allowed, (200, 1, 1));
}

#[test]
fn a_missing_resource_and_a_failed_load_are_audited() {
    let field = |event: &auth_tests::audit::Record, name: &str| {
        event.get(name).cloned().unwrap_or_default()
    };
    let shelf = Shelf::new();
    let alice = who(ALICE, "docs:read");
    let (missing, events) =
        capture(|| block_on(view(alice.clone(), doc(99, shelf), &Counter::new())));
    assert_eq!(status(missing), 404);
    let event = events
        .iter()
        .find(|e| field(e, "rule") == "View(doc)")
        .expect("an event for the resource gate");
    assert_eq!(
        (
            field(event, "decision"),
            field(event, "resource"),
            field(event, "action")
        ),
        (
            "not_found".to_owned(),
            "doc:?".to_owned(),
            "view".to_owned()
        )
    );
    shelf.down.store(true, Ordering::SeqCst);
    let (failed, events) = capture(|| block_on(view(alice, doc(1, shelf), &Counter::new())));
    assert_eq!(status(failed), 503);
    let event = events
        .iter()
        .find(|e| field(e, "rule") == "View(doc)")
        .expect("an event for the resource gate");
    assert_eq!(field(event, "decision"), "unavailable");
}
