//! Item 11 of BENCHMARKS.md: policy engines side by side, in one run, for one
//! rule: *the owner or the editor of a document may edit it; admins may edit
//! every document*.
//!
//! - `engines/decide`: what a request pays for one decision, through the same
//!   call, `Authenticated::authorize_async::<A, Doc>(doc, &state)`, for the rule
//!   as a Rust `Policy`, as `auth_core::casbin` (a 21-line policy), as
//!   `auth_core::cedar` (three `permit`s; the entities built per decision), and
//!   as `auth_core::spicedb` (`CheckPermission` over loopback to the sidecar
//!   holding the 100 000-document world, fully consistent, then
//!   `minimize_latency`). Three principals: the owner (allow), an admin (allow),
//!   a stranger (deny). The sync engines' futures never wait and are polled once;
//!   SpiceDB's run on a current-thread tokio runtime.
//! - `engines/memo`: the second ask in one request of a `MEMO = true` policy
//!   (Cedar's and SpiceDB's): the first ask decides, every later one is a hit.
//! - `engines/list`: a page of 50 through `LookupResources`
//!   (`authorize_page::<A, Doc>(&spicedb, Page::first(50))`, then the 50 rows
//!   read from `SQLite` by the permit's filter and admitted). Its opposite, load
//!   all, is timed by hand (a few runs, printed): every document read from
//!   `SQLite`, then `CheckBulkPermissions` in batches of 1 000, the first 50
//!   allowed kept; and the same rows decided by the Rust policy
//!   (`filter_authorized`), the floor of that path.
//!
//! Without `node` or the sidecar's packages (`npm ci` in tests/spicedb-sidecar)
//! the SpiceDB parts are skipped with a printed reason.
//!
//! `cargo bench -p auth-bench --bench engines` (≈ 4 min; `ENGINES_DOCUMENTS`
//! sets the world's size, 100 000 by default). `CheckBulkPermissions` covers
//! the first `ENGINES_BULK_BATCHES` batches of 1 000 rows (1 by default; 100
//! for all 100 000 rows, 2–4 min a pass on the sidecar here), in
//! `ENGINES_BULK_RUNS` timed passes (3 by default), of which no new one starts
//! once `ENGINES_BULK_BUDGET` seconds would be exceeded (no limit by default).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use auth_core::casbin::{Casbin, CasbinResource, CasbinSubject, Object};
use auth_core::cedar::{Cedar, CedarEntity, CedarFile, Record};
use auth_core::engine::{ListPolicy, Listing, Page};
use auth_core::filter::{Field, SqlDialect, Value};
use auth_core::spicedb::{
    CheckItem, Consistency, ObjectRef, Relationship, RelationshipUpdate, SpiceDb, SpiceObject,
};
use auth_core::{
    Action, AsyncPolicy, AuthError, Authenticated, Authenticator, Decision, Identity, Mechanism,
    Permit, Policy, Resource,
};
use criterion::{Criterion, criterion_group, criterion_main};
use rusqlite::{Connection, params};
use tokio::runtime::Runtime;

#[path = "../src/poll.rs"]
mod poll;
#[allow(dead_code, reason = "the test helper's other methods (calls, signal)")]
#[path = "../../integration/src/spicedb_server.rs"]
mod spicedb_server;

use poll::poll_once;
use spicedb_server::{KEY, SpiceDbServer};

/// Documents in `SQLite` and in SpiceDB, unless `ENGINES_DOCUMENTS` says.
const DOCUMENTS: i64 = 100_000;
/// Users owning documents; document `i` is owned by `(i - 1) % OWNERS + 1`.
const OWNERS: i64 = 1_000;
/// The owner of document 1 (200 documents: 100 owned, 100 edited).
const OWNER: i64 = 1;
/// The admin.
const ADMIN: i64 = OWNERS + 1;
/// A user with no relation to any document.
const STRANGER: i64 = OWNERS + 2;
/// The page size of a list.
const PAGE: u32 = 50;
/// Relationships per `WriteRelationships`.
const WRITE_BATCH: usize = 1_000;
/// Items per `CheckBulkPermissions` on the load-all path.
const CHECK_BATCH: usize = 1_000;
/// Hand-timed runs of each load-all path.
const LOAD_ALL_RUNS: usize = 3;

