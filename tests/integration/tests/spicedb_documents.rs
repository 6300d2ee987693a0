//! SpiceDB behind `#[requires]`, over real HTTP (axum, loopback), against a real
//! SpiceDB (the sidecar of `tests/spicedb-sidecar/`): the handlers say
//! `#[requires(View(doc), state = docs)]` as they would for a Rust policy; the
//! policies ask SpiceDB through `auth_core::spicedb::SpiceDb`.
//!
//! Allow, 403 and 404 (the policy hides a document the caller cannot see);
//! sharing and unsharing take effect on the next request (the write's ZedToken
//! is stored with the row and the check asks to be at least as fresh); a
//! SpiceDB that dies mid-test is a 503 with no allow, then recovery; a hung one
//! is a 503 within the timeout; the ZedToken is in the audit event; and the memo
//! asks SpiceDB once per request for the same (subject, permission, resource).
//!
//! Outside CI these skip (with a printed reason) when `node` or the sidecar's
//! packages are missing; under `CI=true` they run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth_core::engine::{ListPolicy, Listing, Page};
use auth_core::filter::Field;
use auth_core::spicedb::{
    Consistency, ObjectRef, Relationship, RelationshipFilter, RelationshipUpdate, SpiceDb,
    SpiceObject, ZedToken,
};
use auth_core::{
    Action, AsyncPolicy, AuthError, Authenticated, Authenticator, Decision, Identity, Load,
    LoadError, Loaded, Mechanism, Resource, SharedAuthenticator, TokenError, requires,
};
use auth_integration::client::{self, Response};
use auth_integration::spicedb_server::{KEY, SpiceDbServer};
use auth_tests::audit::{Record, capture};
use axum::extract::{FromRef, FromRequestParts};
use http::request::Parts;

/// The schema a user writes (`schema.zed`): documents with owners, editors and
/// viewers, who may be users or the members of a team.
const SCHEMA: &str = "definition user {}

definition team {
    relation member: user
}

definition document {
    relation owner: user
    relation editor: user | team#member
    relation viewer: user | team#member
    permission edit = owner + editor
    permission view = edit + viewer
}
";

/// The principal: `Authorization: Bearer <name>`.
#[derive(Debug, Clone)]
struct Member {
    name: String,
}

impl SpiceObject for Member {
    const TYPE: &'static str = "user";
    fn object_id(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.name)
    }
}

struct BearerName;

impl Authenticator for BearerName {
    type User = Member;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<Member>, AuthError> {
        let name = request
            .headers
            .get(http::header::AUTHORIZATION)
            .ok_or(AuthError::MissingCredentials)?
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(AuthError::InvalidToken(TokenError::Malformed))?;
        let member = Member {
            name: name.to_owned(),
        };
        Ok(Identity::new(member, name, Mechanism::BearerToken))
    }
}

/// A document row: its id, title, and the ZedToken of the last relationship
/// write about it (stored with the row).
#[derive(Debug, Clone)]
struct Document {
    id: i64,
    title: String,
    zedtoken: Option<ZedToken>,
}

impl Resource for Document {
    const KIND: &'static str = "document";
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

impl SpiceObject for Document {
    const TYPE: &'static str = "document";
    fn object_id(&self) -> Cow<'_, str> {
        Cow::Owned(self.id.to_string())
    }
}

impl Document {
    /// Checks on this row are at least as fresh as its last relationship write.
    fn consistency(&self) -> Consistency {
        Consistency::from(self.zedtoken.clone())
    }
}

/// The rows (SQLite in a real service) and the SpiceDB clients: the policies'
/// (the timeout under test) and the writes' (generous: nine sidecars start at
/// once on a small machine).
struct Store {
    spicedb: SpiceDb,
    writer: SpiceDb,
    rows: Mutex<BTreeMap<i64, Document>>,
}

impl Store {
    fn reference(id: i64) -> ObjectRef {
        ObjectRef::new("document", id.to_string()).unwrap()
    }

