//! G5, three-valued decisions: a gate that cannot decide fails closed.
//!
//! The attack: take down what a gate reads (a suspension list, a limits store)
//! and hope the library turns "could not decide" into an allow somewhere: a
//! `not(..)` that flips a failure, an `any(..)` that skips it, a policy error
//! that becomes a denial a `not(..)` then allows, a list that silently drops the
//! rows it could not decide on. Every such place must answer 503 with the
//! `Retry-After` the gate gave, and never run the handler's body.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::web;
use auth_adversarial::{Document, Probe, get, serve_actix_scope, serve_axum};
use auth_core::{
    Action, AsyncPolicy, AuthError, Authenticated, Decision, Guarded, Outcome, Policy,
    SharedAuthenticator, requires,
};
use auth_tests::{Counter, User, sign_in};

/// How long the suspension list says it will be down.
const RETRY: Duration = Duration::from_secs(7);

/// A `check(..)` predicate whose store is down.
pub fn suspension_list(_user: &Authenticated<User>) -> Decision {
    Decision::unavailable("suspension list", Some(RETRY))
}

/// The same predicate, awaiting its store first.
pub async fn suspension_list_async(_user: &Authenticated<User>) -> Decision {
    tokio::task::yield_now().await;
    Decision::unavailable("suspension list", Some(RETRY))
}

/// Inspecting a document: a policy that asks a store, which is down.
#[derive(Action)]
pub struct Inspect;

impl AsyncPolicy<Document> for Inspect {
    type Principal = User;
    type State = ();

    async fn decide(_user: &Authenticated<User>, _document: &Document, (): &()) -> Decision {
        tokio::task::yield_now().await;
        Decision::unavailable("suspension list", Some(RETRY))
    }
}

/// Listing documents: the owner's are allowed, others denied, and the store that
/// decides on document 13 is down.
#[derive(Action)]
pub struct Skim;

impl Policy<Document> for Skim {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, document: &Document, (): &()) -> Decision {
        if document.id == 13 {
            Decision::unavailable("suspension list", Some(RETRY))
        } else {
            Decision::allow_if(document.owner_id == user.id, "owner", "not the owner")
        }
    }
}

// ---- over HTTP ----------------------------------------------------------------

static BODIES: Counter = Counter::new();

#[requires(check(suspension_list))]
async fn checked(user: Authenticated<User>) -> &'static str {
    BODIES.hit();
    "ran"
}

#[requires(check(suspension_list_async))]
async fn checked_async(user: Authenticated<User>) -> &'static str {
    BODIES.hit();
    "ran"
}

#[requires(not(check(suspension_list)))]
async fn negated(user: Authenticated<User>) -> &'static str {
    BODIES.hit();
    "ran"
}

#[requires(any(check(suspension_list), role("nobody")))]
async fn either(user: Authenticated<User>) -> &'static str {
    BODIES.hit();
    "ran"
}

#[requires(all(authenticated, check(suspension_list_async)))]
async fn both(user: Authenticated<User>) -> &'static str {
    BODIES.hit();
    "ran"
}

#[requires(Inspect(document))]
async fn inspect(user: Authenticated<User>, document: Document) -> String {
    BODIES.hit();
    format!("inspected {}", document.id)
}

/// Another branch allows: an outage elsewhere is no reason to refuse.
static RESCUED: Counter = Counter::new();

#[requires(any(check(suspension_list), authenticated))]
async fn rescued(user: Authenticated<User>) -> &'static str {
    RESCUED.hit();
    "ran"
}

/// The rows of a listing: `?with=13` adds the one whose policy cannot decide.
#[derive(serde::Deserialize)]
struct Rows {
    with: Option<u64>,
}

fn rows(with: Option<u64>) -> Vec<Document> {
    let mut rows = vec![
        Document { id: 1, owner_id: 1 },
        Document { id: 2, owner_id: 2 },
        Document { id: 4, owner_id: 1 },
    ];
    rows.extend(with.map(|id| Document { id, owner_id: 1 }));
    rows
}

fn listed(user: &Authenticated<User>, with: Option<u64>) -> Result<String, AuthError> {
    let permits = user.filter_authorized::<Skim, _>(rows(with), &())?;
    Ok(permits
        .iter()
        .map(|permit| permit.id.to_string())
        .collect::<Vec<_>>()
        .join(","))
}

#[requires(authenticated)]
async fn list_on_axum(
    user: Authenticated<User>,
    axum::extract::Query(query): axum::extract::Query<Rows>,
) -> Result<String, AuthError> {
    listed(&user, query.with)
}

