//! Red team, round two: the four features added together — tenants
//! (`Resource::TENANT`), the per-request memo (`Policy::MEMO`), coverage that
//! can be verified (`require_coverage`) and the request context
//! (`AuthInfo::context`, `TrustedProxies`).
//!
//! Each test tries one way around a claim of README.md / SECURITY.md (G18,
//! G19). A test that passes is a door found shut. A test marked
//! `#[ignore = "finding N: .."]` is a way through (or a legitimate answer the
//! feature breaks): it states what the claim should make true, fails today, and
//! its comment says what to change. Run them with
//! `cargo nextest run -p auth-adversarial --test red_team_scope --run-ignored all`.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_adversarial::{get, send, serve_axum};
use auth_core::context::{PeerAddr, RequestContext, TrustedProxies};
use auth_core::filter::{Field, Filter};
use auth_core::{
    Action, AuthError, Authenticated, Authenticator, Decision, FilterPolicy, Identity, Mechanism,
    Policy, Resource, SharedAuthenticator, authenticate, requires,
};
use auth_tests::{TestAuthenticator, User, block_on};
use http::HeaderMap;
use http::request::Parts;

// ---------------------------------------------------------------------------
// Tenants
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
struct Invoice {
    id: i64,
    tenant: String,
}

impl Resource for Invoice {
    const KIND: &'static str = "invoice";
    const TENANT: Option<Field<Self, str>> = Some(Field::text("tenant_id", |i| &i.tenant));
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

fn invoice(id: i64, tenant: &str) -> Invoice {
    Invoice {
        id,
        tenant: tenant.to_owned(),
    }
}

#[derive(Debug, Clone)]
struct Member;

/// Read: anyone (the rule forgets tenants on purpose).
#[derive(Action)]
struct Read;

impl Policy<Invoice> for Read {
    type Principal = Member;
    type State = ();
    fn decide(_: &Authenticated<Member>, _: &Invoice, (): &()) -> Decision {
        Decision::allow("anyone")
    }
}

impl Policy<&Invoice> for Read {
    type Principal = Member;
    type State = ();
    fn decide(_: &Authenticated<Member>, _: &&Invoice, (): &()) -> Decision {
        Decision::allow("anyone")
    }
}

impl Policy<Box<Invoice>> for Read {
    type Principal = Member;
    type State = ();
    fn decide(_: &Authenticated<Member>, _: &Box<Invoice>, (): &()) -> Decision {
        Decision::allow("anyone")
    }
}

/// Browse: every invoice (the rule forgets tenants on purpose).
#[derive(Action)]
struct Browse;

impl FilterPolicy<Invoice> for Browse {
    type Principal = Member;
    type State = ();
    fn filter(_: &Authenticated<Member>, (): &()) -> Filter<Invoice> {
        Filter::all()
    }
}

/// Stands for any verified source of a tenant (a JWT claim, a user record).
struct In(Option<String>);

impl Authenticator for In {
    type User = Member;
    async fn authenticate(&self, _: &Parts) -> Result<Identity<Member>, AuthError> {
        let identity = Identity::new(Member, "m", Mechanism::Test);
        Ok(match &self.0 {
            Some(tenant) => identity.tenant(tenant.clone()),
            None => identity,
        })
    }
}

/// A principal of `tenant`, authenticated for a request (so with a memo).
fn member_of(tenant: Option<&str>) -> Authenticated<Member> {
    let parts = http::Request::new(()).into_parts().0;
    block_on(authenticate(&In(tenant.map(str::to_owned)), &parts)).expect("authenticated")
}

fn is_not_found<T: std::fmt::Debug>(result: &Result<T, AuthError>) -> bool {
    matches!(result, Err(AuthError::NotFound { .. }))
}

/// Look-alike tenants (case, spaces, a zero-width space, a Cyrillic `а`, a NUL,
/// a combining accent) are other tenants on every path: compared byte for byte.
#[test]
fn look_alike_tenants_are_other_tenants() {
    let acme = member_of(Some("acme"));
    let look_alikes = [
        "ACME",
        "Acme",
        "acme ",
        " acme",
        "acme\u{200b}",
        "\u{430}cme",
        "acme\0",
        "acme\u{301}",
        "acm",
        "acmee",
    ];
    for (n, tenant) in look_alikes.iter().enumerate() {
        let id = i64::try_from(n).expect("small");
        let row = invoice(id, tenant);
        assert!(
            is_not_found(&acme.authorize::<Read, _>(row.clone())),
            "{tenant:?}: authorize"
        );
        assert!(
            is_not_found(&acme.authorize::<Read, _>(&row)),
            "{tenant:?}: &R"
        );
        assert!(
            is_not_found(&acme.authorize::<Read, _>(Box::new(row.clone()))),
            "{tenant:?}: Box<R>"
        );
        let list = acme.authorize_list::<Browse, Invoice>(&()).expect("a list");
        assert!(list.admit(row.clone()).is_err(), "{tenant:?}: admit");
        let kept = acme
            .filter_authorized::<Read, Invoice>([row, invoice(100, "acme")], &())
            .expect("decided");
        assert_eq!(kept.len(), 1, "{tenant:?}: filter_authorized");
        assert_eq!(kept[0].id, 100);
    }
    // The other way round: a look-alike principal never reaches `acme`.
    for tenant in look_alikes {
        let other = member_of(Some(tenant));
        assert!(
            is_not_found(&other.authorize::<Read, _>(invoice(1, "acme"))),
            "{tenant:?}"
        );
    }
}

/// `Filter::all()` is narrowed to the caller's tenant, and a caller with no
/// tenant gets an empty filter, whatever the rule says.
#[test]
fn a_rule_that_selects_everything_still_stays_in_its_tenant() {
    let acme = member_of(Some("acme"));
    let list = acme.authorize_list::<Browse, Invoice>(&()).expect("a list");
    assert!(list.filter().matches(&invoice(1, "acme")));
    assert!(!list.filter().matches(&invoice(2, "globex")));
    assert!(!list.filter().matches(&invoice(3, "")));
    let sql = list
        .filter()
        .to_sql(auth_core::filter::SqlDialect::Sqlite)
        .clause()
        .to_owned();
    assert!(sql.contains("tenant_id"), "{sql}");
    let nobody = member_of(None);
    let list = nobody
        .authorize_list::<Browse, Invoice>(&())
        .expect("a list");
    for tenant in ["", "acme", "globex"] {
        assert!(!list.filter().matches(&invoice(1, tenant)), "{tenant:?}");
        assert!(list.admit(invoice(1, tenant)).is_err(), "{tenant:?}");
    }
}

/// Escape: a rule whose own filter is an `OR` naming another tenant (its
/// mistake, or a "shared with" clause). The tenant narrowing is an `AND`
/// around the whole rule, in memory and in SQL, so the `OR` cannot lift it.
#[derive(Action)]
struct Shared;

const TENANT_ID: Field<Invoice, str> = Field::text("tenant_id", |i| &i.tenant);
const ID: Field<Invoice, i64> = Field::int("id", |i| i.id);

impl FilterPolicy<Invoice> for Shared {
    type Principal = Member;
    type State = ();
    fn filter(_: &Authenticated<Member>, (): &()) -> Filter<Invoice> {
        ID.eq(1).or(TENANT_ID.eq("globex"))
    }
}

#[test]
fn an_or_in_the_rule_does_not_lift_the_tenant() {
    let acme = member_of(Some("acme"));
    let list = acme.authorize_list::<Shared, Invoice>(&()).expect("a list");
    assert!(list.filter().matches(&invoice(1, "acme")));
    for row in [
        invoice(1, "globex"),
        invoice(2, "globex"),
        invoice(2, "acme"),
    ] {
        assert!(!list.filter().matches(&row), "{row:?}");
        assert!(list.admit(row).is_err());
    }
    let sql = list.filter().to_sql(auth_core::filter::SqlDialect::Sqlite);
    let clause = sql.clause();
    // `tenant AND (id OR tenant)`, never `tenant AND id OR tenant`.
    let (narrowing, rule) = clause.split_once(" AND ").expect("an AND");
    assert!(narrowing.contains("tenant_id"), "{clause}");
    assert!(
        rule.trim_start().starts_with('(') && rule.trim_end().ends_with(')'),
        "{clause}"
    );
}

/// A principal with no tenant reaches no tenant's resource, not even one whose
/// tenant field is empty.
#[test]
fn no_tenant_reaches_not_even_the_empty_tenant() {
    let nobody = member_of(None);
    for tenant in ["", "acme"] {
        assert!(
            is_not_found(&nobody.authorize::<Read, _>(invoice(1, tenant))),
            "{tenant:?}"
        );
    }
}

/// Finding 1. An empty tenant is taken as a tenant. A JWT whose
/// `tenant_claim` is `""` passes (the claim is "present":
/// `jwt/authenticator.rs`, `claims.get(name)?.ok_or(MissingClaim)`), and so
/// does a `LoadUser::tenant` returning `Some("")` (a user not yet assigned to a
/// tenant). That principal then reaches every resource whose tenant column is
/// empty (rows not yet assigned, rows of a migration), and its lists select
/// `tenant_id = ''`, while README says a principal with no tenant gets a 404
/// for every tenant's resource.
///
/// Fix: treat an empty tenant as none: `Identity::tenant("")` keeps `None`
/// (or `AuthInfo::tenant` filters it), the JWT authenticator refuses an empty
/// `tenant_claim` as an invalid token, and `other_tenant` refuses a resource
/// whose declared tenant is empty to everyone.
#[test]
fn an_empty_tenant_is_no_tenant() {
    let blank = member_of(Some(""));
    assert!(
        is_not_found(&blank.authorize::<Read, _>(invoice(1, ""))),
        "a principal whose tenant is \"\" reached a resource whose tenant is \"\""
    );
    let list = blank
        .authorize_list::<Browse, Invoice>(&())
        .expect("a list");
    assert!(
        !list.filter().matches(&invoice(1, "")),
        "the list of a principal whose tenant is \"\" selects the unassigned rows"
    );
}

/// A projection of an invoice (what a handler renders, or a row type of a
/// second query) that implements `Resource` by hand and forwards the kind and
/// the id, but not the tenant.
#[derive(Debug)]
struct InvoiceView(Invoice);

impl Resource for InvoiceView {
    const KIND: &'static str = Invoice::KIND;
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.0.id
    }
}

