//! The guarantees of the gates, as behaviour: the body of a `#[requires]` handler
//! runs only when every gate allowed (G4), authentication failures win over
//! authorization failures (G5), combinators follow their truth tables, and
//! every decision reaches the audit log with its reason, which never reaches the
//! client (G9).

use auth_core::mount::SecureRoutes;
use auth_core::{AuthError, Authenticated, Guarded, Outcome, public, requires};
use auth_tests::audit::capture;
use auth_tests::{
    Approve, Counter, Delete, Invoice, Limits, Order, Read, TestAuthenticator, Update, User,
    anonymous_request, block_on, request_as, sign_in,
};
use http::StatusCode;

const ALICE: u64 = 1; // customer
const BOB: u64 = 2; // customer, permission orders.refund
const CAROL: u64 = 3; // admin, permission orders.delete

fn status<T, C>(out: Guarded<T, C>) -> u16 {
    out.into_result()
        .map_or_else(|e| e.status().as_u16(), |_| 200)
}

/// Runs `handler` and reports its status and whether its body ran.
fn run<T, C>(handler: impl FnOnce(&Counter) -> Guarded<T, C>) -> (u16, usize) {
    let counter = Counter::new();
    let status = status(handler(&counter));
    (status, counter.get())
}

// One handler per gate kind; each body records that it ran.

#[requires(authenticated)]
fn gate_authenticated(_user: Authenticated<User>, ran: &Counter) {
    ran.hit();
}

#[requires(role("admin"))]
fn gate_role(_user: Authenticated<User>, ran: &Counter) {
    ran.hit();
}

#[requires(scope("orders:write"))]
fn gate_scope(_user: Authenticated<User>, ran: &Counter) {
    ran.hit();
}

#[requires(permission("orders.refund"))]
fn gate_permission(_user: Authenticated<User>, ran: &Counter) {
    ran.hit();
}

#[requires(check(auth_tests::even_id))]
fn gate_check(_user: Authenticated<User>, ran: &Counter) {
    ran.hit();
}

#[requires(Read(order))]
fn gate_read(_user: Authenticated<User>, order: Order, ran: &Counter) -> u64 {
    ran.hit();
    order.id
}

#[requires(Update(order))]
fn gate_update(_user: Authenticated<User>, order: Order, ran: &Counter) -> u64 {
    ran.hit();
    order.id
}

#[requires(Approve(invoice), state = limits)]
async fn gate_async_policy(
    _user: Authenticated<User>,
    limits: &Limits,
    invoice: Invoice,
    ran: &Counter,
) -> u64 {
    let _ = limits;
    ran.hit();
    invoice.id
}

#[requires(role("customer"), scope("orders:write"), Delete(order))]
fn gate_three(_user: Authenticated<User>, order: Order, ran: &Counter) -> u64 {
    ran.hit();
    order.id
}

fn alices_order() -> Order {
    Order {
        id: 100,
        owner_id: ALICE,
    }
}