#[requires(authenticated)]
async fn list_on_actix(
    user: Authenticated<User>,
    query: web::Query<Rows>,
) -> Result<String, AuthError> {
    listed(&user, query.with)
}

const OUTAGES: [&str; 6] = [
    "/checked",
    "/checked-async",
    "/negated",
    "/either",
    "/both",
    "/inspect/1",
];

async fn start_axum() -> SocketAddr {
    use auth_core::axum::{SecureRouter, get};
    let app = SecureRouter::new()
        .route("/checked", get(checked))
        .route("/checked-async", get(checked_async))
        .route("/negated", get(negated))
        .route("/either", get(either))
        .route("/both", get(both))
        .route("/inspect/{id}", get(inspect))
        .route("/rescued", get(rescued))
        .route("/list", get(list_on_axum))
        .with_state(SharedAuthenticator::new(Probe::new()).with_realm("fail-open"));
    serve_axum(app).await
}

fn start_actix() -> SocketAddr {
    use auth_core::actix::{SecureScope, get};
    serve_actix_scope(
        SharedAuthenticator::new(Probe::new()).with_realm("fail-open"),
        || {
            SecureScope::new("")
                .route("/checked", get(checked))
                .route("/checked-async", get(checked_async))
                .route("/negated", get(negated))
                .route("/either", get(either))
                .route("/both", get(both))
                .route("/inspect/{id}", get(inspect))
                .route("/rescued", get(rescued))
                .route("/list", get(list_on_actix))
        },
    )
}

const UNAVAILABLE_BODY: &str = r#"{"error":"temporarily_unavailable","error_description":"the service cannot verify access right now"}"#;

fn assert_503(what: &str, response: &auth_integration::client::Response) {
    assert_eq!(
        (
            response.status,
            response.header("retry-after"),
            response.header("www-authenticate"),
            response.body.as_str()
        ),
        (503, Some("7"), None, UNAVAILABLE_BODY),
        "{what}"
    );
}

#[tokio::test]
async fn an_unavailable_gate_answers_503_with_retry_after_and_never_runs_the_body() {
    let axum = start_axum().await;
    let actix = start_actix();
    for addr in [axum, actix] {
        for path in OUTAGES {
            // User 1 owns document 1: `View` allows, then `Inspect` cannot decide.
            assert_503(path, &get(addr, path, Some("Test 1")).await);
        }
        let rescued = get(addr, "/rescued", Some("Test 1")).await;
        assert_eq!((rescued.status, rescued.body.as_str()), (200, "ran"));
    }
    assert_eq!(BODIES.get(), 0, "no body ran on an outage");
    assert_eq!(RESCUED.get(), 2);
}

#[tokio::test]
async fn a_list_with_a_row_its_policy_cannot_decide_fails_whole_not_shorter() {
    let axum = start_axum().await;
    let actix = start_actix();
    for addr in [axum, actix] {
        let complete = get(addr, "/list", Some("Test 1")).await;
        assert_eq!((complete.status, complete.body.as_str()), (200, "1,4"));
        assert_503(
            "/list?with=13",
            &get(addr, "/list?with=13", Some("Test 1")).await,
        );
        // A row that is only denied is dropped, as before.
        let denied = get(addr, "/list?with=5", Some("Test 2")).await;
        assert_eq!((denied.status, denied.body.as_str()), (200, "2"));
    }
}

// ---- the combinators, called directly -------------------------------------------

static TABLE_BODIES: Counter = Counter::new();

