//! Red team of the early gates (G5, commit 5d959fe): a handler's leading
//! principal-only gates run on a secure mount right after authentication, before
//! its extractors, and "can only refuse earlier".
//!
//! The findings:
//!
//! 1. A handler got *another handler's* early gates. The mount found them by
//!    `type_name::<H>() == module::name`, and a function nested in a function
//!    `outer` has the same type name as a function of a module `outer` next to it
//!    (functions and modules live in different namespaces): its callers were
//!    refused by the other handler's gates, a 403 its own body would never give,
//!    audited against the other handler. Closed: each record now carries its
//!    function's exact path (`HandlerInfo::at`), and the mount matches on that.
//! 2. A free function lost its early gates (the schema oracle came back: 422
//!    with the body's field names) as soon as an associated function of the same
//!    name in the same module had `#[requires]` too: both records said
//!    `module::name`, and the lookup gave up as ambiguous. Closed by the same
//!    exact path.
//! 3. A `check(..)` predicate that answers at once runs twice per admitted
//!    request (early, then in the body). Not a hole (both calls must allow), but
//!    a predicate with side effects (a counter, a rate limit, a one-time grant)
//!    sees every request twice. Documented in `SECURITY.md` known limit 9.
//! 4. On actix-web the extractors still *ran* for a caller the early gates
//!    refuse (only their answer was held): a resource loader's query, side
//!    effects and timing happened for a caller who gets 403. Closed: the route's
//!    middleware hands its early gates to the authenticating extractor, which
//!    runs them before any other extractor.
//! 5. Compile regression: `#[requires]` on an associated function of a generic
//!    `impl` whose principal type or `check(..)` predicate names the impl's type
//!    parameter no longer compiles (E0401). Open (the macro sees only the
//!    function, not the `impl`); documented in known limit 9; reproducer at the
//!    bottom, behind a `cfg`.
//!
//! Attacked and holding: an early denial is audited once, against its own
//! handler; an early predicate's outage is the body's 503 (with `Retry-After`)
//! before any extractor; an early 403 is the body's 403 byte for byte (status,
//! challenge, body; with and without a realm; both adapters); a nested handler
//! with a generic predicate gets its early gates; an anonymous caller still gets
//! 401 first (`schema_oracle.rs`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{App, HttpServer, web};
use auth_adversarial::{Probe, send, serve_actix, serve_axum};
use auth_core::axum::SecureRouter;
use auth_core::{Authenticated, Decision, SharedAuthenticator, requires};
use auth_tests::User;
use serde::Deserialize;

// ---------------------------------------------------------------------------
// Finding 1: a nested handler `outer::inner` (inside `fn outer`) and a module
// handler `outer::inner` (inside `mod outer`) have the same type name.
// ---------------------------------------------------------------------------

mod outer {
    use auth_core::{Authenticated, requires};
    use auth_tests::User;

    /// Admins only.
    #[requires(role("admin"))]
    pub(super) async fn inner(user: Authenticated<User>) -> &'static str {
        "admins only"
    }
}

/// A router with a handler nested in this function: any signed-in caller.
fn outer() -> SecureRouter<SharedAuthenticator<User>> {
    #[requires(authenticated)]
    async fn inner(user: Authenticated<User>) -> &'static str {
        "anyone signed in"
    }
    SecureRouter::new()
        .route("/anyone", auth_core::axum::get(inner))
        .route("/admins", auth_core::axum::get(outer::inner))
}

/// The same on actix-web, in a function of its own named like the module.
mod actix_side {
    pub(super) mod outer {
        use auth_core::{Authenticated, requires};
        use auth_tests::User;

        #[requires(role("admin"))]
        pub(in crate::actix_side) async fn inner(user: Authenticated<User>) -> &'static str {
            "admins only"
        }
    }

    pub(super) fn outer() -> auth_core::actix::SecureScope {
        use auth_core::{Authenticated, requires};
        use auth_tests::User;

        #[requires(authenticated)]
        async fn inner(user: Authenticated<User>) -> &'static str {
            "anyone signed in"
        }
        auth_core::actix::SecureScope::new("")
            .route("/anyone", auth_core::actix::get(inner))
            .route("/admins", auth_core::actix::get(outer::inner))
    }
}

fn authenticator() -> SharedAuthenticator<User> {
    SharedAuthenticator::new(Probe::new()).with_realm("early")
}

async fn start_collision_axum() -> SocketAddr {
    serve_axum(outer().with_state(authenticator())).await
}