impl Policy<InvoiceView> for Read {
    type Principal = Member;
    type State = ();
    fn decide(_: &Authenticated<Member>, _: &InvoiceView, (): &()) -> Decision {
        Decision::allow("anyone")
    }
}

/// Finding 2 (documentation). `&R` and `Box<R>` forward `TENANT`; `Arc<R>`
/// and `Rc<R>` are not resources at all (a compile error, so no hole). But a
/// newtype or a projection that implements `Resource` itself and forgets
/// `TENANT` gets the default, `None`, and with it no tenant check: globex gets
/// a permit for acme's invoice. README says "A handler cannot forget it: no
/// policy, gate or list sees another tenant's resource"; that holds only for
/// `Resource` impls that declare the tenant.
///
/// Fix: say so in `Resource::TENANT`'s docs and README ("every `Resource`
/// impl of a tenant's data declares `TENANT`, wrappers and projections
/// included; forwarding impls are provided for `&R` and `Box<R>` only"); better,
/// provide `Resource` for `Arc<R>` / `Rc<R>` too, and a `#[derive(Resource)]`
/// with `#[resource(tenant = field)]` / `#[resource(forward)]`, so the
/// hand-written impl that can forget is rare.
#[test]
#[ignore = "known limit (SECURITY.md, tenants): a type that implements `Resource` itself must declare `TENANT`; this test shows what happens when it does not"]
fn a_projection_that_forgets_the_tenant_is_still_refused() {
    let globex = member_of(Some("globex"));
    let result = globex.authorize::<Read, _>(InvoiceView(invoice(1, "acme")));
    assert!(
        is_not_found(&result),
        "globex got a permit for acme's invoice through a projection"
    );
}

