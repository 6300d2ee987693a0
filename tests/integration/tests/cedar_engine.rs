//! The Cedar engine behind `#[requires]`, over real HTTP (axum on loopback):
//! the same handlers as with a Rust policy, the answers of the policy set in
//! `tests/integration/fixtures/cedar/`, failing closed when Cedar cannot answer, and the
//! determining policies in the audit events.
#![allow(clippy::expect_used, clippy::panic)]

mod cedar_support;

use std::sync::Arc;

use auth_core::axum::{SecureRouter, delete, get, put};
use auth_core::cedar::{Cedar, CedarEntity, CedarFile, Record};
use auth_core::engine::Page;
use auth_core::load::{Load, LoadError};
use auth_core::{
    AuthError, Authenticated, Loaded, Outcome, SharedAuthenticator, authenticate, requires,
};
use auth_tests::{TestAuthenticator, User, audit, block_on, request_as};
use axum::extract::{FromRef, State};
use cedar_support::{Doc, EditDoc, Engines, Member, PurgeDoc, ReadDoc, docs_cedar, overflow_cedar};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct App {
    engines: Engines,
    docs: Vec<Doc>,
}

#[derive(Clone)]
pub struct AppState(Arc<App>);

impl FromRef<AppState> for SharedAuthenticator<User> {
    fn from_ref(_: &AppState) -> Self {
        SharedAuthenticator::new(TestAuthenticator::default())
    }
}

impl Load for Doc {
    type Key = i64;
    type Source = AppState;

    async fn load(id: &i64, app: &AppState) -> Result<Option<Doc>, LoadError> {
        Ok(app.0.docs.iter().find(|doc| doc.id == *id).cloned())
    }
}

#[requires(ReadDoc(doc), state = app.0.engines)]
async fn read(_user: Authenticated<User>, State(app): State<AppState>, doc: Loaded<Doc>) -> String {
    doc.title.clone()
}

#[requires(EditDoc(doc), state = app.0.engines)]
async fn edit(_user: Authenticated<User>, State(app): State<AppState>, doc: Loaded<Doc>) -> String {
    format!("edited {}", doc.id)
}

#[requires(PurgeDoc(doc), state = app.0.engines)]
async fn purge(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    doc: Loaded<Doc>,
) -> String {
    format!("purged {}", doc.id)
}

/// The documents the caller may read: one query through Cedar's residual,
/// each row admitted against it again.
#[requires(authenticated)]
async fn list(user: Authenticated<User>, State(app): State<AppState>) -> Result<String, AuthError> {
    let permit = user
        .authorize_page::<ReadDoc, Doc>(&app.0.engines, Page::first(100))
        .await?;
    let rows = permit.filter().apply(app.0.docs.iter().cloned());
    let ids: Vec<String> = permit
        .admit_all(rows)?
        .iter()
        .map(|doc| doc.id.to_string())
        .collect();
    Ok(ids.join(","))
}

fn doc(id: i64, owner_id: i64, public: bool, level: i64) -> Doc {
    Doc {
        id,
        owner_id,
        public,
        level,
        title: format!("doc {id}"),
    }
}

fn docs() -> Vec<Doc> {
    vec![
        doc(10, 1, false, 0), // user 1's
        doc(11, 2, false, 0), // user 2's
        doc(12, 2, true, 0),  // user 2's, public
        doc(13, 1, false, 3), // user 1's, classified
        doc(14, 1, false, 2), // user 1's, level 2: the overflowing forbid errors
    ]
}

fn engines() -> Engines {
    Engines {
        docs: docs_cedar(),
        overflow: overflow_cedar(),
    }
}