    /// A new document owned by `owner`: the row, and its relationship.
    async fn create(&self, id: i64, title: &str, owner: &str) {
        let owner = ObjectRef::new("user", owner.to_owned()).unwrap();
        let token = self
            .writer
            .write_relationships([RelationshipUpdate::touch(
                Relationship::new(Self::reference(id), "owner", owner).unwrap(),
            )])
            .await
            .unwrap();
        let row = Document {
            id,
            title: title.to_owned(),
            zedtoken: Some(token),
        };
        self.rows.lock().unwrap().insert(id, row);
    }

    /// Shares `id` with `user` through `relation`; the row keeps the token.
    async fn share(&self, id: i64, relation: &'static str, user: &str) -> ZedToken {
        let user = ObjectRef::new("user", user.to_owned()).unwrap();
        let token = self
            .writer
            .write_relationships([RelationshipUpdate::touch(
                Relationship::new(Self::reference(id), relation, user).unwrap(),
            )])
            .await
            .unwrap();
        self.keep(id, &token);
        token
    }

    /// Takes back every relation `user` has on `id`; the row keeps the token.
    async fn unshare(&self, id: i64, user: &str) -> ZedToken {
        let user = ObjectRef::new("user", user.to_owned()).unwrap();
        let filter = RelationshipFilter::on(&Self::reference(id)).subject(&user.into());
        let token = self.writer.delete_relationships(&filter).await.unwrap();
        self.keep(id, &token);
        token
    }

    fn keep(&self, id: i64, token: &ZedToken) {
        if let Some(row) = self.rows.lock().unwrap().get_mut(&id) {
            row.zedtoken = Some(token.clone());
        }
    }
}

impl Load for Document {
    type Key = i64;
    type Source = Arc<Store>;

    async fn load(id: &i64, store: &Arc<Store>) -> Result<Option<Document>, LoadError> {
        Ok(store.rows.lock().unwrap().get(id).cloned())
    }
}

/// What the policies read: the store, as a handler parameter.
struct Docs(Arc<Store>);

#[derive(Action)]
struct View;
#[derive(Action)]
struct Edit;

/// View: SpiceDB's `view`; a document the caller cannot see is hidden (404).
impl AsyncPolicy<Document> for View {
    type Principal = Member;
    type State = Docs;
    const MEMO: bool = true;

    async fn decide(user: &Authenticated<Member>, doc: &Document, docs: &Docs) -> Decision {
        let spicedb = &docs.0.spicedb;
        match spicedb
            .check_permission(&**user, "view", doc, doc.consistency())
            .await
        {
            Ok(view) => view.decision_or_not_found(),
            Err(error) => error.decision(),
        }
    }
}

/// Edit: SpiceDB's `edit`; a viewer who may not edit is refused (403), anyone
/// else does not learn the document exists (404).
impl AsyncPolicy<Document> for Edit {
    type Principal = Member;
    type State = Docs;
    const MEMO: bool = true;

    async fn decide(user: &Authenticated<Member>, doc: &Document, docs: &Docs) -> Decision {
        let spicedb = &docs.0.spicedb;
        match spicedb
            .check_permission(&**user, "edit", doc, doc.consistency())
            .await
        {
            Ok(edit) if edit.is_allowed() => edit.decision(),
            Ok(_) => match spicedb
                .check_permission(&**user, "view", doc, doc.consistency())
                .await
            {
                Ok(view) if view.is_allowed() => Decision::deny("spicedb: a viewer, not an editor")
                    .with_evidence(view.evidence()),
                Ok(view) => view.decision_or_not_found(),
                Err(error) => error.decision(),
            },
            Err(error) => error.decision(),
        }
    }
}

const ID: Field<Document, i64> = Field::int("id", |doc| doc.id);

/// The documents the caller may view: a page of `LookupResources`, as a filter
/// on the rows' ids. Ids that are not this service's (not integers) select
/// nothing.
impl ListPolicy<Document> for View {
    async fn list(
        user: &Authenticated<Member>,
        docs: &Docs,
        page: Page<'_>,
    ) -> Result<Listing<Document>, Decision> {
        let found = docs
            .0
            .spicedb
            .lookup::<Document, _>(&**user, "view", page, Consistency::client_default())
            .await
            .map_err(|error| error.decision())?;
        Ok(found.into_listing(|ids| ID.one_of(ids.iter().filter_map(|id| id.parse().ok()))))
    }
}

#[derive(Clone)]
struct App {
    auth: SharedAuthenticator<Member>,
    store: Arc<Store>,
}

