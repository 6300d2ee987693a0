//! The shape every policy engine plugs into (`auth_core::engine`): an engine's
//! decision carries its evidence into the audit event (through `any(..)` and
//! `not(..)` too), an outage is a 503 and never an allow, and an engine's list
//! (`authorize_page`) is audited once with its evidence, refused to guests,
//! narrowed to the caller's tenant, and re-checked row by row.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use auth_core::engine::{Evidence, ListPolicy, Listing, Page};
use auth_core::filter::{Field, Filter};
use auth_core::{
    Action, AsyncPolicy, AuthError, Authenticated, Authenticator, Decision, Guarded, Identity,
    Mechanism, Outcome, Resource, authenticate, requires,
};
use auth_tests::{audit, block_on};
use http::request::Parts;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Doc {
    id: i64,
    tenant: String,
}

impl Resource for Doc {
    const KIND: &'static str = "document";
    const TENANT: Option<Field<Self, str>> = Some(Field::text("tenant", |d| &d.tenant));
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

const ID: Field<Doc, i64> = Field::int("id", |d| d.id);

#[derive(Debug, Clone)]
struct Member {
    id: i64,
}

/// A stand-in for a remote engine: member `m` may read the documents whose id
/// is a multiple of `m`; it can be taken down.
#[derive(Default)]
struct Engine {
    down: AtomicBool,
    refuse_lists: AtomicBool,
    asked: AtomicUsize,
}

#[allow(clippy::unused_async, reason = "it stands in for a remote engine")]
impl Engine {
    async fn check(&self, member: i64, doc: i64) -> Result<bool, &'static str> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err("connection refused");
        }
        Ok(member > 0 && doc % member == 0)
    }

    /// Ids after `after`, up to 20, `limit` at most; the cursor is the last id.
    async fn lookup(&self, member: i64, after: i64, limit: u32) -> Result<Vec<i64>, &'static str> {
        if self.down.load(Ordering::SeqCst) {
            return Err("connection refused");
        }
        Ok((after + 1..=20)
            .filter(|id| member > 0 && id % member == 0)
            .take(limit as usize)
            .collect())
    }
}

#[derive(Action)]
struct Read;

impl AsyncPolicy<Doc> for Read {
    type Principal = Member;
    type State = Engine;

    async fn decide(member: &Authenticated<Member>, doc: &Doc, engine: &Engine) -> Decision {
        let evidence = Evidence::new("test-engine", format!("multiple of {}", member.id));
        match engine.check(member.id, doc.id).await {
            Ok(true) => Decision::allow("the engine allows").with_evidence(evidence),
            Ok(false) => Decision::not_found("the engine denies").with_evidence(evidence),
            Err(_) => Decision::unavailable("test engine", None),
        }
    }
}

impl ListPolicy<Doc> for Read {
    async fn list(
        member: &Authenticated<Member>,
        engine: &Engine,
        page: Page<'_>,
    ) -> Result<Listing<Doc>, Decision> {
        if engine.refuse_lists.load(Ordering::SeqCst) {
            // An `Err` holding an allow must refuse all the same.
            return Err(Decision::allow("confused engine"));
        }
        let after = match page.cursor() {
            None => 0,
            Some(cursor) => cursor
                .parse()
                .map_err(|_| Decision::deny("a cursor this engine did not make"))?,
        };
        let ids = engine
            .lookup(member.id, after, page.limit())
            .await
            .map_err(|_| Decision::unavailable("test engine", None))?;
        let next = (ids.len() == page.limit() as usize)
            .then(|| ids.last().map(ToString::to_string))
            .flatten();
        Ok(Listing::page(ID.one_of(ids), next)
            .with_evidence(Evidence::new("test-engine", "lookup")))
    }
}

/// Lists for guests too, and everything (the engine's wildcard).
#[derive(Action)]
struct Browse;

impl AsyncPolicy<Doc> for Browse {
    type Principal = Member;
    type State = Engine;
    const GUESTS: bool = true;

    async fn decide(_: &Authenticated<Member>, _: &Doc, _: &Engine) -> Decision {
        Decision::allow("public")
    }
}

impl ListPolicy<Doc> for Browse {
    async fn list(
        _: &Authenticated<Member>,
        _: &Engine,
        _: Page<'_>,
    ) -> Result<Listing<Doc>, Decision> {
        Ok(Listing::complete(Filter::all()))
    }
}

