//! Lists through SpiceDB equal the single-object answers, by property test:
//! for random relationships (owners, editors, viewers; users and team members),
//! the pages of `LookupResources` (random page sizes, followed by their cursors)
//! joined are exactly the documents a single `CheckPermission` allows, which
//! are exactly those a bulk check allows, which are exactly those a reference
//! evaluator of the schema finds. No page repeats an id (a later page may repeat
//! one of an earlier page: SpiceDB streams a resource once per path to it).
//!
//! Outside CI this skips (with a printed reason) when `node` or the sidecar's
//! packages are missing; under `CI=true` it runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;
use std::collections::BTreeSet;

use auth_core::engine::Page;
use auth_core::spicedb::{
    CheckItem, Consistency, ObjectRef, Relationship, RelationshipFilter, RelationshipUpdate,
    SpiceDb, SpiceDbError, SpiceObject, SubjectRef,
};
use auth_integration::spicedb_server::{KEY, SpiceDbServer};
use proptest::prelude::*;

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

const DOCS: u32 = 12;
const USERS: u32 = 4;
const TEAMS: u32 = 2;
const RELATIONS: [&str; 3] = ["owner", "editor", "viewer"];

struct User(u32);

impl SpiceObject for User {
    const TYPE: &'static str = "user";
    fn object_id(&self) -> Cow<'_, str> {
        Cow::Owned(format!("u{}", self.0))
    }
}

struct Doc(u32);

impl SpiceObject for Doc {
    const TYPE: &'static str = "document";
    fn object_id(&self) -> Cow<'_, str> {
        Cow::Owned(self.0.to_string())
    }
}

/// Who a relationship is to: a user, or the members of a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Subject {
    User(u32),
    Team(u32),
}

#[derive(Debug, Clone)]
struct World {
    /// (document, relation index, subject); owners are users only.
    shares: BTreeSet<(u32, usize, Subject)>,
    /// (team, user)
    members: BTreeSet<(u32, u32)>,
}

fn world() -> impl Strategy<Value = World> {
    let subject = prop_oneof![
        3 => (0..USERS).prop_map(Subject::User),
        1 => (0..TEAMS).prop_map(Subject::Team),
    ];
    let share = (0..DOCS, 0..RELATIONS.len(), subject).prop_map(|(doc, relation, subject)| {
        match (relation, subject) {
            // `owner: user` only
            (0, Subject::Team(team)) => (doc, 0, Subject::User(team)),
            _ => (doc, relation, subject),
        }
    });
    (
        proptest::collection::btree_set(share, 0..24),
        proptest::collection::btree_set((0..TEAMS, 0..USERS), 0..5),
    )
        .prop_map(|(shares, members)| World { shares, members })
}

impl World {
    /// The reference evaluator of `view` (owner + editor + viewer, through teams).
    fn viewable(&self, user: u32) -> BTreeSet<String> {
        self.shares
            .iter()
            .filter(|(_, _, subject)| match *subject {
                Subject::User(u) => u == user,
                Subject::Team(team) => self.members.contains(&(team, user)),
            })
            .map(|(doc, _, _)| doc.to_string())
            .collect()
    }

    fn updates(&self) -> Vec<RelationshipUpdate> {
        let user = |u: u32| ObjectRef::new("user", format!("u{u}")).unwrap();
        let team = |t: u32| ObjectRef::new("team", format!("t{t}")).unwrap();
        let mut updates = Vec::new();
        for &(doc, relation, subject) in &self.shares {
            let subject = match subject {
                Subject::User(u) => SubjectRef::from(user(u)),
                Subject::Team(t) => SubjectRef::members(team(t), "member").unwrap(),
            };
            let resource = ObjectRef::new("document", doc.to_string()).unwrap();
            updates.push(RelationshipUpdate::touch(
                Relationship::new(resource, RELATIONS[relation], subject).unwrap(),
            ));
        }
        for &(t, u) in &self.members {
            updates.push(RelationshipUpdate::touch(
                Relationship::new(team(t), "member", user(u)).unwrap(),
            ));
        }
        updates
    }
}