impl FromRef<App> for SharedAuthenticator<Member> {
    fn from_ref(app: &App) -> Self {
        app.auth.clone()
    }
}

impl FromRef<App> for Arc<Store> {
    fn from_ref(app: &App) -> Self {
        Arc::clone(&app.store)
    }
}

impl FromRequestParts<App> for Docs {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(_: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(Docs(Arc::clone(&app.store)))
    }
}

#[requires(View(doc), state = docs)]
async fn read(_user: Authenticated<Member>, docs: Docs, doc: Loaded<Document>) -> String {
    doc.title.clone()
}

#[requires(Edit(doc), state = docs)]
async fn edit(_user: Authenticated<Member>, docs: Docs, doc: Loaded<Document>) -> String {
    format!("edited {}", doc.title)
}

/// Asks the `View` policy again in the body, for the same document: the memo
/// answers, SpiceDB is not asked twice.
#[requires(View(doc), state = docs)]
async fn read_twice(user: Authenticated<Member>, docs: Docs, doc: Loaded<Document>) -> String {
    let again = user
        .authorize_async::<View, Document>(doc.resource().clone(), &docs)
        .await;
    format!("{} {}", doc.title, again.is_ok())
}

/// `GET /docs/page/{limit}` (the cursor in `x-cursor`): the documents the caller
/// may view, one page; the body is `<ids>\n<next cursor>`. The "query" selects
/// only the rows of the page's filter (`WHERE id IN (..)`), and each becomes a
/// permit.
#[requires(authenticated)]
async fn list(
    user: Authenticated<Member>,
    docs: Docs,
    axum::extract::Path(limit): axum::extract::Path<u32>,
    headers: http::HeaderMap,
) -> Result<String, AuthError> {
    let cursor = headers
        .get("x-cursor")
        .and_then(|value| value.to_str().ok());
    let page = user
        .authorize_page::<View, Document>(&docs, Page::from_cursor(cursor, limit))
        .await?;
    let rows: Vec<Document> = docs
        .0
        .rows
        .lock()
        .unwrap()
        .values()
        .filter(|row| page.filter().matches(row))
        .cloned()
        .collect();
    let mut ids = Vec::new();
    for row in rows {
        ids.push(page.admit(row)?.id.to_string());
    }
    Ok(format!(
        "{}\n{}",
        ids.join(","),
        page.next_cursor().unwrap_or_default()
    ))
}

/// One service: the sidecar, the store (alice owns document 1, "plans"), and
/// axum on loopback, on a runtime of the test's own thread (so the audit events
/// of its requests are captured on that thread).
struct Service {
    runtime: tokio::runtime::Runtime,
    addr: SocketAddr,
    store: Arc<Store>,
    sidecar: SpiceDbServer,
}

impl Service {
    fn start() -> Option<Self> {
        Self::start_with(|builder| builder)
    }

    fn start_with(
        configure: impl FnOnce(auth_core::spicedb::SpiceDbBuilder) -> auth_core::spicedb::SpiceDbBuilder,
    ) -> Option<Self> {
        let sidecar = SpiceDbServer::start()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (addr, store) = runtime.block_on(async {
            let spicedb = configure(
                SpiceDb::builder(sidecar.endpoint(), KEY).timeout(Duration::from_secs(2)),
            )
            .build()
            .unwrap();
            let writer = SpiceDb::builder(sidecar.endpoint(), KEY)
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            writer.write_schema(SCHEMA).await.unwrap();
            let store = Arc::new(Store {
                spicedb,
                writer,
                rows: Mutex::default(),
            });
            store.create(1, "plans", "alice").await;
            let app = App {
                auth: SharedAuthenticator::new(BearerName).with_realm("docs"),
                store: Arc::clone(&store),
            };
            let router: axum::Router = auth_core::axum::SecureRouter::new()
                .route("/docs/{id}", auth_core::axum::get(read))
                .route("/docs/{id}/edit", auth_core::axum::post(edit))
                .route("/docs/{id}/twice", auth_core::axum::get(read_twice))
                .route("/docs/page/{limit}", auth_core::axum::get(list))
                .with_state(app);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, router).await });
            (addr, store)
        });
        Some(Service {
            runtime,
            addr,
            store,
            sidecar,
        })
    }

    /// `method path` as `who`; the response and the audit events it caused.
    fn send(&self, method: &str, path: &str, who: &str) -> (Response, Vec<Record>) {
        let request = client::Request {
            method,
            path,
            bearer: Some(who),
            ..client::Request::default()
        };
        capture(|| self.runtime.block_on(client::send(self.addr, request)))
    }

    fn status(&self, method: &str, path: &str, who: &str) -> u16 {
        self.send(method, path, who).0.status
    }
}