#[test]
fn each_gate_runs_the_body_only_when_it_allows() {
    // (case, (status, body runs) observed, expected)
    type Case = (&'static str, (u16, usize), (u16, usize));
    let cases: Vec<Case> = vec![
        (
            "authenticated",
            run(|c| gate_authenticated(sign_in(ALICE, ""), c)),
            (200, 1),
        ),
        (
            "role allow",
            run(|c| gate_role(sign_in(CAROL, ""), c)),
            (200, 1),
        ),
        (
            "role deny",
            run(|c| gate_role(sign_in(ALICE, ""), c)),
            (403, 0),
        ),
        (
            "scope allow",
            run(|c| gate_scope(sign_in(ALICE, "orders:write"), c)),
            (200, 1),
        ),
        (
            "scope deny",
            run(|c| gate_scope(sign_in(ALICE, "orders:read"), c)),
            (403, 0),
        ),
        (
            "permission allow",
            run(|c| gate_permission(sign_in(BOB, ""), c)),
            (200, 1),
        ),
        (
            "permission deny",
            run(|c| gate_permission(sign_in(CAROL, ""), c)),
            (403, 0),
        ),
        (
            "check allow",
            run(|c| gate_check(sign_in(BOB, ""), c)),
            (200, 1),
        ),
        (
            "check deny",
            run(|c| gate_check(sign_in(ALICE, ""), c)),
            (403, 0),
        ),
        (
            "resource owner",
            run(|c| gate_update(sign_in(ALICE, ""), alices_order(), c)),
            (200, 1),
        ),
        (
            "resource admin",
            run(|c| gate_update(sign_in(CAROL, ""), alices_order(), c)),
            (200, 1),
        ),
        (
            "resource other user: 403",
            run(|c| gate_update(sign_in(BOB, ""), alices_order(), c)),
            (403, 0),
        ),
        (
            "resource hidden: 404",
            run(|c| gate_read(sign_in(BOB, ""), alices_order(), c)),
            (404, 0),
        ),
        (
            "three gates, all allow",
            run(|c| gate_three(sign_in(ALICE, "orders:write"), alices_order(), c)),
            (200, 1),
        ),
        (
            "three gates, scope missing",
            run(|c| gate_three(sign_in(ALICE, ""), alices_order(), c)),
            (403, 0),
        ),
        (
            "three gates, not the owner",
            run(|c| gate_three(sign_in(BOB, "orders:write"), alices_order(), c)),
            (403, 0),
        ),
        (
            "three gates, admin lacks the customer role",
            run(|c| gate_three(sign_in(CAROL, "orders:write"), alices_order(), c)),
            (403, 0),
        ),
    ];
    for (name, got, want) in cases {
        assert_eq!(got, want, "{name}: (status, body runs)");
    }
}

#[test]
fn async_policy_runs_the_body_only_when_it_allows() {
    let limits = Limits::default();
    let invoice = Invoice {
        id: 7,
        owner_id: ALICE,
    };
    let ran = Counter::new();
    let out = block_on(gate_async_policy(
        sign_in(ALICE, ""),
        &limits,
        invoice.clone(),
        &ran,
    ));
    assert_eq!((status(out), ran.get()), (403, 0));
    assert_eq!(
        limits.lookups.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the policy consulted its state"
    );

    limits
        .approvers
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(ALICE);
    let out = block_on(gate_async_policy(
        sign_in(ALICE, ""),
        &limits,
        invoice,
        &ran,
    ));
    assert_eq!((status(out), ran.get()), (200, 1));
}

#[test]
fn a_denied_scope_names_the_scope_in_the_challenge() {
    let counter = Counter::new();
    let err = gate_scope(sign_in(ALICE, "orders:read"), &counter)
        .into_result()
        .expect_err("denied");
    let response = err.response("orders-api");
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(
        response.www_authenticate.as_deref(),
        Some(
            r#"Bearer realm="orders-api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:write""#
        )
    );
}

// --- 401 beats 403 ---------------------------------------------------------

#[requires(role("admin"))]
fn admin_only(_user: Authenticated<User>, ran: &Counter) -> &'static str {
    ran.hit();
    "purged"
}

#[public]
fn open(ran: &Counter) -> &'static str {
    ran.hit();
    "open"
}

#[test]
fn authentication_failures_win_over_authorization() {
    let ran = Counter::new();
    let routes = SecureRoutes::<&str, User, Counter, &'static str>::new()
        .route("admin", admin_only)
        .route("open", open);
    let auth = TestAuthenticator::default();
    let dispatch = |key: &str, head| {
        block_on(routes.dispatch(&key, &auth, &head, &ran)).expect("route exists")
    };

    // No credentials on a handler a customer could not pass anyway: 401, not 403.
    let err = dispatch("admin", anonymous_request()).expect_err("no credentials");
    assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        err.response("api").www_authenticate.as_deref(),
        Some(r#"Bearer realm="api""#),
        "no credentials: a challenge without `error`"
    );
    // A credential that fails verification: 401 invalid_token.
    let err = dispatch("admin", request_as(999, "")).expect_err("unknown user");
    assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(err.code(), "invalid_token");
    // Two credentials: 400 invalid_request.
    let mut two = request_as(ALICE, "");
    two.headers.append(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_static("Test 3"),
    );
    assert_eq!(
        dispatch("admin", two).expect_err("two").status(),
        StatusCode::BAD_REQUEST
    );
    // Authenticated but not allowed: 403.
    let err = dispatch("admin", request_as(ALICE, "")).expect_err("customer");
    assert_eq!(err.status(), StatusCode::FORBIDDEN);
    assert_eq!(ran.get(), 0, "no body ran on 400/401/403");

    assert_eq!(
        dispatch("admin", request_as(CAROL, "")).ok(),
        Some("purged")
    );
    // A public handler runs without credentials and never authenticates.
    assert_eq!(dispatch("open", anonymous_request()).ok(), Some("open"));
    assert_eq!(dispatch("open", request_as(999, "")).ok(), Some("open"));
    assert_eq!(ran.get(), 3);
}

// --- combinators: truth tables ------------------------------------------------

#[requires(any(scope("a"), scope("b")))]
fn any_ab(_user: Authenticated<User>) {}

#[requires(all(scope("a"), scope("b")))]
fn all_ab(_user: Authenticated<User>) {}

#[requires(not(scope("a")))]
fn not_a(_user: Authenticated<User>) {}

#[requires(scope("a"), scope("b"))]
fn both_listed(_user: Authenticated<User>) {}