fn start_collision_actix() -> SocketAddr {
    let authenticator = authenticator();
    serve_actix(move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(authenticator.clone()))
                .service(actix_side::outer())
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    })
}

async fn a_nested_handler_keeps_its_own_gates(addr: SocketAddr) {
    // The customer is admitted by `authenticated`, refused by `role("admin")`.
    let anyone = send(addr, "GET", "/anyone", Some("Test 1"), None).await;
    assert_eq!(
        (anyone.status, anyone.body.as_str()),
        (200, "anyone signed in"),
        "the nested handler ran another handler's early gates: {anyone:?}"
    );
    let admins = send(addr, "GET", "/admins", Some("Test 1"), None).await;
    assert_eq!(admins.status, 403, "{admins:?}");
    let admin = send(addr, "GET", "/admins", Some("Test 3"), None).await;
    assert_eq!(admin.status, 200, "{admin:?}");
}

#[tokio::test]
async fn a_nested_handler_does_not_get_the_gates_of_a_module_handler_of_the_same_path_on_axum() {
    a_nested_handler_keeps_its_own_gates(start_collision_axum().await).await;
}

#[tokio::test]
async fn a_nested_handler_does_not_get_the_gates_of_a_module_handler_of_the_same_path_on_actix() {
    a_nested_handler_keeps_its_own_gates(start_collision_actix()).await;
}

// ---------------------------------------------------------------------------
// Finding 2: a free function and an associated function of the same name in
// one module: the free function's early gates were dropped as ambiguous.
// ---------------------------------------------------------------------------

/// An admin body: its field name is what a probe would learn.
#[derive(Deserialize)]
struct Grant {
    secret_field_name: String,
}

mod grants {
    use super::Grant;
    use auth_core::{Authenticated, requires};
    use auth_tests::User;

    #[requires(role("admin"))]
    pub(super) async fn grant(
        user: Authenticated<User>,
        axum::Json(grant): axum::Json<Grant>,
    ) -> String {
        format!("granted {}", grant.secret_field_name)
    }

    /// A handler of the same name, associated with a type of the same module
    /// (a service object, a versioned API, ..).
    pub(super) struct V2;

    impl V2 {
        #[requires(authenticated)]
        #[allow(dead_code)]
        pub(super) async fn grant(user: Authenticated<User>) -> &'static str {
            "v2"
        }
    }
}

#[tokio::test]
async fn an_associated_function_of_the_same_name_does_not_cost_a_free_function_its_early_gates() {
    let app = SecureRouter::new()
        .route("/grants", auth_core::axum::post(grants::grant))
        .route("/v2/grants", auth_core::axum::get(grants::V2::grant))
        .with_state(authenticator());
    let addr = serve_axum(app).await;
    for body in [None, Some("{"), Some(r#"{"name":"x"}"#)] {
        let response = send(addr, "POST", "/grants", Some("Test 1"), body).await;
        assert_eq!(response.status, 403, "{body:?}: {response:?}");
        assert!(
            !response.body.contains("secret_field_name"),
            "{body:?}: {response:?}"
        );
    }
    let v2 = send(addr, "GET", "/v2/grants", Some("Test 1"), None).await;
    assert_eq!((v2.status, v2.body.as_str()), (200, "v2"), "{v2:?}");
}

// ---------------------------------------------------------------------------
// Finding 3: a predicate that answers at once is called twice per request.
// ---------------------------------------------------------------------------

static CALLS: AtomicUsize = AtomicUsize::new(0);

/// Allows everyone, counting its calls (a rate limit would look like this).
fn counted(_user: &Authenticated<User>) -> Decision {
    CALLS.fetch_add(1, Ordering::SeqCst);
    Decision::allow("counted")
}

#[requires(check(counted))]
async fn counted_handler(user: Authenticated<User>) -> &'static str {
    "counted"
}

/// Finding 3, documented (SECURITY.md known limit 9): an early `check(..)`
/// predicate runs twice for a caller it admits (early, then in the body, which
/// checks every gate again) and once for a caller it refuses (the body never
/// runs). Pinned here, so a change either way is noticed and the limit revisited.
#[tokio::test]
async fn an_early_predicate_runs_early_and_again_in_the_body() {
    let app = SecureRouter::new()
        .route("/counted", auth_core::axum::get(counted_handler))
        .with_state(authenticator());
    let addr = serve_axum(app).await;
    let before = CALLS.load(Ordering::SeqCst);
    let response = send(addr, "GET", "/counted", Some("Test 1"), None).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(CALLS.load(Ordering::SeqCst) - before, 2);
}

