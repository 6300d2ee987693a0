//! G6, deny by default, against hand-written doors.
//!
//! `Gatekeeper` and `Clearance` are public so that code without the macros can
//! guard a handler. The attacks: write a handler record and skip its
//! registration (so the matrix never shows the door), clear a registered record
//! without checking every gate, check a gate, get a denial and carry on, check
//! with the wrong index, or find another way to a `Guarded` with a value. Each
//! must be refused: a 500 (`AuthError::Misconfigured`) and an error audit event,
//! and never the body.

use std::net::SocketAddr;

use actix_web::{App, HttpServer, web};
use auth_adversarial::{Document, Probe, View, get, serve_actix, serve_axum};
use auth_core::inventory::{HandlerInfo, Matrix, Registration};
use auth_core::{
    Action, AuthError, Authenticated, Clearance, Decision, Gatekeeper, Guarded, Policy, Refusal,
    SharedAuthenticator, gate, public,
};
use auth_tests::audit;
use auth_tests::{Counter, User, sign_in};

// ---- records ------------------------------------------------------------------

/// A guarded record nobody registered.
static UNREGISTERED_GUARDED: HandlerInfo = HandlerInfo::guarded(
    "unregistered_guarded_door",
    module_path!(),
    file!(),
    line!(),
    &["authenticated"],
);

/// A public record nobody registered.
static UNREGISTERED_PUBLIC: HandlerInfo =
    HandlerInfo::public("unregistered_public_door", module_path!(), file!(), line!());