fn owner_of(doc: i64) -> i64 {
    (doc - 1) % OWNERS + 1
}

fn editor_of(doc: i64) -> i64 {
    (doc + OWNERS / 2 - 1) % OWNERS + 1
}

// ---------------------------------------------------------------- the domain

/// A signed-in user; `admin` is a role the identity provider asserted.
#[derive(Debug, Clone, Copy)]
struct User {
    id: i64,
    admin: bool,
}

/// A document row: its id, its owner and its one editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Doc {
    id: i64,
    owner_id: i64,
    editor_id: i64,
}

impl Doc {
    fn new(id: i64) -> Self {
        Doc {
            id,
            owner_id: owner_of(id),
            editor_id: editor_of(id),
        }
    }
}

impl Resource for Doc {
    const KIND: &'static str = "document";
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

const ID: Field<Doc, i64> = Field::int("id", |doc| doc.id);

/// The rule as Rust.
#[derive(Action)]
#[action(name = "edit")]
struct EditRust;

impl Policy<Doc> for EditRust {
    type Principal = User;
    type State = ();
    fn decide(user: &Authenticated<User>, doc: &Doc, (): &()) -> Decision {
        Decision::allow_if(
            user.admin || doc.owner_id == user.id || doc.editor_id == user.id,
            "the owner, the editor or an admin",
            "neither the owner, the editor nor an admin",
        )
    }
}

// Casbin: `sub` is the verified subject (the user id), `obj` is `document:<id>`.
impl CasbinSubject for User {}
impl CasbinResource for Doc {
    const OBJECT: Object<Self> = Object::int("id", |doc| doc.id);
}

const CASBIN_MODEL: &str = "
[request_definition]
r = sub, obj, act
[policy_definition]
p = sub, obj, act
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub) && (r.obj == p.obj || p.obj == \"*\") && r.act == p.act
";

/// The owner's and the editor's line of documents 1 to 10, the admins' rule and
/// the admin's role: 22 lines (casbin scans its rules per request, so only a
/// few documents; item 5 shows how it grows).
fn casbin_policy() -> String {
    let mut policy = String::from("p, admin, *, edit\n");
    for id in 1..=10 {
        let doc = Doc::new(id);
        writeln!(policy, "p, {}, document:{id}, edit", doc.owner_id).expect("a line");
        writeln!(policy, "p, {}, document:{id}, edit", doc.editor_id).expect("a line");
    }
    writeln!(policy, "g, {ADMIN}, admin").expect("a line");
    policy
}

#[derive(Action)]
#[action(name = "edit")]
struct EditCasbin;

impl Policy<Doc> for EditCasbin {
    type Principal = User;
    type State = Casbin;
    fn decide(user: &Authenticated<User>, doc: &Doc, casbin: &Casbin) -> Decision {
        casbin.decide::<EditCasbin, _, _>(user, doc)
    }
}

// Cedar: the entities are built from the principal and the row per decision.
impl CedarEntity for User {
    const TYPE: &'static str = "Docs::User";
    fn cedar_id(&self) -> String {
        self.id.to_string()
    }
    fn attributes(&self, record: &mut Record) {
        record.long("id", self.id).bool("admin", self.admin);
    }
}

impl CedarEntity for Doc {
    const TYPE: &'static str = "Docs::Doc";
    fn cedar_id(&self) -> String {
        self.id.to_string()
    }
    fn attributes(&self, record: &mut Record) {
        record
            .long("owner_id", self.owner_id)
            .long("editor_id", self.editor_id);
    }
}

const CEDAR_POLICIES: &str = r#"
@id("owner-edits")
permit (principal, action == Docs::Action::"edit", resource)
when { resource.owner_id == principal.id };
@id("editor-edits")
permit (principal, action == Docs::Action::"edit", resource)
when { resource.editor_id == principal.id };
@id("admins-edit")
permit (principal, action == Docs::Action::"edit", resource)
when { principal.admin };
"#;

const CEDAR_SCHEMA: &str = r#"
namespace Docs {
    entity User { id: Long, admin: Bool };
    entity Doc { owner_id: Long, editor_id: Long };
    action "edit" appliesTo { principal: User, resource: Doc };
}
"#;

#[derive(Action)]
#[action(name = "edit")]
struct EditCedar;

impl Policy<Doc> for EditCedar {
    type Principal = User;
    type State = Cedar;
    fn decide(user: &Authenticated<User>, doc: &Doc, cedar: &Cedar) -> Decision {
        cedar.decide(&**user, EditCedar, doc, &Record::new())
    }
}

/// Cedar again, memoized.
#[derive(Action)]
#[action(name = "edit")]
struct EditCedarMemo;

impl Policy<Doc> for EditCedarMemo {
    type Principal = User;
    type State = Cedar;
    const MEMO: bool = true;
    fn decide(user: &Authenticated<User>, doc: &Doc, cedar: &Cedar) -> Decision {
        cedar.decide(&**user, EditCedarMemo, doc, &Record::new())
    }
}

// SpiceDB: the relationships hold the rule's data (owner, editor, the
// platform's admins); the row is not read.
const SPICEDB_SCHEMA: &str = "definition user {}

definition platform {
    relation admin: user
}

definition document {
    relation owner: user
    relation editor: user
    relation platform: platform
    permission edit = owner + editor + platform->admin
}
";

impl SpiceObject for User {
    const TYPE: &'static str = "user";
    fn object_id(&self) -> Cow<'_, str> {
        Cow::Owned(self.id.to_string())
    }
}