// ---------------------------------------------------------------------------
// Held: an early denial is audited once, against the right handler; an
// admitted caller's request is audited by the body only.
// ---------------------------------------------------------------------------

#[requires(role("admin"))]
async fn audited_admin(user: Authenticated<User>, axum::Json(grant): axum::Json<Grant>) -> String {
    format!("granted {}", grant.secret_field_name)
}

#[tokio::test]
async fn an_early_denial_is_audited_once_against_its_own_handler() {
    let app = SecureRouter::new()
        .route("/audited", auth_core::axum::post(audited_admin))
        .with_state(authenticator());
    let addr = serve_axum(app).await;
    // A current-thread runtime: the server's events are emitted on this thread.
    auth_tests::audit::start();
    let refused = send(addr, "POST", "/audited", Some("Test 1"), Some("{")).await;
    let events = auth_tests::audit::take();
    assert_eq!(refused.status, 403, "{refused:?}");
    let decisions: Vec<_> = events
        .iter()
        .filter(|event| event.contains_key("handler"))
        .collect();
    assert_eq!(decisions.len(), 1, "{events:#?}");
    assert!(
        decisions[0]
            .get("handler")
            .is_some_and(|name| name.ends_with("audited_admin")),
        "{events:#?}"
    );
    assert_ne!(
        decisions[0].get("decision").map(String::as_str),
        Some("allow"),
        "{events:#?}"
    );

    auth_tests::audit::start();
    let admitted = send(
        addr,
        "POST",
        "/audited",
        Some("Test 3"),
        Some(r#"{"secret_field_name":"x"}"#),
    )
    .await;
    let events = auth_tests::audit::take();
    assert_eq!(admitted.status, 200, "{admitted:?}");
    let decisions: Vec<_> = events
        .iter()
        .filter(|event| event.contains_key("handler"))
        .collect();
    assert!(
        decisions
            .iter()
            .all(|event| event.get("decision").map(String::as_str) == Some("allow")),
        "{events:#?}"
    );
}

// ---------------------------------------------------------------------------
// Held: a predicate's outage is answered early as the body would answer it
// (503, never a 422 and never an allow).
// ---------------------------------------------------------------------------

fn store_down(_user: &Authenticated<User>) -> Decision {
    Decision::unavailable("flag store", Some(std::time::Duration::from_secs(7)))
}

#[requires(check(store_down))]
async fn behind_a_store(user: Authenticated<User>, axum::Json(grant): axum::Json<Grant>) -> String {
    format!("granted {}", grant.secret_field_name)
}

#[tokio::test]
async fn an_early_outage_is_a_503_before_any_extractor() {
    let app = SecureRouter::new()
        .route("/store", auth_core::axum::post(behind_a_store))
        .with_state(authenticator());
    let addr = serve_axum(app).await;
    for body in [None, Some("{"), Some(r#"{"secret_field_name":"x"}"#)] {
        let response = send(addr, "POST", "/store", Some("Test 3"), body).await;
        assert_eq!(response.status, 503, "{body:?}: {response:?}");
        assert_eq!(response.header("retry-after"), Some("7"), "{response:?}");
    }
}

// ---------------------------------------------------------------------------
// Finding 4 (closed): on actix-web a caller the early gates refuse had every
// extractor run (only the answer was held): a resource loader queried the store,
// with its side effects and its timing, for a caller who gets 403.
// ---------------------------------------------------------------------------

static LOADS: AtomicUsize = AtomicUsize::new(0);

/// A loader that counts its store queries and finds nothing.
struct Loaded;

impl actix_web::FromRequest for Loaded {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(
        _request: &actix_web::HttpRequest,
        _payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        LOADS.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Err(actix_web::error::ErrorNotFound("no such thing")))
    }
}

#[requires(role("admin"))]
async fn loads_for_admins(user: Authenticated<User>, loaded: Loaded) -> &'static str {
    let _ = loaded;
    "loaded"
}

#[tokio::test]
async fn a_caller_the_early_gates_refuse_runs_no_loader_on_actix() {
    let authenticator = authenticator();
    let addr = serve_actix(move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(authenticator.clone()))
                .service(
                    auth_core::actix::SecureScope::new("")
                        .route("/loads", auth_core::actix::get(loads_for_admins)),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    });
    let before = LOADS.load(Ordering::SeqCst);
    let response = send(addr, "GET", "/loads", Some("Test 1"), None).await;
    assert_eq!(response.status, 403, "{response:?}");
    assert_eq!(LOADS.load(Ordering::SeqCst) - before, 0, "the loader ran");
}