// ---------------------------------------------------------------------------
// The per-request memo
// ---------------------------------------------------------------------------

/// How often a memoized rule ran.
static ASKED: AtomicUsize = AtomicUsize::new(0);

/// A per-request switch the rule reads: stands for any state whose answer may
/// change during a request (a feature flag, a quota, an engine's config).
struct Switch {
    open: bool,
}

/// Approve: whatever the switch says, asked once per request.
#[derive(Action)]
struct Approve;

impl Policy<Invoice> for Approve {
    type Principal = Member;
    type State = Switch;
    const MEMO: bool = true;
    fn decide(_: &Authenticated<Member>, _: &Invoice, switch: &Switch) -> Decision {
        ASKED.fetch_add(1, Ordering::SeqCst);
        Decision::allow_if(switch.open, "open", "closed")
    }
}

/// The tenant check runs before the memo: a decision kept for invoice 1 of
/// acme is not reused for an invoice 1 of globex (same kind, same id).
#[test]
fn the_memo_never_answers_for_another_tenant() {
    let acme = member_of(Some("acme"));
    let open = Switch { open: true };
    assert!(
        acme.authorize_with::<Approve, _>(invoice(1, "acme"), &open)
            .is_ok()
    );
    assert!(is_not_found(
        &acme.authorize_with::<Approve, _>(invoice(1, "globex"), &open)
    ));
    assert!(is_not_found(
        &acme
            .clone()
            .authorize_with::<Approve, _>(invoice(1, "globex"), &open)
    ));
}

/// Principals made without a request (`for_testing`) keep nothing, and two
/// requests of the same caller share nothing; clones of one principal (one
/// request) do share.
#[test]
fn the_memo_is_one_requests() {
    let open = Switch { open: true };
    let closed = Switch { open: false };
    let fresh =
        Authenticated::for_testing(Identity::new(Member, "m", Mechanism::Test).tenant("acme"));
    let before = ASKED.load(Ordering::SeqCst);
    for _ in 0..3 {
        assert!(
            fresh
                .authorize_with::<Approve, _>(invoice(7, "acme"), &open)
                .is_ok()
        );
    }
    assert!(
        ASKED.load(Ordering::SeqCst) - before >= 3,
        "for_testing memoized"
    );
    // Request one allows; request two, same caller, same state address, is asked again.
    let first = member_of(Some("acme"));
    assert!(
        first
            .authorize_with::<Approve, _>(invoice(8, "acme"), &open)
            .is_ok()
    );
    let second = member_of(Some("acme"));
    assert!(
        second
            .authorize_with::<Approve, _>(invoice(8, "acme"), &closed)
            .is_err()
    );
    assert!(
        second
            .authorize_with::<Approve, _>(invoice(8, "acme"), &open)
            .is_ok()
    );
}

/// Many distinct resources in one request: the memo stops keeping at its
/// capacity (it says how many it holds in the principal's `Debug`), and every
/// answer is still the rule's.
#[test]
fn the_memo_is_bounded() {
    let acme = member_of(Some("acme"));
    let open = Switch { open: true };
    for id in 0..1_000 {
        assert!(
            acme.authorize_with::<Approve, _>(invoice(id, "acme"), &open)
                .is_ok()
        );
    }
    let shown = format!("{:?}", acme.info());
    assert!(shown.contains("decisions: Some(64)"), "{shown}");
}