impl SpiceObject for Doc {
    const TYPE: &'static str = "document";
    fn object_id(&self) -> Cow<'_, str> {
        Cow::Owned(self.id.to_string())
    }
}

/// The client, and the consistency its policies ask at.
struct Spice {
    client: SpiceDb,
    consistency: Consistency,
}

#[derive(Action)]
#[action(name = "edit")]
struct EditSpice;

impl AsyncPolicy<Doc> for EditSpice {
    type Principal = User;
    type State = Spice;
    async fn decide(user: &Authenticated<User>, doc: &Doc, spice: &Spice) -> Decision {
        spice
            .client
            .check(&**user, "edit", doc, spice.consistency.clone())
            .await
    }
}

impl ListPolicy<Doc> for EditSpice {
    async fn list(
        user: &Authenticated<User>,
        spice: &Spice,
        page: Page<'_>,
    ) -> Result<Listing<Doc>, Decision> {
        let found = spice
            .client
            .lookup::<Doc, _>(&**user, "edit", page, spice.consistency.clone())
            .await
            .map_err(|error| error.decision())?;
        Ok(found.into_listing(|ids| ID.one_of(ids.iter().filter_map(|id| id.parse().ok()))))
    }
}

/// SpiceDB again, memoized.
#[derive(Action)]
#[action(name = "edit")]
struct EditSpiceMemo;

impl AsyncPolicy<Doc> for EditSpiceMemo {
    type Principal = User;
    type State = Spice;
    const MEMO: bool = true;
    async fn decide(user: &Authenticated<User>, doc: &Doc, spice: &Spice) -> Decision {
        spice
            .client
            .check(&**user, "edit", doc, spice.consistency.clone())
            .await
    }
}

// ---------------------------------------------------------------- principals

/// Hands out one fixed principal: the sanctioned way to an `Authenticated`
/// without the `testing` feature. Each call is a new request (a new memo).
struct Fixed(User);