fn decisions(events: &[Record]) -> Vec<&Record> {
    events
        .iter()
        .filter(|event| event.contains_key("action"))
        .collect()
}

#[test]
fn allow_deny_and_hidden_through_requires() {
    let Some(service) = Service::start() else {
        return;
    };
    service
        .runtime
        .block_on(service.store.share(1, "viewer", "bob"));

    // The owner reads and edits.
    let (response, _) = service.send("GET", "/docs/1", "alice");
    assert_eq!((response.status, response.body.as_str()), (200, "plans"));
    assert_eq!(service.status("POST", "/docs/1/edit", "alice"), 200);
    // A viewer reads, and may not edit: 403.
    assert_eq!(service.status("GET", "/docs/1", "bob"), 200);
    assert_eq!(service.status("POST", "/docs/1/edit", "bob"), 403);
    // Someone with no relation learns nothing: 404 for both.
    assert_eq!(service.status("GET", "/docs/1", "carol"), 404);
    assert_eq!(service.status("POST", "/docs/1/edit", "carol"), 404);
    // No such row: 404 from the loader, SpiceDB not asked.
    let before = service.sidecar.calls("CheckPermission");
    assert_eq!(service.status("GET", "/docs/99", "alice"), 404);
    assert_eq!(service.sidecar.calls("CheckPermission"), before);
    // An id SpiceDB cannot name is never sent: 503, not a guess.
    let (response, _) = service.send("GET", "/docs/1", "eve*");
    assert_eq!(response.status, 503, "{response:?}");
}

#[test]
fn sharing_and_unsharing_take_effect_on_the_next_request() {
    let Some(service) = Service::start() else {
        return;
    };
    assert_eq!(service.status("GET", "/docs/1", "bob"), 404);

    let shared = service
        .runtime
        .block_on(service.store.share(1, "editor", "bob"));
    assert_eq!(service.status("GET", "/docs/1", "bob"), 200);
    assert_eq!(service.status("POST", "/docs/1/edit", "bob"), 200);

    let unshared = service.runtime.block_on(service.store.unshare(1, "bob"));
    assert_ne!(shared, unshared, "each write has its own revision");
    assert_eq!(service.status("GET", "/docs/1", "bob"), 404);
    assert_eq!(service.status("POST", "/docs/1/edit", "bob"), 404);
    // The owner is untouched by bob's unsharing.
    assert_eq!(service.status("POST", "/docs/1/edit", "alice"), 200);
}

/// The new-enemy problem, at the client: a check at least as fresh as a write
/// sees the write, and the answer carries the revision it was computed at.
#[test]
fn a_check_at_least_as_fresh_as_a_write_sees_it() {
    let Some(service) = Service::start() else {
        return;
    };
    service.runtime.block_on(async {
        let spicedb = &service.store.spicedb;
        let bob = Member { name: "bob".into() };
        let doc = service.store.rows.lock().unwrap()[&1].clone();
        for round in 0..5 {
            let token = service.store.share(1, "viewer", "bob").await;
            let checked = spicedb
                .check_permission(
                    &bob,
                    "view",
                    &doc,
                    Consistency::at_least_as_fresh(token.clone()),
                )
                .await
                .unwrap();
            assert!(checked.is_allowed(), "round {round}: the share is seen");
            let token = service.store.unshare(1, "bob").await;
            let checked = spicedb
                .check_permission(&bob, "view", &doc, Consistency::at_least_as_fresh(token))
                .await
                .unwrap();
            assert!(!checked.is_allowed(), "round {round}: the unshare is seen");
            assert!(!checked.checked_at().as_str().is_empty());
        }
    });
}