/// Finding 3. The memo knows the state by its address, not its value. A state
/// that changes during the request (here a switch turned off; equally a value
/// dropped and another built at the same address, which is what a state made
/// in a loop or a helper function gets) is taken as "the same state", and the
/// first answer is reused: the switch is closed and the rule would deny, but
/// the memo allows.
///
/// README: "whose answer depends only on the principal, the resource's id and
/// its state"; this state changed, the answer did not.
///
/// Fix: either drop the state from the contract (key by principal, action,
/// resource type and id only, and say "the answer must not depend on the state
/// either"), or say in `Policy::MEMO`'s docs that the state must live, unchanged,
/// for the whole request (app state), and make `authorize_with` with a
/// memoized policy take `&'static` / `Arc` state, or key by a `MemoKey` the
/// state provides.
#[test]
#[ignore = "known limit (Policy::MEMO docs): the memo keys the state by address; a policy whose state changes during the request must not set MEMO"]
fn a_changed_state_is_asked_again() {
    let acme = member_of(Some("acme"));
    let mut switch = Switch { open: true };
    assert!(
        acme.authorize_with::<Approve, _>(invoice(9, "acme"), &switch)
            .is_ok()
    );
    switch.open = false;
    let again = acme.authorize_with::<Approve, _>(invoice(9, "acme"), &switch);
    assert!(
        again.is_err(),
        "the switch is closed, the rule denies, and the memo allowed"
    );
}

/// One action for two resource types that share a type name.
#[derive(Action)]
struct Probe;

/// Declares two types called `Doc` in two blocks of this one function
/// (distinct types, one `type_name`), and asks `Probe` about a `Doc(7)` of
/// each, in order: the public one first, then the secret one. Returns each
/// type's name and whether it was allowed.
#[allow(clippy::items_after_statements)]
fn public_then_secret(principal: &Authenticated<Member>) -> [(&'static str, bool); 2] {
    let public = {
        struct Doc(u64);
        impl Resource for Doc {
            const KIND: &'static str = "public-doc";
            fn id(&self) -> impl std::fmt::Display + '_ {
                self.0
            }
        }
        impl Policy<Doc> for Probe {
            type Principal = Member;
            type State = ();
            const MEMO: bool = true;
            fn decide(_: &Authenticated<Member>, _: &Doc, (): &()) -> Decision {
                Decision::allow("public documents are for everyone")
            }
        }
        (
            std::any::type_name::<Doc>(),
            principal.authorize::<Probe, _>(Doc(7)).is_ok(),
        )
    };
    let secret = {
        struct Doc(u64);
        impl Resource for Doc {
            const KIND: &'static str = "secret-doc";
            fn id(&self) -> impl std::fmt::Display + '_ {
                self.0
            }
        }
        impl Policy<Doc> for Probe {
            type Principal = Member;
            type State = ();
            const MEMO: bool = true;
            fn decide(_: &Authenticated<Member>, _: &Doc, (): &()) -> Decision {
                Decision::deny("secret documents are for no one")
            }
        }
        (
            std::any::type_name::<Doc>(),
            principal.authorize::<Probe, _>(Doc(7)).is_ok(),
        )
    };
    [public, secret]
}

/// Without a memo (a principal made for a test) each rule answers for itself:
/// the secret document is denied.
#[test]
fn without_a_memo_each_type_has_its_rule() {
    let fresh = Authenticated::for_testing(Identity::new(Member, "m", Mechanism::Test));
    let [(_, public), (_, secret)] = public_then_secret(&fresh);
    assert!(public && !secret);
}

/// Finding 4. The memo key names the resource type by `type_name`, which is
/// not unique (its docs say so): two distinct types may share it (two items of
/// one name in two blocks of a function, as here; two semver-incompatible
/// versions of one crate in the dependency graph). Same action, same id, a
/// unit state (every `()` has one address), and the answer about a public
/// document is reused for a secret one: a deny becomes an allow, in the same
/// request.
///
/// Fix: key by `TypeId::of::<R>()` (require `R: 'static` for a memoized policy,
/// which every owned row type is; `&R` / `Box<R>` can key by `R`'s), or, where
/// the type must borrow, add `R::KIND` and `size_of::<R>()` to the key; `R::KIND`
/// alone would have kept these two apart.
#[test]
#[ignore = "known limit (Policy::MEMO docs): two resource types with one name and KIND share memoized decisions"]
fn two_types_of_one_name_are_two_memos() {
    let acme = member_of(Some("acme"));
    let [(public_name, public), (secret_name, secret)] = public_then_secret(&acme);
    assert_eq!(
        public_name, secret_name,
        "precondition: two distinct types with one type_name"
    );
    assert!(public, "the public document is allowed");
    assert!(
        !secret,
        "the secret document's rule denies ({secret_name}), and the memo allowed it"
    );
}

// ---------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------

#[requires(role("admin"))]
async fn admin_only(_user: Authenticated<User>) -> &'static str {
    "admin"
}

#[requires(authenticated)]
async fn me(_user: Authenticated<User>) -> &'static str {
    "me"
}

/// Forgotten: no attribute.
async fn leak() -> &'static str {
    "every customer's data"
}

/// A plain handler that answers with an `AuthError` (not a `Guarded`).
async fn plain_refusal() -> AuthError {
    AuthError::forbidden("plain")
}

fn authenticator() -> SharedAuthenticator<User> {
    SharedAuthenticator::new(TestAuthenticator::default()).with_realm("red")
}

fn strict(app: axum::Router) -> axum::Router {
    app.layer(axum::middleware::from_fn(auth_core::axum::require_coverage))
}

fn secure_admin() -> axum::Router {
    use auth_core::axum::{SecureRouter, get};
    SecureRouter::new()
        .route("/admin", get(admin_only))
        .with_state(authenticator())
}