impl Authenticator for Fixed {
    type User = User;
    async fn authenticate(&self, _: &http::request::Parts) -> Result<Identity<User>, AuthError> {
        Ok(Identity::new(
            self.0,
            self.0.id.to_string(),
            Mechanism::Test,
        ))
    }
}

fn principal(id: i64) -> Authenticated<User> {
    let (parts, ()) = http::Request::new(()).into_parts();
    let user = User {
        id,
        admin: id == ADMIN,
    };
    poll_once(auth_core::authenticate(&Fixed(user), &parts)).expect("authenticated")
}

// ---------------------------------------------------------------- the world

fn documents() -> i64 {
    std::env::var("ENGINES_DOCUMENTS")
        .ok()
        .map_or(DOCUMENTS, |n| {
            n.parse().expect("ENGINES_DOCUMENTS: a number")
        })
}

/// `documents(id, owner_id, editor_id)`, `n` rows, in a file under the target
/// directory, rebuilt every run (well under a second).
fn database(n: i64) -> Connection {
    let dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = dir.join("auth-bench-engines");
    std::fs::create_dir_all(&dir).expect("the bench's directory");
    let path = dir.join("documents.sqlite");
    let _ = std::fs::remove_file(&path);
    let mut conn = Connection::open(&path).expect("the database");
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE TABLE documents (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL,
                                 editor_id INTEGER NOT NULL);",
    )
    .expect("the schema");
    let tx = conn.transaction().expect("a transaction");
    {
        let mut insert = tx
            .prepare("INSERT INTO documents (id, owner_id, editor_id) VALUES (?, ?, ?)")
            .expect("the insert");
        for id in 1..=n {
            let doc = Doc::new(id);
            insert
                .execute(params![doc.id, doc.owner_id, doc.editor_id])
                .expect("a row");
        }
    }
    tx.commit().expect("commit");
    conn
}

fn doc_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Doc> {
    Ok(Doc {
        id: row.get(0)?,
        owner_id: row.get(1)?,
        editor_id: row.get(2)?,
    })
}

/// Every document, in id order.
fn load_all(conn: &Connection) -> Vec<Doc> {
    let mut statement = conn
        .prepare_cached("SELECT id, owner_id, editor_id FROM documents ORDER BY id")
        .expect("the statement");
    statement
        .query_map([], doc_from_row)
        .expect("the query")
        .collect::<rusqlite::Result<_>>()
        .expect("the rows")
}

/// The rows a list permit's filter selects.
fn rows_of(conn: &Connection, filter: &auth_core::filter::Filter<Doc>) -> Vec<Doc> {
    let (clause, values) = filter.to_sql(SqlDialect::Sqlite).into_parts();
    let bound: Vec<i64> = values
        .into_iter()
        .map(|value| match value {
            Value::Int(n) => n,
            other => panic!("a value this table does not have: {other:?}"),
        })
        .collect();
    let mut statement = conn
        .prepare(&format!(
            "SELECT id, owner_id, editor_id FROM documents WHERE {clause} ORDER BY id"
        ))
        .expect("the statement");
    statement
        .query_map(rusqlite::params_from_iter(bound), doc_from_row)
        .expect("the query")
        .collect::<rusqlite::Result<_>>()
        .expect("the rows")
}