/// Every page of `user`'s viewable documents, followed by cursor.
async fn pages(
    spicedb: &SpiceDb,
    user: u32,
    limit: u32,
    consistency: &Consistency,
) -> Result<Vec<Vec<String>>, SpiceDbError> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = spicedb
            .lookup::<Doc, _>(
                &User(user),
                "view",
                Page::from_cursor(cursor.as_deref(), limit),
                consistency.clone(),
            )
            .await?;
        assert!(
            page.ids().len() <= limit as usize,
            "a page is at most its limit"
        );
        cursor = page.next().map(str::to_owned);
        pages.push(page.into_ids());
        if cursor.is_none() {
            return Ok(pages);
        }
        assert!(pages.len() <= DOCS as usize + 1, "the cursor ends");
    }
}

#[test]
fn lookup_pages_equal_the_single_checks() {
    let Some(sidecar) = SpiceDbServer::start() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let spicedb = runtime.block_on(async {
        let spicedb = SpiceDb::builder(sidecar.endpoint(), KEY).build().unwrap();
        spicedb.write_schema(SCHEMA).await.unwrap();
        spicedb
    });
    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(world in world(), user in 0..USERS, limit in 1u32..6)| {
        runtime.block_on(async {
            // A fresh world: the previous case's relationships deleted.
            for ty in ["document", "team"] {
                spicedb.delete_relationships(&RelationshipFilter::of_type(ty).unwrap()).await.unwrap();
            }
            let updates = world.updates();
            let token = if updates.is_empty() {
                spicedb.delete_relationships(&RelationshipFilter::of_type("document").unwrap()).await.unwrap()
            } else {
                spicedb.write_relationships(updates).await.unwrap()
            };
            let consistency = Consistency::at_least_as_fresh(token);

            let pages = pages(&spicedb, user, limit, &consistency).await.unwrap();
            // No id twice on a page; across pages SpiceDB may repeat a resource
            // it reaches by several paths (its cursor keeps no set of ids sent).
            for page in &pages {
                let unique: BTreeSet<&String> = page.iter().collect();
                prop_assert_eq!(unique.len(), page.len(), "no id twice on a page: {:?}", pages);
            }
            let listed_set: BTreeSet<String> = pages.concat().into_iter().collect();

            let mut checked = BTreeSet::new();
            let mut items = Vec::new();
            for doc in 0..DOCS {
                let answer = spicedb
                    .check_permission(&User(user), "view", &Doc(doc), consistency.clone())
                    .await
                    .unwrap();
                if answer.is_allowed() {
                    checked.insert(doc.to_string());
                }
                items.push(CheckItem::new(&User(user), "view", &Doc(doc)).unwrap());
            }
            let bulk: BTreeSet<String> = spicedb
                .check_bulk(&items, consistency.clone())
                .await
                .into_iter()
                .zip(0..DOCS)
                .filter(|(decision, _)| {
                    assert!(!decision.is_unavailable(), "{decision:?}");
                    decision.is_allowed()
                })
                .map(|(_, doc)| doc.to_string())
                .collect();

            prop_assert_eq!(&listed_set, &checked, "pages {:?}", pages);
            prop_assert_eq!(&bulk, &checked);
            prop_assert_eq!(&checked, &world.viewable(user));
            Ok(())
        })?;
    });
}

#[test]
fn a_bad_permission_name_is_refused_before_sending() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // Nothing listens there: a refusal before sending is the only answer
        // that is not a connection error.
        let spicedb = SpiceDb::builder("http://127.0.0.1:9", KEY).build().unwrap();
        let error = spicedb
            .lookup::<Doc, _>(&User(0), "View", Page::first(10), Consistency::default())
            .await
            .unwrap_err();
        assert!(matches!(error, SpiceDbError::InvalidName { .. }), "{error}");
        let error = spicedb
            .check_permission(&User(0), "view", &Doc(0), Consistency::default())
            .await
            .unwrap_err();
        assert!(matches!(error, SpiceDbError::Status { .. }), "{error}");
    });
}