/// What the secure routes answer goes through strict coverage untouched; what
/// plain handlers answer (a 200, or an `AuthError` of their own) does not.
#[tokio::test]
async fn strict_coverage_passes_the_secure_answers_only() {
    let plain = axum::Router::new()
        .route("/leak", axum::routing::get(leak))
        .route("/refusal", axum::routing::get(plain_refusal));
    let addr = serve_axum(strict(secure_admin().merge(plain))).await;
    assert_eq!(get(addr, "/admin", None).await.status, 401);
    assert_eq!(get(addr, "/admin", Some("Test 1")).await.status, 403);
    assert_eq!(get(addr, "/admin", Some("Test 3")).await.status, 200);
    for path in ["/leak", "/refusal"] {
        let answer = get(addr, path, Some("Test 3")).await;
        assert_eq!(answer.status, 500, "{path}: {}", answer.body);
        assert!(!answer.body.contains("customer"), "{path}");
    }
}

/// Finding 5. On a secure route, a method the route does not serve gets
/// axum's own 405 (from the `MethodRouter`'s fallback, which no secure handler
/// wraps), unmarked, so strict coverage turns a legitimate 405 into a 500 and
/// logs an `ERROR` "misconfiguration" for every client that tries `POST`.
///
/// Fix: `SecureRouter::into_router` gives each route's `MethodRouter` a
/// covered fallback (`.fallback(|| async { covered 405 with Allow })` built by
/// the crate), or the coverage middleware passes a 405 that carries `Allow`
/// from a route it matched (`MatchedPath` present).
#[tokio::test]
#[ignore = "documented (coverage docs): on axum, give the router a #[public] method_not_allowed_fallback (the reference service does)"]
async fn a_method_not_served_is_still_a_405() {
    let addr = serve_axum(strict(secure_admin())).await;
    let answer = send(addr, "POST", "/admin", Some("Test 3"), None).await;
    assert_eq!(answer.status, 405, "{}", answer.body);
}

/// Finding 6. A `#[requires]` handler mounted on a plain `axum::Router` (which
/// `coverage.rs` says is covered "wherever it is mounted") is covered when it
/// runs, but its `Authenticated` extractor's rejection is an `AuthRejection`,
/// which axum renders without the mark (actix's `AuthRejection` carries it).
/// So strict coverage turns the 401 for a caller without credentials into a
/// 500: the legitimate answer is broken, and a client can fill the error log.
///
/// Fix: mark the response in `impl IntoResponse for AuthRejection` (and
/// `LoadRejection`) as the actix adapter does: no handler ran.
#[tokio::test]
async fn a_guarded_handler_on_a_plain_router_still_says_401() {
    let app = axum::Router::new()
        .route("/me", axum::routing::get(me))
        .with_state(authenticator());
    let addr = serve_axum(strict(app)).await;
    assert_eq!(get(addr, "/me", Some("Test 1")).await.status, 200);
    let answer = get(addr, "/me", None).await;
    assert_eq!(answer.status, 401, "{}", answer.body);
}

/// Finding 7. `Router::layer` wraps only the routes added before it: a route
/// added after `.layer(require_coverage)` (a plain `.route`, `.merge`,
/// `.nest_service`, `.fallback`) is never checked, and its unguarded handler
/// answers 200 in strict mode. The docs say "wrap the whole application", but
/// nothing tells a service that it did not.
///
/// Fix: document that the coverage layer must be the last thing applied (or
/// applied to the final service with `tower::Layer::layer`, which returns a
/// service no route can be added to), and give a constructor that does it:
/// `auth_core::axum::covered(router) -> impl Service` (strict), so the
/// `Router` is consumed.
#[tokio::test]
#[ignore = "documented (coverage docs): the coverage layer goes last, after every route"]
async fn a_route_added_after_the_layer_is_still_checked() {
    let app = strict(secure_admin()).route("/late", axum::routing::get(leak));
    let addr = serve_axum(app).await;
    let answer = get(addr, "/late", None).await;
    assert_eq!(answer.status, 500, "{}", answer.body);
}

/// A layer that answers on its own (a CORS preflight, a rate limiter, a
/// timeout): no handler runs.
async fn preflight(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if request.method() == http::Method::OPTIONS {
        return (
            http::StatusCode::NO_CONTENT,
            [("access-control-allow-origin", "https://app.example")],
        )
            .into_response();
    }
    next.run(request).await
}

/// Finding 8 (documentation). A layer inside the coverage layer that answers
/// on its own (CORS preflight, `tower_http` timeouts and limits, a rate
/// limiter) makes an unmarked response, so strict coverage turns a
/// legitimate preflight `204` into a `500`. The docs do not say where such
/// layers go.
///
/// Fix: say in `coverage` / `require_coverage` docs: layers that answer
/// without a handler go *outside* (after) the coverage layer; or give them a
/// way to be covered (`auth_core::axum::covered_layer(layer)`).
#[tokio::test]
#[ignore = "documented (coverage docs): layers that answer on their own go outside the coverage layer"]
async fn a_preflight_answered_by_a_layer_goes_through() {
    let app = strict(secure_admin().layer(axum::middleware::from_fn(preflight)));
    let addr = serve_axum(app).await;
    let answer = send(addr, "OPTIONS", "/admin", None, None).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
}

#[actix_web::get("/plain")]
async fn actix_plain(_user: Authenticated<User>) -> &'static str {
    "every customer's data"
}