/// Writes the world's relationships (owner, editor, platform of each
/// document; the admin) in batches; returns the last write's consistency.
fn fill_spicedb(runtime: &Runtime, writer: &SpiceDb, n: i64) -> Consistency {
    let started = Instant::now();
    let token = runtime.block_on(async {
        writer
            .write_schema(SPICEDB_SCHEMA)
            .await
            .expect("the schema");
        let user = |id: i64| ObjectRef::new("user", id.to_string()).expect("a user");
        let platform = ObjectRef::new("platform", "main").expect("the platform");
        let mut token = writer
            .write_relationships([RelationshipUpdate::touch(
                Relationship::new(platform.clone(), "admin", user(ADMIN)).expect("admin"),
            )])
            .await
            .expect("the admin");
        let mut batch = Vec::with_capacity(WRITE_BATCH);
        for id in 1..=n {
            let doc = Doc::new(id);
            let resource = ObjectRef::new("document", id.to_string()).expect("a document");
            for (relation, subject) in [
                ("owner", user(doc.owner_id)),
                ("editor", user(doc.editor_id)),
                ("platform", platform.clone()),
            ] {
                batch.push(RelationshipUpdate::touch(
                    Relationship::new(resource.clone(), relation, subject).expect("a relation"),
                ));
            }
            if batch.len() + 3 > WRITE_BATCH || id == n {
                token = writer
                    .write_relationships(std::mem::take(&mut batch))
                    .await
                    .expect("a batch");
            }
        }
        token
    });
    println!(
        "SpiceDB: {} relationships written in batches of at most {WRITE_BATCH} in {:.1} s",
        n * 3 + 1,
        started.elapsed().as_secs_f64()
    );
    Consistency::at_least_as_fresh(token)
}

/// Load all, then `CheckBulkPermissions` in batches over the first `checked`
/// rows; the first `PAGE` allowed.
fn load_all_check_bulk(
    runtime: &Runtime,
    conn: &Connection,
    spice: &Spice,
    user: &User,
    checked: usize,
) -> Vec<Doc> {
    let mut rows = load_all(conn);
    rows.truncate(checked);
    let mut allowed = Vec::new();
    runtime.block_on(async {
        for chunk in rows.chunks(CHECK_BATCH) {
            let items: Vec<CheckItem> = chunk
                .iter()
                .map(|doc| CheckItem::new(user, "edit", doc).expect("an item"))
                .collect();
            let decisions = spice
                .client
                .check_bulk(&items, spice.consistency.clone())
                .await;
            for (doc, decision) in chunk.iter().zip(decisions) {
                assert!(
                    !decision.is_unavailable(),
                    "SpiceDB answered every bulk item"
                );
                if decision.is_allowed() {
                    allowed.push(*doc);
                }
            }
        }
    });
    allowed.truncate(PAGE as usize);
    allowed
}

/// Load all, then the Rust policy on each row; the first `PAGE` allowed.
fn load_all_rust(conn: &Connection, user: &Authenticated<User>) -> Vec<Doc> {
    let rows = load_all(conn);
    let permits = user
        .filter_authorized::<EditRust, _>(rows, &())
        .expect("the Rust policy decides");
    permits
        .into_iter()
        .take(PAGE as usize)
        .map(Permit::into_resource)
        .collect()
}

/// A page of `PAGE` through `LookupResources`, read and admitted.
async fn lookup_page(conn: &Connection, spice: &Spice, user: &Authenticated<User>) -> Vec<Doc> {
    let list = user
        .authorize_page::<EditSpice, Doc>(spice, Page::first(PAGE))
        .await
        .expect("SpiceDB lists");
    let rows = rows_of(conn, list.filter());
    list.admit_all(rows)
        .expect("every row is the page's")
        .into_iter()
        .map(Permit::into_resource)
        .collect()
}

/// Times `f` up to `runs` times and prints the runs, sorted. With a `budget`,
/// no run starts once the runs so far plus one more as long as the last would
/// exceed it (at least one run is made).
fn hand_timed(
    name: &str,
    runs: usize,
    budget: Option<Duration>,
    mut f: impl FnMut() -> usize,
) -> Vec<Duration> {
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut spent = Duration::ZERO;
    while times.len() < runs.max(1) {
        if let (Some(budget), Some(last)) = (budget, times.last())
            && spent + *last > budget
        {
            println!(
                "engines/load_all/{name}: {} of {runs} runs (the next would pass the budget of {budget:?})",
                times.len()
            );
            break;
        }
        let started = Instant::now();
        black_box(f());
        let took = started.elapsed();
        spent += took;
        times.push(took);
        if budget.is_some() {
            println!("engines/load_all/{name}: run {} took {took:?}", times.len());
        }
    }
    times.sort();
    println!(
        "engines/load_all/{name}: runs {:?} (median {:?})",
        times,
        times[times.len() / 2]
    );
    times
}