#[requires(any(all(scope("a"), scope("b")), not(scope("a"))))]
fn a_implies_b(_user: Authenticated<User>) {}

#[requires(all(any(scope("a"), scope("b")), not(all(scope("a"), scope("b")))))]
fn xor_ab(_user: Authenticated<User>) {}

#[test]
fn combinators_follow_their_truth_tables() {
    type Handler = fn(Authenticated<User>) -> Guarded<(), Authenticated<User>>;
    let allowed = |f: Handler, scopes: &str| f(sign_in(ALICE, scopes)).into_result().is_ok();
    // scopes, then: any(a,b), all(a,b), not(a), `a, b` listed, a → b, a xor b
    let table = [
        ("", [false, false, true, false, true, false]),
        ("a", [true, false, false, false, false, true]),
        ("b", [true, false, true, false, true, true]),
        ("a b", [true, true, false, true, true, false]),
    ];
    let handlers: [(&str, Handler); 6] = [
        ("any(a, b)", any_ab),
        ("all(a, b)", all_ab),
        ("not(a)", not_a),
        ("a, b", both_listed),
        ("a → b", a_implies_b),
        ("a xor b", xor_ab),
    ];
    for (scopes, expected) in table {
        for ((name, handler), want) in handlers.iter().zip(expected) {
            assert_eq!(
                allowed(*handler, scopes),
                want,
                "{name} with scopes {scopes:?}"
            );
        }
    }
}