#[requires(role("admin"))]
async fn actix_admin(_user: Authenticated<User>) -> &'static str {
    "admin"
}

fn actix_strict() -> SocketAddr {
    auth_adversarial::serve_actix(|listener| {
        Ok(actix_web::HttpServer::new(|| {
            actix_web::App::new()
                .wrap(actix_web::middleware::from_fn(
                    auth_core::actix::require_coverage,
                ))
                .app_data(actix_web::web::Data::new(authenticator()))
                .service(
                    auth_core::actix::SecureScope::new("/api")
                        .route("/admin", auth_core::actix::get(actix_admin)),
                )
                .service(actix_plain)
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    })
}

/// On actix, a plain handler that extracts a principal: its 401 (the
/// extractor refused, no handler ran) goes through; once it runs, its answer
/// does not.
#[tokio::test]
async fn actix_plain_handler_with_a_principal_is_not_covered() {
    let addr = actix_strict();
    assert_eq!(get(addr, "/plain", None).await.status, 401);
    let answer = get(addr, "/plain", Some("Test 3")).await;
    assert_eq!(answer.status, 500, "{}", answer.body);
    assert!(!answer.body.contains("customer"));
    assert_eq!(get(addr, "/api/admin", Some("Test 3")).await.status, 200);
}

/// Finding 5, on actix: a method a `SecureScope` route does not serve gets
/// actix's own 405 (the resource's default service), unmarked, so strict
/// coverage makes it a 500.
///
/// `HEAD` on a secure `GET` route is the same 405 (actix's `get()` does not
/// match `HEAD`), so on actix strict coverage makes `HEAD` a 500 as well.
///
/// Fix: `SecureScope` gives each resource a covered `default_service` (405),
/// and `get()` routes also answer `HEAD`.
#[tokio::test]
#[ignore = "documented (coverage docs): on actix-web, give the app a #[public] default_service (the reference service does)"]
async fn actix_a_method_not_served_is_still_a_405() {
    let addr = actix_strict();
    // `HEAD` on a `GET` route: actix's `get()` guard does not match it, so
    // it is actix's own 405 too, and strict coverage makes it a 500.
    let head = head_status(addr, "/api/admin").await;
    assert_ne!(head, "HTTP/1.1 500 Internal Server Error", "HEAD");
    let answer = send(addr, "POST", "/api/admin", Some("Test 3"), None).await;
    assert_eq!(answer.status, 405, "{}", answer.body);
}

// ---------------------------------------------------------------------------
// Request context
// ---------------------------------------------------------------------------

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address")
}

fn forwarded(lines: &[&str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in lines {
        headers.append(
            "x-forwarded-for",
            http::HeaderValue::from_bytes(line.as_bytes()).expect("a header value"),
        );
    }
    headers
}

fn context_of(peer: &str, headers: &[(&str, &str)], proxies: &TrustedProxies) -> RequestContext {
    let mut request = http::Request::builder();
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut parts = request.body(()).expect("a request").into_parts().0;
    parts
        .extensions
        .insert(PeerAddr(peer.parse().expect("a socket address")));
    RequestContext::of(&parts, proxies)
}

/// With no trusted proxy, no header names the client: not `X-Forwarded-For`,
/// `Forwarded`, `X-Real-IP` or `True-Client-IP`; and with no peer, no client.
#[test]
fn without_trusted_proxies_the_client_is_the_peer() {
    let headers = [
        ("x-forwarded-for", "10.1.2.3"),
        ("forwarded", "for=10.1.2.3"),
        ("x-real-ip", "10.1.2.3"),
        ("true-client-ip", "10.1.2.3"),
        ("x-client-ip", "10.1.2.3"),
    ];
    let context = context_of("198.51.100.1:5000", &headers, &TrustedProxies::none());
    assert_eq!(context.client(), Some(ip("198.51.100.1")));
    assert_eq!(context.peer(), Some(ip("198.51.100.1")));
    assert_eq!(context.route(), None, "a header does not name the route");
    // Trusted proxies elsewhere: this peer's header is still not read.
    let proxies = TrustedProxies::cidrs(["10.0.0.0/8"]).expect("networks");
    let context = context_of("198.51.100.1:5000", &headers, &proxies);
    assert_eq!(context.client(), Some(ip("198.51.100.1")));
    let (parts, ()) = http::Request::builder()
        .header("x-forwarded-for", "10.1.2.3")
        .body(())
        .expect("a request")
        .into_parts();
    assert_eq!(RequestContext::of(&parts, &proxies).client(), None);
}

/// Behind a trusted proxy that appends the real client, nothing the client
/// writes to the left of that entry (spoofed addresses, trusted-looking
/// addresses, ports, brackets, mapped addresses, empty entries, garbage,
/// non-UTF-8 bytes, many lines, a huge header) changes who the client is.
#[test]
fn behind_a_trusted_proxy_the_client_cannot_choose_its_address() {
    let proxies = TrustedProxies::cidrs(["10.0.0.0/8", "fd00::/8"]).expect("networks");
    let proxy = ip("10.0.0.1");
    let real = "203.0.113.9";
    let huge = "10.0.0.7, ".repeat(8_000) + "10.1.2.3";
    let injected: Vec<&[u8]> = vec![
        b"10.1.2.3",
        b"1.2.3.4, 10.0.0.3",
        b"10.0.0.3,10.0.0.4",
        b"[10.1.2.3]",
        b"10.1.2.3:80",
        b"[fd00::1]:443",
        b"::ffff:10.1.2.3",
        b"fd00::1",
        b" , ,, ",
        b"unknown",
        b"\t10.1.2.3\t",
        b"10.1.2.3 10.1.2.4",
        huge.as_bytes(),
    ];
    for spoof in injected {
        let text = String::from_utf8_lossy(spoof);
        let shown: String = text.chars().take(40).collect();
        // The proxy appends to the client's line ...
        let mut joined = spoof.to_vec();
        joined.extend_from_slice(format!(", {real}").as_bytes());
        let mut headers = HeaderMap::new();
        headers.append(
            "x-forwarded-for",
            http::HeaderValue::from_bytes(&joined).expect("a header value"),
        );
        assert_eq!(
            proxies.client(proxy, &headers),
            Some(ip(real)),
            "joined: {shown}"
        );
        // ... or adds its own line after the client's.
        let mut headers = HeaderMap::new();
        headers.append(
            "x-forwarded-for",
            http::HeaderValue::from_bytes(spoof).expect("a header value"),
        );
        headers.append("x-forwarded-for", http::HeaderValue::from_static(real));
        assert_eq!(
            proxies.client(proxy, &headers),
            Some(ip(real)),
            "lines: {shown}"
        );
    }
    // Two proxies in a row, the inner one trusted: still the real client.
    let headers = forwarded(&["10.1.2.3, 203.0.113.9, 10.0.0.5"]);
    assert_eq!(proxies.client(proxy, &headers), Some(ip(real)));
}

/// Finding 11. One byte that is not UTF-8 in the client's `X-Forwarded-For`
/// makes the client the trusted proxy itself. A proxy that appends the real
/// client to the client's own line (nginx's `$proxy_add_x_forwarded_for`,
/// most load balancers) sends `\xff, 203.0.113.9`: `TrustedProxies::client`
/// checks UTF-8 per *line*, the line fails, and the walk ends at the last
/// trusted hop, the peer: `client()` is `10.0.0.1`, an internal address the
/// client chose. A rule "from the internal network" or "from the office"
/// (the module's own example, when the proxy sits in the office range) lets
/// any client in; a per-client rate limit keyed by `client()` puts every such
/// client in the proxy's bucket.
///
/// Fix: split the line on `,` as bytes and parse each entry from the right,
/// so only entries left of the real client can be unreadable; and when the
/// walk meets an unreadable entry, name no client rather than the proxy
/// (`client()` is `None`, or the last *untrusted* address seen), so a
/// malformed header never makes a client look like infrastructure.
#[test]
fn a_byte_that_is_not_utf8_does_not_make_the_client_the_proxy() {
    let proxies = TrustedProxies::cidrs(["10.0.0.0/8"]).expect("networks");
    let mut headers = HeaderMap::new();
    headers.append(
        "x-forwarded-for",
        http::HeaderValue::from_bytes(b"\xff, 203.0.113.9").expect("obs-text is a valid value"),
    );
    let client = proxies.client(ip("10.0.0.1"), &headers);
    assert_ne!(
        client,
        Some(ip("10.0.0.1")),
        "the client chose to be the proxy"
    );
    assert_eq!(client, Some(ip("203.0.113.9")));
}

/// `at()` is the server's clock when the request was authenticated, never a
/// value the client sent (a `Date` header, a token's `iat`).
#[test]
fn the_time_of_a_request_is_the_servers() {
    let parts = http::Request::builder()
        .header("date", "Thu, 01 Jan 1970 00:00:00 GMT")
        .body(())
        .expect("a request")
        .into_parts()
        .0;
    let before = std::time::SystemTime::now();
    let principal = block_on(authenticate(&In(None), &parts)).expect("authenticated");
    let after = std::time::SystemTime::now();
    let at = principal.context().at();
    assert!(before <= at && at <= after, "{at:?}");
}

/// Finding 9. An IPv4 client on a dual-stack listener (`[::]:port`), or named
/// by a proxy as `::ffff:a.b.c.d`, is reported as the IPv6-mapped address,
/// not as IPv4: `client()` is `::ffff:203.0.113.9`. `TrustedProxies` treats a
/// mapped address as its IPv4 one, but the context does not. A rule written
/// against IPv4 (the module's own example matches `IpAddr::V4` for the office
/// network) refuses an office client (fail closed), and an IPv4 deny list
/// (`block 203.0.113.0/24`) lets the same client through (fail open).
///
/// Fix: `RequestContext::of` stores `peer.to_canonical()` and
/// `client.to_canonical()` (std, since 1.75), and the docs say so.
#[test]
fn a_mapped_ipv4_client_is_its_ipv4_address() {
    let context = context_of("[::ffff:203.0.113.9]:5000", &[], &TrustedProxies::none());
    assert_eq!(context.client(), Some(ip("203.0.113.9")));
    assert_eq!(context.peer(), Some(ip("203.0.113.9")));
    let proxies = TrustedProxies::cidrs(["10.0.0.0/8"]).expect("networks");
    let context = context_of(
        "10.0.0.1:5000",
        &[("x-forwarded-for", "::ffff:203.0.113.9")],
        &proxies,
    );
    assert_eq!(context.client(), Some(ip("203.0.113.9")));
}

/// Finding 10. `TrustedProxies::cidrs(["0.0.0.0/0"])` (or `::/0`) is
/// accepted without a word: every peer is then a trusted proxy, and every
/// client chooses its own `client()` with one `X-Forwarded-For` header (here,
/// an address of the office network in the module's example). It is the
/// usual copy-paste fix for "the client address is always the load balancer",
/// and it is an insecure option that is neither opt-in by name nor
/// `dangerous`, against the project's rule.
///
/// Fix: `cidrs` refuses a prefix of 0 (and perhaps any network that contains
/// public addresses) with an error saying to name the proxies' networks, and
/// a `TrustedProxies::dangerous_trust_every_peer()` exists for the rare
/// deployment where the port is reachable only through the proxy.
#[test]
fn trusting_everyone_is_named_dangerous() {
    assert!(
        TrustedProxies::cidrs(["0.0.0.0/0"]).is_err(),
        "0.0.0.0/0 accepted"
    );
    assert!(TrustedProxies::cidrs(["::/0"]).is_err(), "::/0 accepted");
}

/// The peer and the route come from request extensions only the server sets:
/// `SecureRouter` over real HTTP reports the socket's peer and the matched
/// template, whatever the client sends.
#[tokio::test]
async fn route_and_peer_come_from_the_server() {
    #[requires(authenticated)]
    async fn whereami(user: Authenticated<User>) -> String {
        let context = user.context();
        format!(
            "{} {} {}",
            context.route().unwrap_or("-"),
            context.peer().map_or("-".to_owned(), |ip| ip.to_string()),
            context.client().map_or("-".to_owned(), |ip| ip.to_string()),
        )
    }
    use auth_core::axum::{SecureRouter, get as secure_get};
    let app = SecureRouter::new()
        .route("/where/{id}", secure_get(whereami))
        .with_state(authenticator());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr: SocketAddr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let answer = auth_integration::client::send(
        addr,
        auth_integration::client::Request {
            method: "GET",
            path: "/where/..%2F..%2Fadmin",
            headers: vec![
                ("authorization", "Test 1".to_owned()),
                ("x-forwarded-for", "10.1.2.3".to_owned()),
                ("x-matched-path", "/admin".to_owned()),
                ("forwarded", "for=10.1.2.3".to_owned()),
            ],
            ..auth_integration::client::Request::default()
        },
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, "/where/{id} 127.0.0.1 127.0.0.1");
}

/// A comment, numbered within its post: `id()` is the number, which is what
/// the audit log wants next to the post's route, and all `Resource::id` asks
/// for ("this instance's id, for audit events").
#[derive(Debug)]
struct Comment {
    post: u64,
    number: u64,
    author: &'static str,
}

impl Resource for Comment {
    const KIND: &'static str = "comment";
    fn id(&self) -> impl std::fmt::Display + '_ {
        self.number
    }
}

/// Edit a comment: its author only; memoized, the rule being costly.
#[derive(Action)]
struct EditComment;

impl Policy<Comment> for EditComment {
    type Principal = Member;
    type State = ();
    const MEMO: bool = true;
    fn decide(user: &Authenticated<Member>, comment: &Comment, (): &()) -> Decision {
        Decision::allow_if(
            comment.author == user.subject(),
            "the author",
            "not the author",
        )
    }
}

/// Finding 12 (documentation). With `MEMO`, `Resource::id` becomes a
/// security key: two instances of one type with one `id()` share a decision.
/// But `Resource::id` documents it as "this instance's id, for audit events",
/// and ids unique only within a parent (comment 1 of post 7, line 2 of order
/// 9) are common. Here member `m` may edit its comment 1 of post 7, and the
/// memo then lets it edit comment 1 of post 8, written by someone else.
///
/// Fix: `Resource::id` must say "unique among all instances of the type (the
/// memo keys decisions by it)", and `Policy::MEMO`'s docs must repeat it; or
/// the memo keys by `(KIND, id)` plus a `Resource::memo_key` defaulting to
/// `id()`.
#[test]
#[ignore = "known limit (Policy::MEMO docs): MEMO needs an id unique within its type"]
fn an_id_unique_within_a_parent_is_not_shared() {
    let member = member_of(None);
    let mine = Comment {
        post: 7,
        number: 1,
        author: "m",
    };
    let theirs = Comment {
        post: 8,
        number: 1,
        author: "someone else",
    };
    assert_ne!(mine.post, theirs.post);
    assert!(member.authorize::<EditComment, _>(mine).is_ok());
    assert!(
        member.authorize::<EditComment, _>(theirs).is_err(),
        "another author's comment was allowed by the memo"
    );
}

/// `HEAD` over a raw connection: the status line only (no body follows).
async fn head_status(addr: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("a connection");
    let request = format!(
        "HEAD {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Test 3\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer read");
    let text = String::from_utf8_lossy(&answer);
    text.lines().next().unwrap_or_default().to_owned()
}

/// `HEAD` on a secure `GET` route of axum is answered by the guarded handler
/// (axum runs the `GET` handler), so strict coverage lets it through.
#[tokio::test]
async fn head_on_a_secure_axum_route_goes_through_strict_coverage() {
    let addr = serve_axum(strict(secure_admin())).await;
    assert_eq!(head_status(addr, "/admin").await, "HTTP/1.1 200 OK");
}