// ---------------------------------------------------------------- the bench

#[allow(
    clippy::too_many_lines,
    reason = "one run: the setup, the checks and every group share the sidecar"
)]
fn engines(c: &mut Criterion) {
    let n = documents();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // The clients' channels are made within it.
    let _entered = runtime.enter();
    let casbin = runtime
        .block_on(Casbin::from_strings(CASBIN_MODEL, casbin_policy()))
        .expect("the casbin policy loads");
    let cedar = Cedar::load(
        CedarFile::new("docs.cedar", CEDAR_POLICIES),
        CedarFile::new("docs.cedarschema", CEDAR_SCHEMA),
    )
    .expect("the cedar policies load");

    let started = Instant::now();
    let conn = database(n);
    println!(
        "SQLite: {n} documents written in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    // SpiceDB, or the reason it is skipped.
    let sidecar = SpiceDbServer::start();
    let spice = sidecar.as_ref().map(|sidecar| {
        let writer = SpiceDb::builder(sidecar.endpoint(), KEY)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("the writer");
        let written = fill_spicedb(&runtime, &writer, n);
        let client = |consistency| Spice {
            client: SpiceDb::builder(sidecar.endpoint(), KEY)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("the client"),
            consistency,
        };
        // Fresh enough for the writes above; then the library's default.
        runtime.block_on(async {
            let spice = client(written);
            let owner = principal(OWNER);
            let allowed = owner
                .authorize_async::<EditSpice, _>(Doc::new(1), &spice)
                .await;
            assert!(allowed.is_ok(), "SpiceDB has the world");
        });
        (
            client(Consistency::client_default()),
            client(Consistency::minimize_latency()),
        )
    });
    if spice.is_none() {
        println!("engines: the SpiceDB parts are skipped (the reason is printed above)");
    }

    // The same answers from every engine, before anything is timed.
    for (who, id, allowed) in [
        ("owner", OWNER, true),
        ("admin", ADMIN, true),
        ("stranger", STRANGER, false),
    ] {
        let user = principal(id);
        let doc = Doc::new(1);
        assert_eq!(
            poll_once(user.authorize_async::<EditRust, _>(doc, &())).is_ok(),
            allowed,
            "rust, {who}"
        );
        assert_eq!(
            poll_once(user.authorize_async::<EditCasbin, _>(doc, &casbin)).is_ok(),
            allowed,
            "casbin, {who}"
        );
        assert_eq!(
            poll_once(user.authorize_async::<EditCedar, _>(doc, &cedar)).is_ok(),
            allowed,
            "cedar, {who}"
        );
        if let Some((spice, _)) = &spice {
            assert_eq!(
                runtime
                    .block_on(user.authorize_async::<EditSpice, _>(doc, spice))
                    .is_ok(),
                allowed,
                "spicedb, {who}"
            );
        }
    }

    let mut group = c.benchmark_group("engines/decide");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (who, id) in [("owner", OWNER), ("admin", ADMIN), ("stranger", STRANGER)] {
        let user = principal(id);
        let doc = Doc::new(1);
        group.bench_function(format!("rust/{who}"), |b| {
            b.iter(|| poll_once(user.authorize_async::<EditRust, _>(black_box(doc), &())).is_ok());
        });
        group.bench_function(format!("casbin/{who}"), |b| {
            b.iter(|| {
                poll_once(user.authorize_async::<EditCasbin, _>(black_box(doc), &casbin)).is_ok()
            });
        });
        group.bench_function(format!("cedar/{who}"), |b| {
            b.iter(|| {
                poll_once(user.authorize_async::<EditCedar, _>(black_box(doc), &cedar)).is_ok()
            });
        });
        if let Some((full, latency)) = &spice {
            group.bench_function(format!("spicedb/{who}"), |b| {
                b.iter(|| {
                    runtime
                        .block_on(user.authorize_async::<EditSpice, _>(black_box(doc), full))
                        .is_ok()
                });
            });
            group.bench_function(format!("spicedb_minimize_latency/{who}"), |b| {
                b.iter(|| {
                    runtime
                        .block_on(user.authorize_async::<EditSpice, _>(black_box(doc), latency))
                        .is_ok()
                });
            });
        }
    }
    group.finish();

    // One request (one principal), asked once before: every ask is a hit.
    let mut group = c.benchmark_group("engines/memo");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let user = principal(OWNER);
    let doc = Doc::new(1);
    assert!(poll_once(user.authorize_async::<EditCedarMemo, _>(doc, &cedar)).is_ok());
    group.bench_function("cedar_hit", |b| {
        b.iter(|| {
            poll_once(user.authorize_async::<EditCedarMemo, _>(black_box(doc), &cedar)).is_ok()
        });
    });
    if let Some((full, _)) = &spice {
        assert!(
            runtime
                .block_on(user.authorize_async::<EditSpiceMemo, _>(doc, full))
                .is_ok()
        );
        group.bench_function("spicedb_hit", |b| {
            b.iter(|| {
                runtime
                    .block_on(user.authorize_async::<EditSpiceMemo, _>(black_box(doc), full))
                    .is_ok()
            });
        });
    }
    group.finish();

    // Lists at `n` documents.
    let user = principal(OWNER);
    hand_timed("rust_policy_each", LOAD_ALL_RUNS, None, || {
        load_all_rust(&conn, &user).len()
    });
    hand_timed("read_alone", LOAD_ALL_RUNS, None, || load_all(&conn).len());
    let Some((full, _)) = &spice else {
        return;
    };
    let page = runtime.block_on(lookup_page(&conn, full, &user));
    assert_eq!(page.len(), PAGE as usize, "a full page");
    for doc in &page {
        assert!(
            doc.owner_id == OWNER || doc.editor_id == OWNER,
            "LookupResources lists only what the owner may edit"
        );
    }
    let mut group = c.benchmark_group("engines/list");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("lookup_resources_page", |b| {
        b.iter(|| runtime.block_on(lookup_page(&conn, full, &user)).len());
    });
    group.finish();

    // CheckBulk is slow on the sidecar (see BENCHMARKS.md): by default only the
    // first `ENGINES_BULK_BATCHES` batches are checked, after the whole read.
    // Every timed pass is also checked against the rule (no untimed pass).
    let batches = env_number("ENGINES_BULK_BATCHES", 1);
    let runs = env_number("ENGINES_BULK_RUNS", LOAD_ALL_RUNS);
    let budget = std::env::var("ENGINES_BULK_BUDGET")
        .ok()
        .map(|secs| Duration::from_secs(secs.parse().expect("ENGINES_BULK_BUDGET: seconds")));
    let checked = (batches * CHECK_BATCH).min(usize::try_from(n).expect("n"));
    let mine: Vec<Doc> = load_all(&conn)
        .into_iter()
        .take(checked)
        .filter(|doc| doc.owner_id == OWNER || doc.editor_id == OWNER)
        .take(PAGE as usize)
        .collect();
    let times = hand_timed("check_bulk", runs, budget, || {
        let bulk = load_all_check_bulk(&runtime, &conn, full, &user, checked);
        assert_eq!(bulk, mine, "CheckBulk agrees with the rule");
        bulk.len()
    });
    let all = times[times.len() / 2] * u32::try_from(n).expect("n")
        / u32::try_from(checked).expect("checked");
    println!("  {checked} of {n} documents checked; all {n} at this rate: {all:?}");
}

/// The number in the environment variable `name`, or `default`.
fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().map_or(default, |value| {
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}: a number, not {value:?}"))
    })
}

criterion_group!(benches, engines);
criterion_main!(benches);