// ---------------------------------------------------------------------------
// Since the fix of findings 1 and 2: a nested function and an associated
// function are found by their exact path, so they get their own early gates.
// ---------------------------------------------------------------------------

struct Admin;

impl Admin {
    #[requires(role("admin"))]
    async fn grant(user: Authenticated<User>, axum::Json(grant): axum::Json<Grant>) -> String {
        format!("granted {}", grant.secret_field_name)
    }
}

fn nested_admin_router() -> SecureRouter<SharedAuthenticator<User>> {
    #[requires(role("admin"))]
    async fn nested_grant(
        user: Authenticated<User>,
        axum::Json(grant): axum::Json<Grant>,
    ) -> String {
        format!("granted {}", grant.secret_field_name)
    }
    SecureRouter::new()
        .route("/nested", auth_core::axum::post(nested_grant))
        .route("/associated", auth_core::axum::post(Admin::grant))
}

#[tokio::test]
async fn nested_and_associated_handlers_get_their_own_early_gates() {
    let addr = serve_axum(nested_admin_router().with_state(authenticator())).await;
    for path in ["/nested", "/associated"] {
        for body in [None, Some("{"), Some(r#"{"name":"x"}"#)] {
            let response = send(addr, "POST", path, Some("Test 1"), body).await;
            assert_eq!(response.status, 403, "{path} {body:?}: {response:?}");
        }
        let admitted = send(addr, "POST", path, Some("Test 3"), Some("{")).await;
        assert_eq!(admitted.status, 400, "{path}: {admitted:?}");
        let granted = send(
            addr,
            "POST",
            path,
            Some("Test 3"),
            Some(r#"{"secret_field_name":"x"}"#),
        )
        .await;
        assert_eq!(
            (granted.status, granted.body.as_str()),
            (200, "granted x"),
            "{path}"
        );
    }
}

// ---------------------------------------------------------------------------
// Finding 5 (closed by an option): `#[requires]` on an associated function of a
// generic `impl` whose principal or `check(..)` predicate names the impl's type
// parameter compiled before 5d959fe and then did not: the early gates are a
// function nested in the handler, and a nested function cannot use the outer
// `impl`'s generic parameters (E0401). The macro sees only the function, not the
// `impl`, so it cannot tell; such a handler says `early = false` (the error names
// it: ui/fail/requires-generic-impl-needs-early-false). These compile.
// ---------------------------------------------------------------------------

#[allow(dead_code, unused_variables)]
mod generic_impl {
    use auth_core::{Authenticated, Decision, requires};
    use auth_tests::User;

    pub trait Rule {
        fn decide(user: &Authenticated<User>) -> Decision;
    }

    fn by_rule<R: Rule>(user: &Authenticated<User>) -> Decision {
        R::decide(user)
    }

    pub struct Api<R>(R);

    impl<R: Rule> Api<R> {
        #[requires(check(by_rule::<R>), early = false)]
        pub async fn ruled(user: Authenticated<User>) -> &'static str {
            "ruled"
        }
    }

    pub struct Users<U>(U);

    impl<U: Clone + Send + Sync + 'static> Users<U> {
        #[requires(authenticated, early = false)]
        pub async fn any_principal(user: Authenticated<U>) -> &'static str {
            "anyone"
        }
    }
}

// ---------------------------------------------------------------------------
// Held: a principal spelled with full paths, in a handler nested in a function,
// and a predicate generic over the principal get their early gates, and the
// nested early function compiles with them.
// ---------------------------------------------------------------------------

/// Generic over the principal's user type, inferred from the handler's.
fn even_id<U>(user: &Authenticated<U>) -> Decision {
    Decision::allow_if(
        user.subject().len().is_multiple_of(2),
        "even subject",
        "odd subject",
    )
}

fn spelled_router() -> SecureRouter<SharedAuthenticator<User>> {
    #[requires(check(even_id), role("admin"))]
    async fn spelled(
        user: auth_core::Authenticated<auth_tests::User>,
        axum::Json(grant): axum::Json<Grant>,
    ) -> String {
        format!("granted {}", grant.secret_field_name)
    }
    SecureRouter::new().route("/spelled", auth_core::axum::post(spelled))
}

#[tokio::test]
async fn a_nested_handler_with_a_generic_predicate_gets_its_early_gates() {
    let addr = serve_axum(spelled_router().with_state(authenticator())).await;
    // User 1 fails the predicate (subject "1"), and both lack the role.
    for who in ["Test 1", "Test 2"] {
        let response = send(addr, "POST", "/spelled", Some(who), Some("{")).await;
        assert_eq!(response.status, 403, "{who}: {response:?}");
    }
}