#[test]
fn an_outage_is_a_503_with_no_allow_then_recovery() {
    let Some(mut service) = Service::start() else {
        return;
    };
    assert_eq!(service.status("GET", "/docs/1", "alice"), 200);

    service.sidecar.kill();
    for path in ["/docs/1", "/docs/1/twice"] {
        let (response, events) = service.send("GET", path, "alice");
        assert_eq!(response.status, 503, "{response:?}");
        assert_eq!(response.header("retry-after"), Some("1"), "{response:?}");
        let refusals = decisions(&events);
        assert!(!refusals.is_empty(), "the refusal is audited");
        assert!(
            refusals
                .iter()
                .all(|event| event["decision"] == "unavailable"),
            "no allow while SpiceDB is down: {refusals:?}"
        );
    }
    let (response, _) = service.send("POST", "/docs/1/edit", "alice");
    assert_eq!(response.status, 503);

    // SpiceDB comes back (empty, as an in-memory one does): the same client
    // reconnects on its own; the service answers again once its data is back.
    service.sidecar.spawn();
    service.runtime.block_on(async {
        service.store.writer.write_schema(SCHEMA).await.unwrap();
        service.store.create(1, "plans", "alice").await;
    });
    assert_eq!(service.status("GET", "/docs/1", "alice"), 200);
    assert_eq!(service.status("GET", "/docs/1", "bob"), 404);
}

#[test]
fn a_hung_spicedb_is_a_503_within_the_timeout() {
    let Some(service) =
        Service::start_with(|builder| builder.timeout(Duration::from_millis(300)).retries(2))
    else {
        return;
    };
    assert_eq!(service.status("GET", "/docs/1", "alice"), 200);
    service.sidecar.signal("STOP");
    let started = Instant::now();
    let (response, events) = service.send("GET", "/docs/1", "alice");
    let took = started.elapsed();
    service.sidecar.signal("CONT");
    assert_eq!(response.status, 503, "{response:?}");
    assert!(
        decisions(&events)
            .iter()
            .all(|event| event["decision"] == "unavailable"),
        "{events:?}"
    );
    // A timeout is not retried: one bound, not three.
    assert!(took < Duration::from_millis(900), "took {took:?}");
    assert_eq!(service.status("GET", "/docs/1", "alice"), 200);
}

#[test]
fn a_wrong_preshared_key_is_refused_by_spicedb_and_fails_closed() {
    let Some(service) = Service::start() else {
        return;
    };
    service.runtime.block_on(async {
        let stranger = SpiceDb::builder(service.sidecar.endpoint(), "not-the-key")
            .build()
            .unwrap();
        let alice = Member {
            name: "alice".into(),
        };
        let doc = service.store.rows.lock().unwrap()[&1].clone();
        let decision = stranger
            .check(&alice, "view", &doc, Consistency::fully_consistent())
            .await;
        assert!(decision.is_unavailable(), "{decision:?}");
        let error = stranger
            .check_permission(&alice, "view", &doc, Consistency::fully_consistent())
            .await
            .unwrap_err();
        assert!(error.to_string().contains("preshared key"), "{error}");
    });
}

#[test]
fn the_zedtoken_is_in_the_audit_event() {
    let Some(service) = Service::start() else {
        return;
    };
    let (response, events) = service.send("GET", "/docs/1", "alice");
    assert_eq!(response.status, 200);
    let allowed = decisions(&events);
    assert_eq!(allowed.len(), 1, "{events:?}");
    let event = allowed[0];
    assert_eq!(event["decision"], "allow");
    assert_eq!(event["resource"], "document:1");
    assert_eq!(event["reason"], "spicedb: has permission");
    assert_eq!(event["engine"], "spicedb");
    // The evidence is SpiceDB's own revision: a read can ask to be as fresh.
    let evidence = ZedToken::new(event["evidence"].clone());
    let alice = Member {
        name: "alice".into(),
    };
    let doc = service.store.rows.lock().unwrap()[&1].clone();
    let again = service
        .runtime
        .block_on(service.store.spicedb.check_permission(
            &alice,
            "view",
            &doc,
            Consistency::at_least_as_fresh(evidence),
        ));
    assert!(again.unwrap().is_allowed());

    let (response, events) = service.send("GET", "/docs/1", "carol");
    assert_eq!(response.status, 404);
    let hidden = decisions(&events);
    assert_eq!(hidden[0]["decision"], "not_found");
    assert_eq!(hidden[0]["engine"], "spicedb");
    assert!(!hidden[0]["evidence"].is_empty(), "{hidden:?}");

    // An outage has no evidence: SpiceDB did not answer.
    let mut service = service;
    service.sidecar.kill();
    let (response, events) = service.send("GET", "/docs/1", "alice");
    assert_eq!(response.status, 503);
    let refused = decisions(&events);
    assert_eq!(refused[0]["decision"], "unavailable");
    assert!(!refused[0].contains_key("evidence"), "{refused:?}");
}