#[test]
fn endpoints_and_keys_are_checked_when_built() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Outside a runtime: an error, not tonic's panic.
    assert!(matches!(
        SpiceDb::builder("http://127.0.0.1:50051", KEY).build(),
        Err(SpiceDbError::NoRuntime)
    ));
    runtime.block_on(async {
        let refused =
            |endpoint: &str, key: &str| SpiceDb::builder(endpoint, key).build().unwrap_err();
        assert!(matches!(
            refused("spicedb:50051", KEY),
            SpiceDbError::InvalidEndpoint { .. }
        ));
        assert!(matches!(
            refused("ftp://127.0.0.1:50051", KEY),
            SpiceDbError::InvalidEndpoint { .. }
        ));
        // Plain text off the machine needs the dangerous door.
        let error = refused("http://spicedb.internal:50051", KEY);
        assert!(error.to_string().contains("dangerous_plaintext"), "{error}");
        assert!(
            SpiceDb::builder("http://spicedb.internal:50051", KEY)
                .dangerous_plaintext()
                .build()
                .is_ok()
        );
        assert!(SpiceDb::builder("http://[::1]:50051", KEY).build().is_ok());
        assert!(
            SpiceDb::builder("http://localhost:50051", KEY)
                .build()
                .is_ok()
        );
        assert!(
            SpiceDb::builder("https://spicedb.internal:443", KEY)
                .build()
                .is_ok()
        );
        assert!(matches!(
            refused("https://spicedb.internal:443", ""),
            SpiceDbError::InvalidKey
        ));
        assert!(matches!(
            refused("https://spicedb.internal:443", "a\nb"),
            SpiceDbError::InvalidKey
        ));
        // The key never shows in Debug.
        let client = SpiceDb::builder("http://127.0.0.1:50051", "s3cret-key")
            .build()
            .unwrap();
        assert!(!format!("{client:?}").contains("s3cret"));
    });
}

/// A read answered `UNAVAILABLE` (here: nothing listens, the connection is
/// refused) is tried `retries` more times after a doubling backoff; a write is
/// tried once; every failure is a 503 decision, never an allow.
#[test]
fn reads_are_retried_with_backoff_and_writes_are_not() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // the listener is dropped: the port refuses connections
    runtime.block_on(async {
        let endpoint = format!("http://127.0.0.1:{closed}");
        let backoff = std::time::Duration::from_millis(300);
        let patient = SpiceDb::builder(endpoint.as_str(), KEY)
            .retries(2)
            .backoff(backoff)
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let decision = patient
            .check(&User(0), "view", &Doc(0), Consistency::default())
            .await;
        let took = started.elapsed();
        assert!(decision.is_unavailable(), "{decision:?}");
        assert!(took >= backoff * 3, "300 ms, then 600 ms: took {took:?}");

        let started = std::time::Instant::now();
        let written = patient
            .write_relationships([RelationshipUpdate::touch(
                Relationship::new(
                    ObjectRef::new("document", "1").unwrap(),
                    "viewer",
                    ObjectRef::new("user", "u0").unwrap(),
                )
                .unwrap(),
            )])
            .await;
        assert!(
            matches!(written, Err(SpiceDbError::Status { .. })),
            "{written:?}"
        );
        assert!(started.elapsed() < backoff, "a write is not retried");

        let hasty = SpiceDb::builder(endpoint.as_str(), KEY)
            .retries(0)
            .backoff(backoff)
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let decision = hasty
            .check(&User(0), "view", &Doc(0), Consistency::default())
            .await;
        assert!(decision.is_unavailable(), "{decision:?}");
        assert!(started.elapsed() < backoff, "no retry: no wait");
    });
}