struct As(Member, Mechanism, Option<&'static str>);

impl Authenticator for As {
    type User = Member;
    async fn authenticate(&self, _: &Parts) -> Result<Identity<Member>, AuthError> {
        let identity = Identity::new(self.0.clone(), self.0.id.to_string(), self.1);
        Ok(match self.2 {
            Some(tenant) => identity.tenant(tenant),
            None => identity,
        })
    }
}

fn member(id: i64, tenant: Option<&'static str>) -> Authenticated<Member> {
    let parts = http::Request::new(()).into_parts().0;
    block_on(authenticate(
        &As(Member { id }, Mechanism::Test, tenant),
        &parts,
    ))
    .expect("authenticated")
}

fn guest() -> Authenticated<Member> {
    let parts = http::Request::new(()).into_parts().0;
    block_on(authenticate(
        &As(Member { id: 0 }, Mechanism::Guest, Some("a")),
        &parts,
    ))
    .expect("authenticated")
}

fn doc(id: i64, tenant: &str) -> Doc {
    Doc {
        id,
        tenant: tenant.to_owned(),
    }
}

#[requires(Read(document), state = engine)]
async fn read(user: Authenticated<Member>, document: Doc, engine: &Engine) -> i64 {
    document.id
}

fn run<T>(
    guarded: impl std::future::Future<Output = Guarded<T, Authenticated<Member>>>,
) -> (Result<T, AuthError>, Vec<audit::Record>) {
    audit::start();
    let result = block_on(guarded).into_result();
    (result, audit::take())
}

#[test]
fn an_engine_decision_carries_its_evidence_into_the_audit_event() {
    let engine = Engine::default();
    let (allowed, events) = run(read(member(3, Some("a")), doc(9, "a"), &engine));
    assert_eq!(allowed.ok(), Some(9));
    let decision = events
        .iter()
        .find(|e| e["decision"] == "allow")
        .expect("an allow event");
    assert_eq!(decision["engine"], "test-engine");
    assert_eq!(decision["evidence"], "multiple of 3");
    assert_eq!(decision["resource"], "document:9");

    let (denied, events) = run(read(member(3, Some("a")), doc(10, "a"), &engine));
    assert!(
        matches!(denied, Err(AuthError::NotFound { .. })),
        "{denied:?}"
    );
    let decision = events
        .iter()
        .find(|e| e["decision"] == "not_found")
        .expect("a denial event");
    assert_eq!(decision["evidence"], "multiple of 3");
}

#[test]
fn an_engine_outage_is_a_503_never_an_allow() {
    let engine = Engine::default();
    engine.down.store(true, Ordering::SeqCst);
    let (outage, events) = run(read(member(3, Some("a")), doc(9, "a"), &engine));
    assert!(
        matches!(outage, Err(AuthError::Unavailable { .. })),
        "{outage:?}"
    );
    assert_eq!(outage.unwrap_err().status().as_u16(), 503);
    assert!(
        events.iter().all(|e| e["decision"] != "allow"),
        "{events:#?}"
    );
    assert!(
        events.iter().any(|e| e["decision"] == "unavailable"),
        "{events:#?}"
    );

    // Recovery: the same engine, back up, answers again.
    engine.down.store(false, Ordering::SeqCst);
    let (back, _) = run(read(member(3, Some("a")), doc(9, "a"), &engine));
    assert_eq!(back.ok(), Some(9));
}

#[test]
fn a_denial_merged_by_any_keeps_the_engines_evidence() {
    let mut any = auth_core::Any::new();
    let _ = any.push(Decision::deny("role `admin` not held"));
    let _ = any
        .push(Decision::deny("the engine denies").with_evidence(Evidence::new("cedar", "policy7")));
    let merged = any.finish();
    assert_eq!(merged.outcome(), Outcome::Deny);
    assert_eq!(merged.evidence(), Some(&Evidence::new("cedar", "policy7")));
    // `not(..)` keeps it too.
    let negated = Decision::deny("no")
        .with_evidence(Evidence::new("casbin", "p, alice, doc, read"))
        .negate();
    assert!(negated.is_allowed());
    assert_eq!(
        negated.evidence().map(Evidence::detail),
        Some("p, alice, doc, read")
    );
}

#[test]
fn pages_follow_the_engines_cursor_and_each_row_is_checked_again() {
    let engine = Engine::default();
    let alice = member(3, Some("a"));
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        audit::start();
        let page = Page::from_cursor(cursor.as_deref(), 2);
        let list = block_on(alice.authorize_page::<Read, Doc>(&engine, page)).expect("a page");
        let events = audit::take();
        assert_eq!(events.len(), 1, "one event per page: {events:#?}");
        assert_eq!(events[0]["resource"], "document:*");
        assert_eq!(events[0]["engine"], "test-engine");
        assert_eq!(events[0]["evidence"], "lookup");
        // The tenant narrows the page whatever the engine said.
        let filter = &events[0]["filter"];
        assert!(
            filter.starts_with("(tenant = ? AND ") || filter == "FALSE",
            "{events:#?}"
        );
        let rows: Vec<Doc> = (1..=20)
            .map(|id| doc(id, "a"))
            .filter(|d| list.filter().matches(d))
            .collect();
        let permits = list.admit_all(rows).expect("admitted");
        seen.extend(permits.iter().map(|p| p.id));
        // A row of another page, or of another tenant, is never a permit.
        assert!(list.admit(doc(1, "a")).is_err());
        assert!(list.admit(doc(seen[seen.len() - 1], "b")).is_err());
        match list.next_cursor() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    // Every page joined: exactly the single-object answers.
    let single: Vec<i64> = (1..=20)
        .filter(|&id| block_on(alice.authorize_async::<Read, _>(doc(id, "a"), &engine)).is_ok())
        .collect();
    assert_eq!(seen, single);
    assert_eq!(seen, [3, 6, 9, 12, 15, 18]);
}

#[test]
fn a_list_refusal_is_the_engines_and_never_a_list() {
    let engine = Engine::default();
    let alice = member(3, Some("a"));

    engine.down.store(true, Ordering::SeqCst);
    audit::start();
    let outage = block_on(alice.authorize_page::<Read, Doc>(&engine, Page::first(10)));
    let events = audit::take();
    assert!(
        matches!(outage, Err(AuthError::Unavailable { .. })),
        "{outage:?}"
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["decision"], "unavailable");
    engine.down.store(false, Ordering::SeqCst);

    let forged =
        block_on(alice.authorize_page::<Read, Doc>(&engine, Page::after("not a number", 10)));
    assert!(
        matches!(forged, Err(AuthError::Forbidden { .. })),
        "{forged:?}"
    );

    engine.refuse_lists.store(true, Ordering::SeqCst);
    let confused = block_on(alice.authorize_page::<Read, Doc>(&engine, Page::first(10)));
    assert!(
        matches!(confused, Err(AuthError::Forbidden { .. })),
        "{confused:?}"
    );
}

#[test]
fn guests_and_tenantless_principals_get_nothing_from_an_engine_list() {
    let engine = Engine::default();
    let guest = guest();
    audit::start();
    let refused = block_on(guest.authorize_page::<Read, Doc>(&engine, Page::first(10)));
    let events = audit::take();
    assert!(
        matches!(refused, Err(AuthError::Forbidden { .. })),
        "{refused:?}"
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["decision"], "deny");
    assert_eq!(
        engine.asked.load(Ordering::SeqCst),
        0,
        "the engine is not asked for a guest"
    );

    // A policy that decides for guests lists for them, within their tenant.
    let all =
        block_on(guest.authorize_page::<Browse, Doc>(&engine, Page::first(10))).expect("listed");
    assert!(all.admit(doc(5, "a")).is_ok());
    assert!(all.admit(doc(5, "b")).is_err(), "another tenant's row");

    // A principal of no tenant lists no tenant's resources.
    let tenantless = member(3, None);
    let nobody = block_on(tenantless.authorize_page::<Browse, Doc>(&engine, Page::first(10)))
        .expect("listed");
    assert!(nobody.filter().is_none());
    assert!(nobody.admit(doc(3, "a")).is_err());
}

#[test]
fn a_page_size_is_bounded() {
    assert_eq!(Page::first(u32::MAX).limit(), Page::MAX_LIMIT);
    assert_eq!(Page::after("x", 0).limit(), 1);
}

/// Lists through a filter the engine built: unavailable (`Sweep` on an even
/// document id) or carrying the engine's evidence on the filter itself.
#[derive(Action)]
struct Sweep;

impl AsyncPolicy<Doc> for Sweep {
    type Principal = Member;
    type State = Engine;

    async fn decide(_: &Authenticated<Member>, _: &Doc, _: &Engine) -> Decision {
        Decision::allow("swept")
    }
}

impl ListPolicy<Doc> for Sweep {
    async fn list(
        user: &Authenticated<Member>,
        _: &Engine,
        _: Page<'_>,
    ) -> Result<Listing<Doc>, Decision> {
        Ok(Listing::complete(if user.id % 2 == 0 {
            // An admin's `all` beside the outage does not hide it.
            Filter::all().or(Filter::unavailable("sweep-engine"))
        } else {
            ID.eq(user.id)
                .with_evidence(Evidence::new("sweep-engine", "rule 2"))
        }))
    }
}

#[test]
fn an_unavailable_engine_filter_is_a_503_and_a_filters_evidence_is_audited() {
    let engine = Engine::default();
    let admin = member(2, Some("a"));
    audit::start();
    let down = block_on(admin.authorize_page::<Sweep, Doc>(&engine, Page::first(10)));
    let events = audit::take();
    assert!(
        matches!(down, Err(AuthError::Unavailable { .. })),
        "{down:?}"
    );
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["decision"], "unavailable");

    let user = member(3, Some("a"));
    audit::start();
    let list = block_on(user.authorize_page::<Sweep, Doc>(&engine, Page::first(10)));
    let events = audit::take();
    assert!(list.expect("listed").admit(doc(3, "a")).is_ok());
    assert_eq!(events[0]["engine"], "sweep-engine", "{events:#?}");
    assert_eq!(events[0]["evidence"], "rule 2");
}