/// Serves the router on a loopback port; returns its address.
async fn serve() -> std::net::SocketAddr {
    let app = AppState(Arc::new(App {
        engines: engines(),
        docs: docs(),
    }));
    let router = SecureRouter::new()
        .route("/docs", get(list))
        .route("/docs/{id}", get(read))
        .route("/docs/{id}", put(edit))
        .route("/docs/{id}", delete(purge))
        .with_state::<()>(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// One HTTP/1.1 request; the status code.
async fn status(addr: std::net::SocketAddr, method: &str, path: &str, credential: &str) -> u16 {
    exchange(addr, method, path, credential).await.0
}

/// One HTTP/1.1 request; the status code and the body.
async fn exchange(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    credential: &str,
) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {credential}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let code = response
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (code, body)
}

/// The list over HTTP is exactly the documents the single-object rule lets the
/// caller read.
#[tokio::test]
async fn a_list_is_the_documents_each_single_read_allows() {
    let addr = serve().await;
    for credential in ["Test 1", "Test 2", "Test 3"] {
        let (code, body) = exchange(addr, "GET", "/docs", credential).await;
        assert_eq!(code, 200, "{credential}: {body}");
        let mut readable = Vec::new();
        for doc in docs() {
            if status(addr, "GET", &format!("/docs/{}", doc.id), credential).await == 200 {
                readable.push(doc.id.to_string());
            }
        }
        assert_eq!(body, readable.join(","), "{credential}");
    }
    let (_, customer) = exchange(addr, "GET", "/docs", "Test 1").await;
    assert_eq!(customer, "10,12,14");
}

#[tokio::test]
async fn reads_follow_the_policy_set_over_http() {
    let addr = serve().await;
    // user 1 (customer), user 2 (customer), user 3 (admin)
    assert_eq!(
        status(addr, "GET", "/docs/10", "Test 1").await,
        200,
        "owner"
    );
    assert_eq!(
        status(addr, "GET", "/docs/11", "Test 1").await,
        403,
        "another's private doc"
    );
    assert_eq!(
        status(addr, "GET", "/docs/12", "Test 1").await,
        200,
        "another's public doc"
    );
    assert_eq!(
        status(addr, "GET", "/docs/13", "Test 1").await,
        403,
        "classified, even for its owner"
    );
    assert_eq!(
        status(addr, "GET", "/docs/13", "Test 3").await,
        200,
        "classified, for an admin"
    );
    assert_eq!(
        status(addr, "GET", "/docs/11", "Test 3").await,
        200,
        "admin reads any doc"
    );
    assert_eq!(
        status(addr, "GET", "/docs/99", "Test 1").await,
        404,
        "no such doc: the loader"
    );
    assert_eq!(
        status(addr, "GET", "/docs/10", "Test 9").await,
        401,
        "unknown user"
    );
}

#[tokio::test]
async fn an_edit_needs_the_context_the_forbid_asks_for() {
    let addr = serve().await;
    assert_eq!(
        status(addr, "PUT", "/docs/10", "Test 1").await,
        403,
        "no second factor"
    );
    assert_eq!(
        status(addr, "PUT", "/docs/10", "Test 1 mfa").await,
        200,
        "owner, with mfa"
    );
    assert_eq!(
        status(addr, "PUT", "/docs/11", "Test 1 mfa").await,
        403,
        "not the owner"
    );
}

/// A `forbid` that errors (Long overflow at level 2): Cedar alone skips it and
/// allows the owner; the engine answers 503. The same forbid without an error
/// (level 0) does not hold, and the owner purges.
#[tokio::test]
async fn a_forbid_that_errors_fails_closed() {
    let addr = serve().await;
    assert_eq!(
        status(addr, "DELETE", "/docs/14", "Test 1").await,
        503,
        "erroring forbid"
    );
    assert_eq!(
        status(addr, "DELETE", "/docs/10", "Test 1").await,
        200,
        "no error"
    );
    // Not the owner: no permit holds, so the erroring forbid cannot change the
    // answer, a plain deny.
    let cedar = overflow_cedar();
    let stranger = User {
        id: 2,
        roles: vec!["customer"],
        permissions: vec![],
    };
    let decision = cedar.decide(
        &Member(&stranger),
        PurgeDoc,
        &doc(14, 1, false, 2),
        &Record::new(),
    );
    assert_eq!(decision.outcome(), Outcome::Deny);
}

/// A document whose `level` is a string.
struct Sloppy;
impl CedarEntity for Sloppy {
    const TYPE: &'static str = "Docs::Doc";
    fn cedar_id(&self) -> String {
        "1".to_owned()
    }
    fn attributes(&self, record: &mut Record) {
        record
            .long("owner_id", 1)
            .bool("public", true)
            .string("level", "high")
            .string("title", "t");
    }
}

/// A type the schema does not have.
struct Stranger;
impl CedarEntity for Stranger {
    const TYPE: &'static str = "Docs::Folder";
    fn cedar_id(&self) -> String {
        "1".to_owned()
    }
    fn attributes(&self, _: &mut Record) {}
}

/// An action the schema does not declare.
#[derive(auth_core::Action)]
#[action(name = "doc.print")]
struct Print;

#[test]
fn an_entity_or_context_the_schema_refuses_is_unavailable() {
    let cedar = docs_cedar();
    let user = User {
        id: 1,
        roles: vec!["customer"],
        permissions: vec![],
    };
    // No `mfa` in the context the schema requires.
    let decision = cedar.decide(
        &Member(&user),
        ReadDoc,
        &doc(10, 1, false, 0),
        &Record::new(),
    );
    assert_eq!(decision.outcome(), Outcome::Unavailable);
    // `level` as a string.
    let mut context = Record::new();
    context.bool("mfa", true);
    let decision = cedar.decide(&Member(&user), ReadDoc, &Sloppy, &context);
    assert_eq!(decision.outcome(), Outcome::Unavailable);
    // A type the schema does not have.
    let decision = cedar.decide(&Member(&user), ReadDoc, &Stranger, &context);
    assert_eq!(decision.outcome(), Outcome::Unavailable);
    // An action the schema does not declare.
    let decision = cedar.decide(&Member(&user), Print, &doc(10, 1, false, 0), &context);
    assert_eq!(decision.outcome(), Outcome::Unavailable);
    // And the well-formed request is allowed.
    let decision = cedar.decide(&Member(&user), ReadDoc, &doc(10, 1, false, 0), &context);
    assert!(decision.is_allowed());
}

/// Each decision's audit event names the determining policies: the permits of
/// an allow, the forbids of a deny, none for a default deny.
#[test]
fn the_audit_event_names_the_determining_policies() {
    let engines = engines();
    let sign_in = |credential: &str| {
        let (id, scopes) = credential.split_once(' ').unwrap_or((credential, ""));
        block_on(authenticate(
            &TestAuthenticator::default(),
            &request_as(id.parse().expect("id"), scopes),
        ))
        .expect("signed in")
    };
    let user = sign_in("1");
    let admin = sign_in("3");
    let cases: [(&Authenticated<User>, Doc, &str, &str, &str); 4] = [
        (
            &user,
            doc(10, 1, false, 0),
            "allow",
            "cedar: permitted by owner",
            "owner",
        ),
        (
            &user,
            doc(13, 1, false, 3),
            "deny",
            "cedar: forbidden by classified",
            "classified",
        ),
        (
            &user,
            doc(11, 2, false, 0),
            "deny",
            "cedar: no policy permits (default deny)",
            "",
        ),
        (
            &admin,
            doc(12, 2, true, 0),
            "allow",
            "cedar: permitted by admin, public-read",
            "admin, public-read",
        ),
    ];
    for (principal, doc, decision, reason, evidence) in cases {
        let ((), events) = audit::capture(|| {
            let _ = principal.authorize_with::<ReadDoc, _>(doc, &engines);
        });
        let event = events.last().expect("an audit event");
        assert_eq!(
            event.get("decision").map(String::as_str),
            Some(decision),
            "{event:?}"
        );
        assert_eq!(
            event.get("reason").map(String::as_str),
            Some(reason),
            "{event:?}"
        );
        assert_eq!(
            event.get("action").map(String::as_str),
            Some("doc.read"),
            "{event:?}"
        );
        assert_eq!(
            event.get("engine").map(String::as_str),
            Some("cedar"),
            "{event:?}"
        );
        assert_eq!(
            event.get("evidence").map(String::as_str),
            Some(evidence),
            "{event:?}"
        );
    }
}

/// An erroring forbid is audited as unavailable with the erring policy; a list
/// once, with the policies its filter comes from.
#[test]
fn the_audit_event_names_erring_policies_and_a_lists_policies() {
    let engines = engines();
    let sign_in = |credential: &str| {
        let (id, scopes) = credential.split_once(' ').unwrap_or((credential, ""));
        block_on(authenticate(
            &TestAuthenticator::default(),
            &request_as(id.parse().expect("id"), scopes),
        ))
        .expect("signed in")
    };
    let user = sign_in("1");
    // An erroring forbid: unavailable, the erring policy as evidence.
    let ((), events) = audit::capture(|| {
        let _ = user.authorize_with::<PurgeDoc, _>(doc(14, 1, false, 2), &engines);
    });
    let event = events.last().expect("an audit event");
    assert_eq!(
        event.get("decision").map(String::as_str),
        Some("unavailable"),
        "{event:?}"
    );
    assert_eq!(
        event.get("evidence").map(String::as_str),
        Some("errors: overflowing-forbid"),
        "{event:?}"
    );
    // A list: audited once, with the policies its filter comes from.
    let ((), events) = audit::capture(|| {
        block_on(user.authorize_page::<ReadDoc, Doc>(&engines, Page::first(10)))
            .map(|_| ())
            .expect("a list");
    });
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(
        event.get("engine").map(String::as_str),
        Some("cedar"),
        "{event:?}"
    );
    assert_eq!(
        event.get("evidence").map(String::as_str),
        Some("classified, owner, public-read"),
        "{event:?}"
    );
}

/// Sources compiled into the binary load as files do.
#[test]
fn policies_load_from_sources_too() {
    let cedar = Cedar::load(
        CedarFile::new("docs.cedar", include_str!("../fixtures/cedar/docs.cedar")),
        CedarFile::new(
            "docs.cedarschema",
            include_str!("../fixtures/cedar/docs.cedarschema"),
        ),
    )
    .expect("loads");
    assert_eq!(
        cedar.policy_ids(),
        [
            "admin",
            "classified",
            "edit-needs-mfa",
            "owner",
            "public-read"
        ]
    );
}