#[requires(check(suspension_list))]
fn check_alone(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(not(check(suspension_list)))]
fn not_check(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(not(not(check(suspension_list))))]
fn not_not_check(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(any(check(suspension_list), role("nobody")))]
fn any_check_then_deny(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(any(role("nobody"), check(suspension_list)))]
fn any_deny_then_check(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(any(scope("orders:write"), check(suspension_list)))]
fn any_missing_scope_then_check(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(any(check(suspension_list), not(authenticated)))]
fn any_check_then_not_found(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(any(not(check(suspension_list)), role("nobody")))]
fn any_not_check_then_deny(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(not(any(check(suspension_list), role("nobody"))))]
fn not_any_check_or_deny(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(all(authenticated, check(suspension_list)))]
fn all_allow_then_check(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(all(check(suspension_list), role("nobody")))]
fn all_check_then_deny(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(not(all(authenticated, check(suspension_list))))]
fn not_all_allow_and_check(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(all(any(check(suspension_list), role("nobody")), authenticated))]
fn all_of_any_with_check(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(check(suspension_list), role("customer"))]
fn check_then_role_as_two_gates(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(role("customer"), check(suspension_list))]
fn role_then_check_as_two_gates(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(any(check(suspension_list), authenticated))]
fn any_check_then_allow(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(any(authenticated, check(suspension_list)))]
fn any_allow_then_check(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(all(role("nobody"), check(suspension_list)))]
fn all_deny_then_check(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

#[requires(role("nobody"), check(suspension_list))]
fn deny_then_check_as_two_gates(user: Authenticated<User>) -> u8 {
    TABLE_BODIES.hit();
    1
}

type Handler = fn(Authenticated<User>) -> Guarded<u8, Authenticated<User>>;

#[test]
fn no_combinator_turns_an_outage_into_an_allow() {
    use Outcome::{Allow, Deny, Unavailable};
    let table: [(&str, Handler, Outcome); 19] = [
        ("check", check_alone, Unavailable),
        ("not(check)", not_check, Unavailable),
        ("not(not(check))", not_not_check, Unavailable),
        ("any(check, deny)", any_check_then_deny, Unavailable),
        ("any(deny, check)", any_deny_then_check, Unavailable),
        (
            "any(missing scope, check)",
            any_missing_scope_then_check,
            Unavailable,
        ),
        (
            "any(check, not(authenticated))",
            any_check_then_not_found,
            Unavailable,
        ),
        (
            "any(not(check), deny)",
            any_not_check_then_deny,
            Unavailable,
        ),
        ("not(any(check, deny))", not_any_check_or_deny, Unavailable),
        ("all(allow, check)", all_allow_then_check, Unavailable),
        ("all(check, deny)", all_check_then_deny, Unavailable),
        (
            "not(all(allow, check))",
            not_all_allow_and_check,
            Unavailable,
        ),
        (
            "all(any(check, deny), allow)",
            all_of_any_with_check,
            Unavailable,
        ),
        ("check, role", check_then_role_as_two_gates, Unavailable),
        ("role, check", role_then_check_as_two_gates, Unavailable),
        // An allow that does not depend on the missing answer stands.
        ("any(check, allow)", any_check_then_allow, Allow),
        ("any(allow, check)", any_allow_then_check, Allow),
        // A denial that does not depend on it stands too (a closed answer).
        ("all(deny, check)", all_deny_then_check, Deny),
        ("deny, check", deny_then_check_as_two_gates, Deny),
    ];
    let mut allowed = 0;
    for (gates, handler, want) in table {
        let customer = sign_in(1, "");
        let outcome = match handler(customer).into_result() {
            Ok(_) => {
                allowed += 1;
                Allow
            }
            Err(error @ AuthError::Unavailable { .. }) => {
                assert_eq!(error.retry_after(), Some(RETRY), "{gates}");
                assert_eq!(error.status().as_u16(), 503, "{gates}");
                Unavailable
            }
            Err(AuthError::Forbidden { .. }) => Deny,
            Err(other) => panic!("{gates}: {other:?}"),
        };
        assert_eq!(outcome, want, "{gates}");
    }
    assert_eq!(TABLE_BODIES.get(), allowed, "a body ran only when allowed");
}

#[test]
fn an_unavailable_resource_policy_is_a_503_in_a_function_body_too() {
    let customer = sign_in(1, "");
    let document = Document { id: 1, owner_id: 1 };
    let decided = auth_tests::block_on(customer.authorize_async::<Inspect, _>(document, &()));
    let Err(error) = decided else {
        panic!("an outage minted a permit")
    };
    assert_eq!(
        (error.status().as_u16(), error.retry_after()),
        (503, Some(RETRY))
    );
}

#[test]
fn an_unbounded_retry_after_neither_panics_nor_invites_an_early_retry() {
    // A gate may pass on what its store said, `Duration::MAX` for "not soon".
    // Rounding it up to whole seconds used to overflow: a panic in a debug
    // build, and `Retry-After: 1` (retry at once) in a release build.
    for after in [Duration::MAX, Duration::new(u64::MAX, 1)] {
        let decision = Decision::unavailable("suspension list", Some(after));
        assert_eq!(decision.outcome(), Outcome::Unavailable);
        let Err(error) = decision.into_result() else {
            panic!("an outage allowed")
        };
        assert_eq!(
            error.retry_after(),
            Some(Duration::from_secs(u64::from(u32::MAX))),
            "as late as the header says"
        );
    }
}