#[test]
fn the_memo_asks_spicedb_once_per_request_for_the_same_check() {
    let Some(service) = Service::start() else {
        return;
    };
    let before = service.sidecar.calls("CheckPermission");
    let (response, _) = service.send("GET", "/docs/1/twice", "alice");
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, "plans true")
    );
    assert_eq!(
        service.sidecar.calls("CheckPermission") - before,
        1,
        "the gate asked, the body's second ask was answered by the memo"
    );
    // Never across requests: the next request asks again.
    let (response, _) = service.send("GET", "/docs/1/twice", "alice");
    assert_eq!(response.status, 200);
    assert_eq!(service.sidecar.calls("CheckPermission") - before, 2);
}

/// `GET /docs/page/{limit}` as `who`, following cursors: the pages' ids.
fn pages(service: &Service, who: &str, limit: u32) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut request = client::Request {
            method: "GET",
            path: &format!("/docs/page/{limit}"),
            bearer: Some(who),
            ..client::Request::default()
        };
        if !cursor.is_empty() {
            request.headers.push(("x-cursor", cursor.clone()));
        }
        let response = service
            .runtime
            .block_on(client::send(service.addr, request));
        assert_eq!(response.status, 200, "{response:?}");
        let (ids, next) = response.body.split_once('\n').unwrap();
        pages.push(
            ids.split(',')
                .filter(|id| !id.is_empty())
                .map(|id| id.parse().unwrap())
                .collect(),
        );
        if next.is_empty() {
            return pages;
        }
        next.clone_into(&mut cursor);
        assert!(pages.len() < 20, "the cursor ends");
    }
}

#[test]
fn a_list_through_lookup_resources_holds_exactly_what_the_caller_may_view() {
    let Some(service) = Service::start() else {
        return;
    };
    service.runtime.block_on(async {
        for id in 2..=9 {
            service
                .store
                .create(id, &format!("doc {id}"), "alice")
                .await;
        }
        for id in [2, 3, 5, 8] {
            service.store.share(id, "viewer", "bob").await;
        }
        service.store.share(9, "editor", "bob").await;
    });
    let mut listed: Vec<i64> = pages(&service, "bob", 2).concat();
    listed.sort_unstable();
    listed.dedup();
    let viewable: Vec<i64> = (1..=9)
        .filter(|id| service.status("GET", &format!("/docs/{id}"), "bob") == 200)
        .collect();
    assert_eq!(listed, viewable);
    assert_eq!(listed, [2, 3, 5, 8, 9]);
    // Pages of 2: no page larger; the owner sees all nine, carol none.
    assert!(pages(&service, "bob", 2).iter().all(|page| page.len() <= 2));
    let mut all: Vec<i64> = pages(&service, "alice", 4).concat();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all, (1..=9).collect::<Vec<_>>());
    assert_eq!(pages(&service, "carol", 5), [Vec::<i64>::new()]);

    // The list's audit event carries SpiceDB's evidence.
    let (response, events) = service.send("GET", "/docs/page/50", "bob");
    assert_eq!(response.status, 200);
    let listing: Vec<&Record> = decisions(&events)
        .into_iter()
        .filter(|event| event["action"] == "view")
        .collect();
    assert_eq!(listing.len(), 1, "{events:?}");
    assert_eq!(listing[0]["resource"], "document:*");
    assert_eq!(listing[0]["engine"], "spicedb");

    // SpiceDB down: 503, nothing listed.
    let mut service = service;
    service.sidecar.kill();
    let (response, _) = service.send("GET", "/docs/page/50", "bob");
    assert_eq!(response.status, 503, "{response:?}");
}