// ---------------------------------------------------------------------------
// Held: the early 403 is the body's 403, byte for byte (status, challenge,
// body), on both adapters. The control runs the same role gate in the body: an
// async predicate before it ends the early gates.
// ---------------------------------------------------------------------------

async fn allow_later(_user: &Authenticated<User>) -> Decision {
    Decision::allow("later")
}

#[requires(role("admin"))]
async fn role_early(user: Authenticated<User>) -> &'static str {
    "early"
}

#[requires(check(allow_later), role("admin"))]
async fn role_in_body(user: Authenticated<User>) -> &'static str {
    "body"
}

#[requires(scope("admin:write"))]
async fn scope_early(user: Authenticated<User>) -> &'static str {
    "early"
}

#[requires(check(allow_later), scope("admin:write"))]
async fn scope_in_body(user: Authenticated<User>) -> &'static str {
    "body"
}

async fn same_refusal_early_and_in_body(addr: SocketAddr) {
    for (early, body) in [
        ("/role-early", "/role-body"),
        ("/scope-early", "/scope-body"),
    ] {
        let early_refusal = send(addr, "GET", early, Some("Test 1"), None).await;
        let body_refusal = send(addr, "GET", body, Some("Test 1"), None).await;
        assert_eq!(early_refusal.status, 403, "{early_refusal:?}");
        assert_eq!(
            auth_adversarial::fingerprint(&early_refusal),
            auth_adversarial::fingerprint(&body_refusal),
            "{early} and {body} refuse differently"
        );
    }
}

#[tokio::test]
async fn an_early_refusal_is_the_bodys_refusal_on_axum() {
    use auth_core::axum::get;
    let app = SecureRouter::new()
        .route("/role-early", get(role_early))
        .route("/role-body", get(role_in_body))
        .route("/scope-early", get(scope_early))
        .route("/scope-body", get(scope_in_body))
        .with_state(authenticator());
    same_refusal_early_and_in_body(serve_axum(app).await).await;
}

#[tokio::test]
async fn an_early_refusal_is_the_bodys_refusal_on_actix() {
    refusals_on_actix(authenticator()).await;
    // Without a realm of its own, too.
    refusals_on_actix(SharedAuthenticator::new(Probe::new())).await;
}

#[tokio::test]
async fn an_early_refusal_is_the_bodys_refusal_without_a_realm_on_axum() {
    use auth_core::axum::get;
    let app = SecureRouter::new()
        .route("/role-early", get(role_early))
        .route("/role-body", get(role_in_body))
        .route("/scope-early", get(scope_early))
        .route("/scope-body", get(scope_in_body))
        .with_state(SharedAuthenticator::new(Probe::new()));
    same_refusal_early_and_in_body(serve_axum(app).await).await;
}

async fn refusals_on_actix(authenticator: SharedAuthenticator<User>) {
    use auth_core::actix::get;
    let addr = serve_actix(move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(authenticator.clone()))
                .service(
                    auth_core::actix::SecureScope::new("")
                        .route("/role-early", get(role_early))
                        .route("/role-body", get(role_in_body))
                        .route("/scope-early", get(scope_early))
                        .route("/scope-body", get(scope_in_body)),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    });
    same_refusal_early_and_in_body(addr).await;
}

// ---------------------------------------------------------------------------
// Held: an attribute above `#[requires]` that moves the body into a block of its
// own (`#[tracing::instrument]` on an `async fn`) keeps the early gates found.
// ---------------------------------------------------------------------------

#[tracing::instrument(skip_all)]
#[requires(role("admin"))]
async fn instrumented(user: Authenticated<User>, axum::Json(grant): axum::Json<Grant>) -> String {
    format!("granted {}", grant.secret_field_name)
}

#[tokio::test]
async fn an_instrumented_handler_keeps_its_early_gates() {
    let app = SecureRouter::new()
        .route("/instrumented", auth_core::axum::post(instrumented))
        .with_state(authenticator());
    let addr = serve_axum(app).await;
    let refused = send(addr, "POST", "/instrumented", Some("Test 1"), Some("{")).await;
    assert_eq!(refused.status, 403, "{refused:?}");
    let admitted = send(addr, "POST", "/instrumented", Some("Test 3"), Some("{")).await;
    assert_eq!(admitted.status, 400, "{admitted:?}");
}
