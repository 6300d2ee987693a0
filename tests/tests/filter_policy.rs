//! A `FilterPolicy` is one rule with two answers: the resource gate and
//! `authorize` decide one value by it, `authorize_list` hands its filter to the
//! query. What each path answers, for owners, others, admins and guests, and
//! what the audit log records.

use auth_core::filter::{Field, Filter};
use auth_core::{
    Action, AuthError, Authenticated, Authenticator, FilterPolicy, Guarded, Identity, Mechanism,
    Permit, Resource, authenticate, requires,
};
use auth_tests::{audit, block_on};
use http::request::Parts;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Note {
    id: i64,
    author: i64,
    shared: bool,
}

impl Resource for Note {
    const KIND: &'static str = "note";
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

impl Note {
    const AUTHOR: Field<Note, i64> = Field::int("author", |n| n.author);
    const SHARED: Field<Note, bool> = Field::bool("shared", |n| n.shared);
}

#[derive(Debug, Clone)]
struct Member {
    id: i64,
    admin: bool,
}

/// Read a note: its author, anyone when shared, an admin always; others 403.
#[derive(Action)]
struct ReadNote;

/// Edit a note: its author only; others are told it does not exist (404).
#[derive(Action)]
struct EditNote;

/// Read a note as a guest: shared notes only, and guests may.
#[derive(Action)]
struct Peek;

impl FilterPolicy<Note> for ReadNote {
    type Principal = Member;
    type State = ();

    fn filter(member: &Authenticated<Member>, (): &()) -> Filter<Note> {
        Filter::any_of([
            Note::AUTHOR.eq(member.id).named("author"),
            Note::SHARED.is(true).named("shared"),
            Filter::when(member.admin).named("admin"),
        ])
    }
}

impl FilterPolicy<Note> for EditNote {
    type Principal = Member;
    type State = ();
    const HIDES_DENIED: bool = true;

    fn filter(member: &Authenticated<Member>, (): &()) -> Filter<Note> {
        Note::AUTHOR.eq(member.id)
    }
}

impl FilterPolicy<Note> for Peek {
    type Principal = Member;
    type State = ();
    const GUESTS: bool = true;

    fn filter(_: &Authenticated<Member>, (): &()) -> Filter<Note> {
        Note::SHARED.is(true)
    }
}

struct As(Member, Mechanism);

impl Authenticator for As {
    type User = Member;
    async fn authenticate(&self, _: &Parts) -> Result<Identity<Member>, AuthError> {
        Ok(Identity::new(self.0.clone(), self.0.id.to_string(), self.1))
    }
}

fn member(id: i64, admin: bool, mechanism: Mechanism) -> Authenticated<Member> {
    let parts = http::Request::new(()).into_parts().0;
    block_on(authenticate(&As(Member { id, admin }, mechanism), &parts)).expect("authenticated")
}

fn notes() -> Vec<Note> {
    vec![
        Note {
            id: 1,
            author: 1,
            shared: false,
        },
        Note {
            id: 2,
            author: 2,
            shared: false,
        },
        Note {
            id: 3,
            author: 2,
            shared: true,
        },
    ]
}

#[test]
fn one_value_is_decided_by_the_filter_with_its_named_reason() {
    let alice = member(1, false, Mechanism::Test);
    let (results, events) = audit::capture(|| {
        notes()
            .into_iter()
            .map(|note| alice.authorize::<ReadNote, _>(note).map(|p| p.id))
            .collect::<Vec<_>>()
    });
    assert!(matches!(results[0], Ok(1)));
    assert!(matches!(results[1], Err(AuthError::Forbidden { .. })));
    assert!(matches!(results[2], Ok(3)));
    let reasons: Vec<&str> = events.iter().map(|e| e["reason"].as_str()).collect();
    assert_eq!(
        reasons,
        ["author", "the rule's filter does not select it", "shared"],
        "{events:#?}"
    );

    let admin = member(9, true, Mechanism::Test);
    let (permit, events) = audit::capture(|| admin.authorize::<ReadNote, _>(notes()[1].clone()));
    assert!(permit.is_ok());
    assert_eq!(events[0]["reason"], "admin");
}

#[test]
fn a_policy_that_hides_answers_404() {
    let alice = member(1, false, Mechanism::Test);
    assert!(alice.authorize::<EditNote, _>(notes()[0].clone()).is_ok());
    let denied = alice.authorize::<EditNote, _>(notes()[2].clone());
    assert!(
        matches!(denied, Err(AuthError::NotFound { .. })),
        "{denied:?}"
    );
}

#[requires(ReadNote(note))]
fn read(_member: Authenticated<Member>, note: Note) -> i64 {
    note.id
}

#[test]
fn a_resource_gate_asks_the_same_filter() {
    let alice = member(1, false, Mechanism::Test);
    let ok: Guarded<i64, Authenticated<Member>> = read(alice.clone(), notes()[0].clone());
    assert_eq!(ok.into_result().ok(), Some(1));
    let denied = read(alice, notes()[1].clone());
    assert!(matches!(
        denied.into_result(),
        Err(AuthError::Forbidden { .. })
    ));
}

#[test]
fn a_list_is_one_event_and_its_rows_are_checked_again() {
    let alice = member(1, false, Mechanism::Test);
    let (list, events) = audit::capture(|| alice.authorize_list::<ReadNote, Note>(&()));
    let list = list.expect("a list permit");
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["resource"], "note:*");
    assert_eq!(events[0]["filter"], "(author = ? OR shared = ?)");
    assert_eq!(events[0]["action"], "read_note");