/// A registered guarded record with three gates: a role, a scope, a resource.
static THREE_GATES: HandlerInfo = HandlerInfo::guarded(
    "three_gates_door",
    module_path!(),
    file!(),
    line!(),
    &[r#"role("admin")"#, r#"scope("export")"#, "View(document)"],
);
auth_core::inventory::submit!(Registration::new(&THREE_GATES));

/// A registered public record.
static REGISTERED_PUBLIC: HandlerInfo =
    HandlerInfo::public("registered_public_door", module_path!(), file!(), line!());
auth_core::inventory::submit!(Registration::new(&REGISTERED_PUBLIC));

/// A registered guarded record that lists no gate.
static NO_GATES: HandlerInfo =
    HandlerInfo::guarded("no_gates_door", module_path!(), file!(), line!(), &[]);
auth_core::inventory::submit!(Registration::new(&NO_GATES));

/// A registered guarded record with more gates than a gatekeeper can count.
static TOO_MANY_GATES: HandlerInfo = HandlerInfo::guarded(
    "too_many_gates_door",
    module_path!(),
    file!(),
    line!(),
    &["authenticated"; 65],
);
auth_core::inventory::submit!(Registration::new(&TOO_MANY_GATES));

/// The door a careful hand writes: registered, every gate checked.
static HAND_WRITTEN: HandlerInfo = HandlerInfo::guarded(
    "hand_written_admin_door",
    module_path!(),
    file!(),
    line!(),
    &[r#"role("admin")"#],
);
auth_core::inventory::submit!(Registration::new(&HAND_WRITTEN));

// ---- direct calls -------------------------------------------------------------

/// Shredding a document: nobody may.
#[derive(Action)]
pub struct Shred;

impl Policy<Document> for Shred {
    type Principal = User;
    type State = ();

    fn decide(_user: &Authenticated<User>, _document: &Document, (): &()) -> Decision {
        Decision::deny("nobody shreds")
    }
}

/// Asserts `refusal` is a 500 `Misconfigured`, and that it left exactly one error
/// audit event naming `handler`.
fn assert_refused<C>(what: &str, refusal: Refusal<C>, events: &[audit::Record], handler: &str) {
    let error = refusal.into_error();
    assert!(
        matches!(error, AuthError::Misconfigured { .. }),
        "{what}: {error:?}"
    );
    assert_eq!(error.status().as_u16(), 500, "{what}");
    let refusals: Vec<_> = events
        .iter()
        .filter(|event| event.get("decision").map(String::as_str) == Some("misconfigured"))
        .collect();
    assert_eq!(refusals.len(), 1, "{what}: {events:#?}");
    assert_eq!(
        refusals[0].get("level").map(String::as_str),
        Some("ERROR"),
        "{what}"
    );
    assert!(
        refusals[0]
            .get("handler")
            .is_some_and(|name| name.ends_with(handler)),
        "{what}: {:?}",
        refusals[0]
    );
}

#[test]
fn an_unregistered_record_gets_no_clearance_from_a_gatekeeper() {
    let user = sign_in(3, "");
    audit::start();
    let mut gatekeeper = Gatekeeper::new(&user, &UNREGISTERED_GUARDED);
    let decision = gate::authenticated(gatekeeper.principal());
    assert!(gatekeeper.check(0, decision).is_ok());
    let refused = gatekeeper.clear();
    let events = audit::take();
    let Err(refusal) = refused else {
        panic!("an unregistered record was cleared")
    };
    assert_refused("gatekeeper", refusal, &events, "unregistered_guarded_door");
    assert!(!UNREGISTERED_GUARDED.is_registered());
}

#[test]
fn an_unregistered_public_record_gets_no_public_clearance() {
    audit::start();
    let guest = Clearance::<()>::public(&UNREGISTERED_PUBLIC);
    let events = audit::take();
    let Err(refusal) = guest else {
        panic!("an unregistered public record was cleared")
    };
    assert_refused("public", refusal, &events, "unregistered_public_door");

    audit::start();
    let optional = Clearance::<Option<Authenticated<User>>>::public(&UNREGISTERED_PUBLIC);
    let events = audit::take();
    let Err(refusal) = optional else {
        panic!("an unregistered public record was cleared for optional sign-in")
    };
    assert_refused("optional", refusal, &events, "unregistered_public_door");
}

/// One way to mishandle the gatekeeper of [`THREE_GATES`] for an admin who holds
/// the scope and may view the document.
type Mishandling = fn(&mut Gatekeeper<'_, User>);

fn check_role(gatekeeper: &mut Gatekeeper<'_, User>, index: usize) {
    let decision = gate::role(gatekeeper.principal(), "admin");
    assert!(gatekeeper.check(index, decision).is_ok());
}

fn check_scope(gatekeeper: &mut Gatekeeper<'_, User>, index: usize) {
    let decision = gate::scope(gatekeeper.principal(), "export");
    assert!(gatekeeper.check(index, decision).is_ok());
}

fn check_document(gatekeeper: &mut Gatekeeper<'_, User>, index: usize) {
    let permit = gatekeeper
        .resource(index, Document { id: 1, owner_id: 1 }, &())
        .authorize::<View>();
    assert!(permit.is_ok());
}

#[test]
fn a_registered_record_is_not_cleared_before_every_gate_allowed() {
    assert!(THREE_GATES.is_registered());
    let cases: [(&str, Mishandling); 10] = [
        ("no gate checked", |_| {}),
        ("only the first gate", |g| check_role(g, 0)),
        ("the first two gates", |g| {
            check_role(g, 0);
            check_scope(g, 1);
        }),
        ("a denied gate whose error is ignored", |g| {
            check_role(g, 0);
            check_scope(g, 1);
            let _ = g.check(2, Decision::deny("not this one"));
        }),
        ("an unavailable gate whose error is ignored", |g| {
            check_role(g, 0);
            check_scope(g, 1);
            let _ = g.check(2, Decision::unavailable("store", None));
        }),
        ("a denied resource gate whose error is ignored", |g| {
            check_role(g, 0);
            check_scope(g, 1);
            let denied = g
                .resource(2, Document { id: 1, owner_id: 1 }, &())
                .authorize::<Shred>();
            assert!(denied.is_err());
        }),
        ("the same index three times", |g| {
            check_role(g, 0);
            check_role(g, 0);
            check_role(g, 0);
        }),
        ("an index past the last gate", |g| {
            check_role(g, 0);
            check_scope(g, 1);
            check_document(g, 3);
        }),
        ("every gate, and one that does not exist", |g| {
            check_role(g, 0);
            check_scope(g, 1);
            check_document(g, 2);
            check_role(g, 5);
        }),
        ("indexes past what a gatekeeper counts", |g| {
            check_role(g, 0);
            check_scope(g, 1);
            check_role(g, 64);
            check_role(g, 66);
            check_role(g, usize::MAX);
        }),
    ];
    let admin = sign_in(3, "export");
    for (what, mishandle) in cases {
        audit::start();
        let mut gatekeeper = Gatekeeper::new(&admin, &THREE_GATES);
        mishandle(&mut gatekeeper);
        let cleared = gatekeeper.clear();
        let events = audit::take();
        let Err(refusal) = cleared else {
            panic!("{what}: cleared")
        };
        assert_refused(what, refusal, &events, "three_gates_door");
    }

    // The control: every gate allowed, in any order, clears.
    let mut gatekeeper = Gatekeeper::new(&admin, &THREE_GATES);
    check_document(&mut gatekeeper, 2);
    check_role(&mut gatekeeper, 0);
    check_scope(&mut gatekeeper, 1);
    assert!(gatekeeper.clear().is_ok());
}

#[test]
fn a_record_of_the_wrong_kind_or_size_gets_no_clearance() {
    let admin = sign_in(3, "");

    audit::start();
    let refused = Gatekeeper::new(&admin, &REGISTERED_PUBLIC).clear();
    let events = audit::take();
    let Err(refusal) = refused else {
        panic!("a gatekeeper cleared a public record")
    };
    assert_refused("public record", refusal, &events, "registered_public_door");

    audit::start();
    let refused = Clearance::<()>::public(&THREE_GATES);
    let events = audit::take();
    let Err(refusal) = refused else {
        panic!("a guarded record was cleared as public")
    };
    assert_refused("guarded as public", refusal, &events, "three_gates_door");

    audit::start();
    let refused = Gatekeeper::new(&admin, &NO_GATES).clear();
    let events = audit::take();
    let Err(refusal) = refused else {
        panic!("a record without gates was cleared")
    };
    assert_refused("no gates", refusal, &events, "no_gates_door");

    audit::start();
    let mut gatekeeper = Gatekeeper::new(&admin, &TOO_MANY_GATES);
    for index in 0..65 {
        let decision = gate::authenticated(gatekeeper.principal());
        assert!(gatekeeper.check(index, decision).is_ok());
    }
    let refused = gatekeeper.clear();
    let events = audit::take();
    let Err(refusal) = refused else {
        panic!("a record with 65 gates was cleared")
    };
    assert_refused("65 gates", refusal, &events, "too_many_gates_door");
}

#[test]
fn a_registered_hand_written_door_shows_in_the_matrix() {
    let matrix = Matrix::collect().within(module_path!());
    let text = matrix.to_string();
    assert!(
        text.contains(r#"hand_written_admin_door` | guarded | `role("admin")` |"#),
        "{text}"
    );
    assert!(
        text.contains("registered_public_door` | PUBLIC |"),
        "{text}"
    );
    assert!(!text.contains("unregistered"), "{text}");
    assert!(
        matrix
            .handlers()
            .iter()
            .any(|handler| handler.name() == HAND_WRITTEN.name()
                && handler.line() == HAND_WRITTEN.line())
    );
}

// ---- over HTTP ------------------------------------------------------------------

static DOOR_BODIES: Counter = Counter::new();

/// A handler written by hand around [`UNREGISTERED_GUARDED`]: it checks its one
/// gate, and would run its body if the record were cleared.
async fn unregistered_guarded_door(
    user: Authenticated<User>,
) -> Guarded<String, Authenticated<User>> {
    let mut gatekeeper = Gatekeeper::new(&user, &UNREGISTERED_GUARDED);
    let decision = gate::authenticated(gatekeeper.principal());
    if let Err(error) = gatekeeper.check(0, decision) {
        return gatekeeper.deny(error);
    }
    match gatekeeper.clear() {
        Ok(clearance) => {
            DOOR_BODIES.hit();
            Guarded::new(clearance, "every order".to_owned())
        }
        Err(refusal) => refusal.into(),
    }
}

/// A public handler written by hand around [`UNREGISTERED_PUBLIC`].
async fn unregistered_public_door() -> Guarded<String, ()> {
    match Clearance::public(&UNREGISTERED_PUBLIC) {
        Ok(clearance) => {
            DOOR_BODIES.hit();
            Guarded::new(clearance, "every order".to_owned())
        }
        Err(refusal) => refusal.into(),
    }
}

/// A handler that skips its second gate, around the registered [`THREE_GATES`].
async fn gate_skipping_door(user: Authenticated<User>) -> Guarded<String, Authenticated<User>> {
    let mut gatekeeper = Gatekeeper::new(&user, &THREE_GATES);
    let decision = gate::role(gatekeeper.principal(), "admin");
    if let Err(error) = gatekeeper.check(0, decision) {
        return gatekeeper.deny(error);
    }
    match gatekeeper.clear() {
        Ok(clearance) => {
            DOOR_BODIES.hit();
            Guarded::new(clearance, "every order".to_owned())
        }
        Err(refusal) => refusal.into(),
    }
}

static HAND_WRITTEN_BODIES: Counter = Counter::new();

/// The careful door around [`HAND_WRITTEN`].
async fn hand_written_admin_door(
    user: Authenticated<User>,
) -> Guarded<String, Authenticated<User>> {
    let mut gatekeeper = Gatekeeper::new(&user, &HAND_WRITTEN);
    let decision = gate::role(gatekeeper.principal(), "admin");
    if let Err(error) = gatekeeper.check(0, decision) {
        return gatekeeper.deny(error);
    }
    match gatekeeper.clear() {
        Ok(clearance) => {
            HAND_WRITTEN_BODIES.hit();
            Guarded::new(clearance, format!("admin {}", user.id))
        }
        Err(refusal) => refusal.into(),
    }
}

async fn start_axum() -> SocketAddr {
    use auth_core::axum::{SecureRouter, get};
    let app = SecureRouter::new()
        .route("/guarded", get(unregistered_guarded_door))
        .route("/public", get(unregistered_public_door))
        .route("/skipping", get(gate_skipping_door))
        .route("/careful", get(hand_written_admin_door))
        .with_state(SharedAuthenticator::new(Probe::new()).with_realm("by-hand"));
    serve_axum(app).await
}

fn start_actix() -> SocketAddr {
    use auth_core::actix::{SecureScope, get};
    let authenticator = SharedAuthenticator::new(Probe::new()).with_realm("by-hand");
    serve_actix(move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(authenticator.clone()))
                .service(
                    SecureScope::new("")
                        .route("/guarded", get(unregistered_guarded_door))
                        .route("/public", get(unregistered_public_door))
                        .route("/skipping", get(gate_skipping_door))
                        .route("/careful", get(hand_written_admin_door)),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    })
}

const SERVER_ERROR: &str =
    r#"{"error":"server_error","error_description":"the service cannot decide on access"}"#;

#[tokio::test]
async fn a_hand_written_door_that_was_not_cleared_answers_500_and_never_runs_its_body() {
    let axum = start_axum().await;
    let actix = start_actix();
    for addr in [axum, actix] {
        for (path, authorization) in [
            ("/guarded", Some("Test 3")),
            ("/public", None),
            ("/public", Some("Test 3")),
            ("/skipping", Some("Test 3 export")),
        ] {
            let response = get(addr, path, authorization).await;
            assert_eq!(
                (response.status, response.body.as_str()),
                (500, SERVER_ERROR),
                "{path} {authorization:?}"
            );
            assert_eq!(response.header("www-authenticate"), None);
        }
        // 401 still comes first: the mount authenticates before the handler.
        assert_eq!(get(addr, "/guarded", None).await.status, 401);
        // The careful door works, with its gate.
        let admin = get(addr, "/careful", Some("Test 3")).await;
        assert_eq!((admin.status, admin.body.as_str()), (200, "admin 3"));
        assert_eq!(get(addr, "/careful", Some("Test 1")).await.status, 403);
    }
    assert_eq!(DOOR_BODIES.get(), 0, "no body ran without a clearance");
    assert_eq!(HAND_WRITTEN_BODIES.get(), 2);
}

// ---- other ways to a `Guarded` with a value: findings ------------------------------
//
// The public ways to a `Guarded` are `Guarded::new` (a `Clearance`), `From<Refusal>`
// and `Gatekeeper::deny` (both denials). `Guarded::map`, which turned any cleared
// output into an output of anything, is gone since main's 54dbc8c. What is left:
// the record a clearance asks for can be any registered one, read back from the
// inventory (`inventory::handlers`, `Matrix::handlers`, `Registration::info`).

/// A `#[public]` handler any crate may have.
#[public]
async fn health() -> &'static str {
    "ok"
}