#[test]
fn any_merges_missing_scopes_into_one_challenge() {
    let err = any_ab(sign_in(ALICE, "c"))
        .into_result()
        .expect_err("neither scope");
    assert!(matches!(&err, AuthError::InsufficientScope { scope } if scope == "a b"));
    let challenge = err.response("api").www_authenticate.unwrap_or_default();
    assert!(challenge.ends_with(r#"scope="a b""#), "{challenge}");
}

#[test]
fn decisions_merge_with_the_strongest_denial() {
    use auth_core::{All, Any, Decision};
    let mut any = Any::new();
    let _ = any.push(Decision::deny("no"));
    let _ = any.push(Decision::not_found("hidden"));
    let _ = any.push(Decision::insufficient_scope("x"));
    assert_eq!(
        any.finish().outcome(),
        Outcome::NotFound,
        "hiding existence wins"
    );

    let mut all = All::new();
    assert!(all.push(Decision::allow("yes")).is_continue());
    assert!(all.push(Decision::deny("first denial")).is_break());
    let decision = all.finish();
    assert_eq!(
        (decision.outcome(), &*decision.reason()),
        (Outcome::Deny, "first denial")
    );

    assert!(
        !All::new().finish().is_allowed(),
        "all() of nothing never allows"
    );
    assert!(
        !Any::new().finish().is_allowed(),
        "any() of nothing never allows"
    );
}

// --- audit --------------------------------------------------------------------

#[test]
fn reasons_reach_the_audit_log_and_never_the_client() {
    let ran = Counter::new();
    let (out, events) = capture(|| gate_update(sign_in(BOB, ""), alices_order(), &ran));
    let err = out.into_result().expect_err("bob is not the owner");

    let reason = "not the owner of the order";
    let event = events
        .iter()
        .find(|e| e.get("decision").map(String::as_str) == Some("deny"))
        .expect("a deny event");
    assert_eq!(event.get("reason").map(String::as_str), Some(reason));
    assert_eq!(event.get("principal").map(String::as_str), Some("2"));
    assert_eq!(event.get("action").map(String::as_str), Some("update"));
    assert_eq!(event.get("resource").map(String::as_str), Some("order:100"));
    assert_eq!(event.get("rule").map(String::as_str), Some("Update(order)"));
    assert_eq!(
        event.get("handler").map(String::as_str),
        Some("gate_update")
    );

    assert!(!err.to_string().contains(reason), "Display: {err}");
    let response = err.response("api");
    assert!(!response.json_body().contains(reason));
    assert!(
        !response
            .www_authenticate
            .unwrap_or_default()
            .contains(reason)
    );
}

#[test]
fn every_allow_is_audited_too() {
    let ran = Counter::new();
    let (_, events) = capture(|| gate_three(sign_in(ALICE, "orders:write"), alices_order(), &ran));
    let decisions: Vec<(&str, &str)> = events
        .iter()
        .filter_map(|e| Some((e.get("rule")?.as_str(), e.get("decision")?.as_str())))
        .collect();
    assert_eq!(
        decisions,
        [
            (r#"role("customer")"#, "allow"),
            (r#"scope("orders:write")"#, "allow"),
            ("Delete(order)", "allow"),
        ]
    );
}

#[test]
fn authentication_is_audited_without_the_credential() {
    let auth = TestAuthenticator::default();
    let (results, events) = capture(|| {
        (
            block_on(auth_core::authenticate(
                &auth,
                &request_as(ALICE, "orders:read"),
            ))
            .is_ok(),
            block_on(auth_core::authenticate(&auth, &request_as(999, ""))).is_err(),
        )
    });
    assert_eq!(results, (true, true));
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0].get("decision").map(String::as_str),
        Some("authenticated")
    );
    assert_eq!(events[0].get("principal").map(String::as_str), Some("1"));
    assert_eq!(
        events[1].get("decision").map(String::as_str),
        Some("unauthenticated")
    );
    assert_eq!(
        events[1].get("error").map(String::as_str),
        Some("invalid_token")
    );
    for event in &events {
        for value in event.values() {
            assert!(!value.contains("Test "), "the credential leaked: {value}");
        }
    }
}

#[test]
fn lists_go_through_the_single_object_policy() {
    let alice = sign_in(ALICE, "");
    let rows = vec![
        Order {
            id: 1,
            owner_id: ALICE,
        },
        Order {
            id: 2,
            owner_id: BOB,
        },
        Order {
            id: 3,
            owner_id: ALICE,
        },
    ];
    let permits = alice
        .filter_authorized::<Read, _>(rows.clone(), &())
        .expect("the policy decides every row");
    let ids: Vec<u64> = permits.iter().map(|p| p.id).collect();
    assert_eq!(ids, [1, 3]);
    let carol = sign_in(CAROL, "");
    assert_eq!(
        carol
            .filter_authorized::<Read, _>(rows, &())
            .map(|permits| permits.len())
            .ok(),
        Some(3)
    );
}

#[requires(not(role("suspended")), not(not(permission("orders.delete"))))]
fn not_suspended(_user: Authenticated<User>) {}

#[test]
fn denial_reasons_of_built_in_gates_reach_the_audit_log_through_not() {
    // Built-in gates and `not(..)` format their reasons only when audited: the
    // text must be what the eager `format!` used to write.
    let (out, events) = capture(|| not_suspended(sign_in(CAROL, "")));
    assert!(out.into_result().is_ok(), "carol is not suspended");
    let reasons: Vec<(&str, &str)> = events
        .iter()
        .filter_map(|e| Some((e.get("decision")?.as_str(), e.get("reason")?.as_str())))
        .collect();
    assert_eq!(
        reasons,
        [
            ("allow", "not: role `suspended` not held"),
            ("allow", "not: not: permission granted"),
        ]
    );

    let (out, events) = capture(|| not_suspended(sign_in(ALICE, "")));
    let err = out.into_result().expect_err("alice lacks orders.delete");
    let reason = "not: not: permission `orders.delete` not held";
    assert!(matches!(&err, AuthError::Forbidden { reason: r } if r == reason));
    assert_eq!(
        events
            .last()
            .and_then(|e| e.get("reason"))
            .map(String::as_str),
        Some(reason)
    );
}

/// A door that vouches for everyone as a guest holding the admin role.
struct GuestDoor;

impl auth_core::Authenticator for GuestDoor {
    type User = User;

    async fn authenticate(
        &self,
        _: &http::request::Parts,
    ) -> Result<auth_core::Identity<User>, AuthError> {
        let user = User {
            id: 9,
            roles: vec!["admin"],
            permissions: vec![],
        };
        Ok(auth_core::Identity::new(
            user,
            "guest:9",
            auth_core::Mechanism::Guest,
        ))
    }
}

/// G4 and G9 for guests: a guest at a handler without `guests = true` is a 403
/// before any gate runs (its admin role is never asked), and the refusal is an
/// audit event naming the guest and why.
#[test]
fn a_refused_guest_is_an_audited_403_and_no_gate_runs() {
    let guest = block_on(auth_core::authenticate(&GuestDoor, &anonymous_request()))
        .expect("the door vouches");
    let ran = Counter::new();
    let (out, events) = capture(|| gate_role(guest, &ran));
    assert_eq!(status(out), 403);
    assert_eq!(ran.get(), 0, "the body ran for a guest");
    let refusal = events
        .iter()
        .find(|e| e.get("decision").map(String::as_str) == Some("deny"))
        .expect("a deny event");
    assert_eq!(
        refusal.get("principal").map(String::as_str),
        Some("guest:9")
    );
    assert_eq!(
        refusal.get("rule").map(String::as_str),
        Some("guests = false")
    );
    assert_eq!(
        refusal.get("reason").map(String::as_str),
        Some("guests may not call this handler")
    );
    assert!(
        !events
            .iter()
            .any(|e| e.get("rule").map(String::as_str) == Some(r#"role("admin")"#)),
        "a gate was asked about a guest: {events:?}"
    );
}