    // What a query returns goes through `admit`: the rows the filter selects ...
    let (permits, events) =
        audit::capture(|| list.admit_all(notes().into_iter().filter(|n| list.filter().matches(n))));
    let permits: Vec<Permit<'_, ReadNote, Note>> = permits.expect("admitted");
    assert_eq!(permits.iter().map(|p| p.id).collect::<Vec<_>>(), [1, 3]);
    assert!(events.is_empty(), "no event per row: {events:#?}");

    // ... and a row it does not select (a query that forgot its WHERE) is a
    // 500 and an error event, never a permit.
    let (stray, events) = audit::capture(|| list.admit_all(notes()));
    assert!(
        matches!(stray, Err(AuthError::Misconfigured { .. })),
        "{stray:?}"
    );
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["level"], "ERROR");
    assert_eq!(events[0]["handler"], "note:2 (read_note)");
}

#[test]
fn guests_get_no_list_and_no_value_unless_the_policy_says_so() {
    let guest = member(0, true, Mechanism::Guest);
    let (list, events) = audit::capture(|| guest.authorize_list::<ReadNote, Note>(&()));
    assert!(matches!(list, Err(AuthError::Forbidden { .. })), "{list:?}");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["decision"], "deny");
    assert!(matches!(
        guest.authorize::<ReadNote, _>(notes()[2].clone()),
        Err(AuthError::Forbidden { .. })
    ));

    let peek = guest
        .authorize_list::<Peek, Note>(&())
        .expect("guests may peek");
    assert_eq!(peek.filter().to_string(), "shared = ?");
    assert!(guest.authorize::<Peek, _>(notes()[2].clone()).is_ok());
}

#[test]
fn an_empty_selection_is_an_empty_list_not_an_error() {
    #[derive(Action)]
    struct Nothing;
    impl FilterPolicy<Note> for Nothing {
        type Principal = Member;
        type State = ();
        fn filter(_: &Authenticated<Member>, (): &()) -> Filter<Note> {
            Note::AUTHOR.one_of([])
        }
    }
    let alice = member(1, false, Mechanism::Test);
    let list = alice
        .authorize_list::<Nothing, Note>(&())
        .expect("a list permit");
    assert!(list.filter().is_none());
    assert!(list.admit(notes()[0].clone()).is_err());
}

/// A rule whose engine may be down: the state says whether it answers, and
/// admins are allowed whatever the engine says (`admin OR engine`), so the
/// outage must win over an absorbing `all` too.
#[derive(Action)]
struct Audit;

/// Whether the engine behind `Audit` answers.
struct Engine {
    up: bool,
}

impl FilterPolicy<Note> for Audit {
    type Principal = Member;
    type State = Engine;

    fn filter(member: &Authenticated<Member>, engine: &Engine) -> Filter<Note> {
        let answer = if engine.up {
            Note::AUTHOR
                .eq(member.id)
                .with_evidence(auth_core::engine::Evidence::new("notes-engine", "rule 7"))
        } else {
            Filter::unavailable("notes-engine")
        };
        Filter::when(member.admin).or(!!answer)
    }
}

#[requires(Audit(note), state = engine)]
fn audit_note(_member: Authenticated<Member>, engine: &Engine, note: Note) -> i64 {
    note.id
}

#[test]
fn an_unavailable_filter_is_a_503_for_one_value_a_gate_and_the_list() {
    let down = Engine { up: false };
    for member in [
        member(1, false, Mechanism::Test),
        member(1, true, Mechanism::Test),
    ] {
        // One value: 503, for the author too, and for an admin (the `or` with
        // an always-true part does not hide the outage).
        let (one, events) =
            audit::capture(|| member.authorize_with::<Audit, _>(notes()[0].clone(), &down));
        assert!(matches!(one, Err(AuthError::Unavailable { .. })), "{one:?}");
        assert_eq!(events[0]["decision"], "unavailable", "{events:#?}");

        // The resource gate: the body is not reached.
        let gated = audit_note(member.clone(), &down, notes()[0].clone());
        assert!(
            matches!(gated.into_result(), Err(AuthError::Unavailable { .. })),
            "the gate answered otherwise"
        );

        // The list: refused with a 503 and one event, never an empty list.
        let (list, events) = audit::capture(|| member.authorize_list::<Audit, Note>(&down));
        let error = list.expect_err("no list while the engine is down");
        assert!(matches!(error, AuthError::Unavailable { .. }), "{error:?}");
        assert_eq!(error.status().as_u16(), 503);
        assert_eq!(events.len(), 1, "{events:#?}");
        assert_eq!(events[0]["decision"], "unavailable");
    }

    // Back up: the author's note, and the evidence on the decision and the
    // list's event.
    let up = Engine { up: true };
    let alice = member(1, false, Mechanism::Test);
    let (one, events) =
        audit::capture(|| alice.authorize_with::<Audit, _>(notes()[0].clone(), &up));
    assert!(one.is_ok(), "{one:?}");
    assert_eq!(events[0]["engine"], "notes-engine", "{events:#?}");
    assert_eq!(events[0]["evidence"], "rule 7");
    let (denied, events) =
        audit::capture(|| alice.authorize_with::<Audit, _>(notes()[1].clone(), &up));
    assert!(matches!(denied, Err(AuthError::Forbidden { .. })));
    assert_eq!(events[0]["evidence"], "rule 7", "a denial carries it too");
    let (list, events) = audit::capture(|| alice.authorize_list::<Audit, Note>(&up));
    assert_eq!(list.expect("a list").filter().to_string(), "author = ?");
    assert_eq!(events[0]["engine"], "notes-engine", "{events:#?}");
    assert_eq!(events[0]["evidence"], "rule 7");
    assert!(
        audit_note(alice, &up, notes()[0].clone())
            .into_result()
            .is_ok()
    );
}
