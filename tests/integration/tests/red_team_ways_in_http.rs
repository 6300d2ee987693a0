//! Red team, second round: the reference service's ways in (sessions, CSRF, API
//! keys, guests, TOTP step-up, the one-chain rule), attacked over real HTTP.
//!
//! Each test is one attack (or a family of one attack's variants). A test that
//! passes is proof the door is shut; a finding fixed in the service keeps its test.
// An attack with its variants is one test, however many lines its variants take.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

mod orders_support;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use auth_core::mfa::TotpSecret;
use auth_integration::client as http;
use examples::service::DAVE_TOTP_SECRET;
use orders_support::{Framework, bearer, config, cookie_of, send, session};
use serde_json::{Value, json};

async fn start(extra: &[(&str, &str)]) -> SocketAddr {
    orders_support::start(Framework::Axum, &config(extra)).await
}

async fn login(addr: SocketAddr, who: &str) -> Value {
    let body =
        json!({ "email": format!("{who}@example.com"), "password": format!("{who}-password") });
    let response = http::call(addr, "POST", "/auth/login", None, Some(body)).await;
    assert_eq!(response.status, 200, "login of {who}: {}", response.body);
    response.json()
}

async fn me_with_cookie(addr: SocketAddr, cookie: &str) -> u16 {
    send(addr, "GET", "/me", &[("cookie", cookie)], None)
        .await
        .status
}

async fn api_key(addr: SocketAddr, token: &str, scopes: &[&str]) -> (String, String) {
    let created = http::call(
        addr,
        "POST",
        "/auth/api-keys",
        Some(token),
        Some(json!({ "name": "red team", "scopes": scopes })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let body = created.json();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["key"].as_str().unwrap().to_owned(),
    )
}

const ORDER: fn() -> Value = || json!({ "item": "tea", "amount": 300 });

// --- logout through the wrong door ------------------------------------------------

/// Finding (fixed): `POST /auth/logout` is the bearer logout, but it admitted
/// any principal. A session (or an API key) got a 204 "logged out" while its
/// session (key) lived on: a user who clicked "log out" on a shared computer
/// stayed signed in. The route now admits bearer tokens only (403 otherwise);
/// sessions end at `DELETE /auth/session`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_logout_never_answers_204_to_a_session_or_a_key_that_lives_on() {
    let addr = start(&[]).await;
    let alice = session(addr, "alice").await;
    let logout = send(addr, "POST", "/auth/logout", &alice.headers(), None).await;
    let session_after = me_with_cookie(addr, &alice.cookie).await;
    assert!(
        logout.status != 204 || session_after == 401,
        "a 204 logout left the session alive: {} then /me {session_after}",
        logout.status
    );
    assert_eq!(logout.status, 403, "{}", logout.body);

    let token = bearer(addr, "alice", None).await;
    let (_, key) = api_key(addr, &token, &["orders:read"]).await;
    let logout = send(addr, "POST", "/auth/logout", &[("x-api-key", &key)], None).await;
    assert_eq!(logout.status, 403, "{}", logout.body);
    // The bearer logout still works for a bearer.
    let logout = http::call(addr, "POST", "/auth/logout", Some(&token), None).await;
    assert_eq!(logout.status, 204, "{}", logout.body);
    assert_eq!(http::get(addr, "/me", Some(&token)).await.status, 401);
}

/// Finding (fixed): "log out everywhere" revoked every token but left every
/// server-side session of the user alive, on every instance: the remedy a
/// user reaches for after losing a device did not reach the browser session
/// on it. It now ends the sessions too, as a role change does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_out_everywhere_ends_the_sessions_too() {
    let addr = start(&[]).await;
    let stolen = session(addr, "alice").await;
    let other = session(addr, "alice").await;
    let bob = session(addr, "bob").await;
    let token = bearer(addr, "alice", None).await;
    let everywhere = http::call(addr, "POST", "/auth/logout-all", Some(&token), None).await;
    assert_eq!(everywhere.status, 204, "{}", everywhere.body);
    assert_eq!(me_with_cookie(addr, &stolen.cookie).await, 401);
    assert_eq!(me_with_cookie(addr, &other.cookie).await, 401);
    assert_eq!(
        me_with_cookie(addr, &bob.cookie).await,
        200,
        "only the caller's"
    );
    // From a session, the same (CSRF-checked, as every unsafe request).
    let fresh = session(addr, "alice").await;
    let forged = send(
        addr,
        "POST",
        "/auth/logout-all",
        &[("cookie", &fresh.cookie), ("sec-fetch-site", "cross-site")],
        None,
    )
    .await;
    assert_eq!(forged.status, 403);
    let everywhere = send(addr, "POST", "/auth/logout-all", &fresh.headers(), None).await;
    assert_eq!(everywhere.status, 204, "{}", everywhere.body);
    assert_eq!(me_with_cookie(addr, &fresh.cookie).await, 401);
}

// --- the session cookie -------------------------------------------------------------

/// Spellings of the cookie a lenient parser would accept as the session: a
/// longer name with the right prefix, the lowercase prefix, spaces around `=`,
/// the cookie twice. None is the session; none is a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_spellings_never_open_the_session() {
    let addr = start(&[]).await;
    let alice = session(addr, "alice").await;
    let id = alice.id.as_str();
    for (cookie, expected) in [
        (format!("__Host-orders_session2={id}"), 401),
        (format!("__host-orders_session={id}"), 401),
        (format!("orders_session={id}"), 401),
        (format!("__Secure-orders_session={id}"), 401),
        (format!("__Host-orders_session ={id}"), 401),
        (format!("__Host-orders_session= {id}x"), 401),
        (
            format!("__Host-orders_session={id}; __Host-orders_session={id}"),
            401,
        ),
        (format!("__Host-orders_session={id}, a=b"), 401),
        (format!("__Host-orders_session={}", id.to_uppercase()), 401),
        (format!("__Host-orders_session={}", &id[..42]), 401),
        (format!("__Host-orders_session={id}="), 401),
        (format!("__Host-orders_session=%{id}"), 401),
        // RFC 6265 allows the value in quotes: the same cookie.
        (format!("__Host-orders_session=\"{id}\""), 200),
        (format!("a=1;__Host-orders_session={id}"), 200),
    ] {
        assert_eq!(me_with_cookie(addr, &cookie).await, expected, "{cookie}");
    }
    // Twice across two `Cookie` headers.
    let twice = send(
        addr,
        "GET",
        "/me",
        &[("cookie", &alice.cookie), ("cookie", &alice.cookie)],
        None,
    )
    .await;
    assert_eq!(twice.status, 401);
}

/// Two credentials where one is bad, in every pairing: always the 400, never a
/// fallback to the good one (and never the 401 of the bad one, which would tell
/// the attacker which of the two was checked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_credential_beside_a_good_one_is_a_400_whichever_is_bad() {
    let addr = start(&[]).await;
    let alice = session(addr, "alice").await;
    let token = bearer(addr, "alice", None).await;
    let (_, key) = api_key(addr, &token, &["orders:read"]).await;
    let good_bearer = format!("Bearer {token}");
    let bad_cookie = "__Host-orders_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let bad_key = "oak_0000000000000000_x";
    for headers in [
        vec![
            ("cookie", alice.cookie.as_str()),
            ("authorization", "Bearer x.y.z"),
        ],
        vec![
            ("cookie", alice.cookie.as_str()),
            ("authorization", "Basic YTpi"),
        ],
        vec![("cookie", alice.cookie.as_str()), ("authorization", "")],
        vec![("cookie", alice.cookie.as_str()), ("x-api-key", bad_key)],
        vec![("cookie", alice.cookie.as_str()), ("x-api-key", "")],
        vec![
            ("cookie", bad_cookie),
            ("authorization", good_bearer.as_str()),
        ],
        vec![("cookie", bad_cookie), ("x-api-key", key.as_str())],
        vec![
            ("x-api-key", bad_key),
            ("authorization", good_bearer.as_str()),
        ],
        vec![
            ("x-api-key", key.as_str()),
            ("authorization", "Bearer x.y.z"),
        ],
    ] {
        let response = send(addr, "GET", "/orders", &headers, None).await;
        assert_eq!(response.status, 400, "{headers:?}: {}", response.body);
    }
}

// --- CSRF ---------------------------------------------------------------------------

/// Forgery variants on an unsafe request with a live session: another session's
/// token, an empty token, the token twice, `same-site`, `none`, `Origin: null`,
/// an untrusted origin, no origin headers, two `Sec-Fetch-Site`. All 403, and
/// none creates an order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_writes_with_a_live_session_are_403() {
    let addr = start(&[]).await;
    let alice = session(addr, "alice").await;
    let mallory = session(addr, "bob").await;
    let c = alice.cookie.as_str();
    let t = alice.csrf.as_str();
    let tt = format!("{t}, {t}");
    let cases: Vec<Vec<(&str, &str)>> = vec![
        // Another session's token (the attacker's own).
        vec![
            ("cookie", c),
            ("x-csrf-token", &mallory.csrf),
            ("sec-fetch-site", "same-origin"),
        ],
        vec![
            ("cookie", c),
            ("x-csrf-token", ""),
            ("sec-fetch-site", "same-origin"),
        ],
        vec![
            ("cookie", c),
            ("x-csrf-token", " "),
            ("sec-fetch-site", "same-origin"),
        ],
        vec![
            ("cookie", c),
            ("x-csrf-token", &tt),
            ("sec-fetch-site", "same-origin"),
        ],
        vec![
            ("cookie", c),
            ("x-csrf-token", t),
            ("x-csrf-token", t),
            ("sec-fetch-site", "same-origin"),
        ],
        vec![
            ("cookie", c),
            ("x-csrf-token", &alice.id),
            ("sec-fetch-site", "same-origin"),
        ],
        // The right token, from the wrong place.
        vec![
            ("cookie", c),
            ("x-csrf-token", t),
            ("sec-fetch-site", "same-site"),
        ],
        vec![
            ("cookie", c),
            ("x-csrf-token", t),
            ("sec-fetch-site", "none"),
        ],
        vec![
            ("cookie", c),
            ("x-csrf-token", t),
            ("sec-fetch-site", "cross-site"),
        ],
        vec![
            ("cookie", c),
            ("x-csrf-token", t),
            ("sec-fetch-site", "same-origin, cross-site"),
        ],
        vec![
            ("cookie", c),
            ("x-csrf-token", t),
            ("sec-fetch-site", "same-origin"),
            ("sec-fetch-site", "cross-site"),
        ],
        vec![("cookie", c), ("x-csrf-token", t), ("origin", "null")],
        vec![
            ("cookie", c),
            ("x-csrf-token", t),
            ("origin", "https://evil.example"),
        ],
        vec![
            ("cookie", c),
            ("x-csrf-token", t),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin"),
        ],
        vec![("cookie", c), ("x-csrf-token", t)],
    ];
    for headers in &cases {
        let response = send(addr, "POST", "/orders", headers, Some(ORDER())).await;
        assert_eq!(response.status, 403, "{headers:?}: {}", response.body);
    }
    let orders = send(addr, "GET", "/orders", &[("cookie", c)], None).await;
    assert_eq!(orders.status, 200);
    let before = orders.json()["items"].as_array().unwrap().len();
    // Method-override headers do not turn a forged POST into a safe GET.
    for (name, value) in [
        ("x-http-method-override", "GET"),
        ("x-http-method", "GET"),
        ("x-method-override", "GET"),
    ] {
        let response = send(
            addr,
            "POST",
            "/orders",
            &[
                ("cookie", c),
                ("sec-fetch-site", "cross-site"),
                (name, value),
            ],
            Some(ORDER()),
        )
        .await;
        assert_eq!(response.status, 403, "{name}: {}", response.body);
    }
    // Safe methods never reach the unsafe handler of their path: HEAD is the
    // GET (a read), OPTIONS and TRACE are served by nothing (405).
    for (method, expected) in [("HEAD", 200), ("OPTIONS", 405), ("TRACE", 405)] {
        let response = send(
            addr,
            method,
            "/orders/1",
            &[("cookie", c), ("sec-fetch-site", "cross-site")],
            None,
        )
        .await;
        assert_eq!(response.status, expected, "{method}: {}", response.body);
    }
    assert_eq!(
        send(addr, "GET", "/orders/1", &[("cookie", c)], None)
            .await
            .status,
        200,
        "alice's order 1 is still there"
    );
    let after = send(addr, "GET", "/orders", &[("cookie", c)], None)
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "no forged order was created");
}

/// Cross-site WebSocket hijacking: a `GET` handshake with the cookie from
/// another site is refused, even on a safe route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_site_websocket_handshake_with_the_cookie_is_refused() {
    let addr = start(&[]).await;
    let alice = session(addr, "alice").await;
    for upgrade in ["websocket", "WebSocket", "h2c, websocket"] {
        let response = send(
            addr,
            "GET",
            "/me",
            &[
                ("cookie", &alice.cookie),
                ("connection", "upgrade"),
                ("upgrade", upgrade),
                ("origin", "https://evil.example"),
                ("sec-websocket-version", "13"),
                ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ],
            None,
        )
        .await;
        assert_eq!(response.status, 403, "{upgrade}: {}", response.body);
    }
}

/// A refused (forged) request does not extend an idle session: a page of
/// another site that keeps posting cannot keep a victim's session alive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_do_not_extend_the_idle_timeout() {
    let addr = start(&[
        ("ORDERS_API_SESSION_IDLE_TIMEOUT", "2"),
        ("ORDERS_API_SESSION_ABSOLUTE_TIMEOUT", "60"),
    ])
    .await;
    let alice = session(addr, "alice").await;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let forged = send(
            addr,
            "POST",
            "/orders",
            &[("cookie", &alice.cookie), ("sec-fetch-site", "cross-site")],
            Some(ORDER()),
        )
        .await;
        assert!(
            forged.status == 403 || forged.status == 401,
            "{}",
            forged.status
        );
    }
    assert_eq!(me_with_cookie(addr, &alice.cookie).await, 401);
}

/// Session fixation through the step-up: rotation needs the session's own
/// CSRF token, and afterwards neither the old id nor the old token works, and a
/// logout of the new id leaves nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_cannot_be_forged_and_leaves_no_live_id_behind() {
    let addr = start(&[]).await;
    let dave = session(addr, "dave").await;
    let code = TotpSecret::from_base32(DAVE_TOTP_SECRET)
        .unwrap()
        .code_at(SystemTime::now());
    let forged = send(
        addr,
        "POST",
        "/auth/mfa/verify",
        &[("cookie", &dave.cookie), ("sec-fetch-site", "same-origin")],
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let verify = send(
        addr,
        "POST",
        "/auth/mfa/verify",
        &dave.headers(),
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(verify.status, 200, "{}", verify.body);
    let new_cookie = cookie_of(&verify);
    assert_eq!(me_with_cookie(addr, &dave.cookie).await, 401);
    // The old id cannot log out or rotate the new one.
    let old_logout = send(addr, "DELETE", "/auth/session", &dave.headers(), None).await;
    assert_eq!(old_logout.status, 401);
    assert_eq!(me_with_cookie(addr, &new_cookie).await, 200);
    let new_csrf = verify.json()["csrf_token"].as_str().unwrap().to_owned();
    let logout = send(
        addr,
        "DELETE",
        "/auth/session",
        &[
            ("cookie", &new_cookie),
            ("x-csrf-token", &new_csrf),
            ("sec-fetch-site", "same-origin"),
        ],
        None,
    )
    .await;
    assert_eq!(logout.status, 204);
    assert_eq!(me_with_cookie(addr, &new_cookie).await, 401);
    assert_eq!(me_with_cookie(addr, &dave.cookie).await, 401);
}

// --- step-up --------------------------------------------------------------------------

/// `amr`, `acr` and `auth_time` are the server's to write: a login body that
/// names them is refused, and a refresh of a stepped-up pair does not carry
/// the step-up on (its tokens fail `mfa` and `fresh`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_up_claims_cannot_be_chosen_or_refreshed_into_a_new_token() {
    let addr = start(&[]).await;
    for extra in [
        json!({"amr": ["pwd", "otp"]}),
        json!({"acr": "urn:auth-core:acr:mfa"}),
        json!({"auth_time": 9_999_999_999_u64}),
        json!({"roles": ["admin"]}),
    ] {
        let mut body = json!({"email": "alice@example.com", "password": "alice-password"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let response = http::call(addr, "POST", "/auth/login", None, Some(body)).await;
        assert_eq!(response.status, 400, "{extra}: {}", response.body);
    }
    let dave = login(addr, "dave").await;
    let access = dave["access_token"].as_str().unwrap();
    let code = TotpSecret::from_base32(DAVE_TOTP_SECRET)
        .unwrap()
        .code_at(SystemTime::now());
    let verify = http::call(
        addr,
        "POST",
        "/auth/mfa/verify",
        Some(access),
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(verify.status, 200, "{}", verify.body);
    let stepped = verify.json();
    let refreshed = http::call(
        addr,
        "POST",
        "/auth/refresh",
        None,
        Some(json!({ "refresh_token": stepped["refresh_token"] })),
    )
    .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let refreshed = refreshed.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let role_change = http::call(
        addr,
        "PUT",
        "/admin/users/2/roles",
        Some(&refreshed),
        Some(json!({"roles": ["customer"]})),
    )
    .await;
    assert_eq!(role_change.status, 401, "{}", role_change.body);
    assert!(
        role_change
            .header("www-authenticate")
            .unwrap()
            .contains("insufficient_user_authentication")
    );
    // The stepped-up token itself passes.
    let role_change = http::call(
        addr,
        "PUT",
        "/admin/users/2/roles",
        stepped["access_token"].as_str(),
        Some(json!({"roles": ["customer"]})),
    )
    .await;
    assert_eq!(role_change.status, 200, "{}", role_change.body);
}

/// TOTP: the code that confirmed an enrolment cannot be replayed to step up;
/// re-enrolling over an active factor needs a step-up (bearer and session);
/// malformed codes count against the limit; a code raced by concurrent
/// requests steps up once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_codes_do_not_cross_from_confirm_to_verify_and_races_step_up_once() {
    let addr = start(&[]).await;
    let alice = bearer(addr, "alice", None).await;
    let enroll = http::call(addr, "POST", "/auth/mfa/totp/enroll", Some(&alice), None).await;
    assert_eq!(enroll.status, 200, "{}", enroll.body);
    let secret = TotpSecret::from_base32(enroll.json()["secret"].as_str().unwrap()).unwrap();
    let now = SystemTime::now();
    let code = secret.code_at(now);
    let confirm = http::call(
        addr,
        "POST",
        "/auth/mfa/totp/confirm",
        Some(&alice),
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(confirm.status, 204, "{}", confirm.body);
    // The confirming code, and the code of the step before, are used up.
    for used in [code.clone(), secret.code_at(now - Duration::from_secs(30))] {
        let replay = http::call(
            addr,
            "POST",
            "/auth/mfa/verify",
            Some(&alice),
            Some(json!({ "code": used })),
        )
        .await;
        assert_eq!(replay.status, 400, "{}", replay.body);
    }
    // Re-enrolling over the active factor with a password alone: refused, by
    // bearer and by session alike.
    let again = http::call(addr, "POST", "/auth/mfa/totp/enroll", Some(&alice), None).await;
    assert_eq!(again.status, 401, "{}", again.body);
    let browser = session(addr, "alice").await;
    let again = send(
        addr,
        "POST",
        "/auth/mfa/totp/enroll",
        &browser.headers(),
        None,
    )
    .await;
    assert_eq!(again.status, 401, "{}", again.body);
    // The next step's code, raced by eight requests: one step-up.
    let next = secret.code_at(now + Duration::from_secs(30));
    let racers = (0..8).map(|_| {
        let (alice, next) = (alice.clone(), next.clone());
        tokio::spawn(async move {
            http::call(
                addr,
                "POST",
                "/auth/mfa/verify",
                Some(&alice),
                Some(json!({ "code": next })),
            )
            .await
            .status
        })
    });
    let mut statuses = Vec::new();
    for racer in racers.collect::<Vec<_>>() {
        statuses.push(racer.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 400, 429].contains(s)),
        "{statuses:?}"
    );

    // Malformed codes count: bob's factor (enrolled here) is throttled by them.
    let bob = bearer(addr, "bob", None).await;
    let enroll = http::call(addr, "POST", "/auth/mfa/totp/enroll", Some(&bob), None).await;
    let bob_secret = TotpSecret::from_base32(enroll.json()["secret"].as_str().unwrap()).unwrap();
    let confirm = http::call(
        addr,
        "POST",
        "/auth/mfa/totp/confirm",
        Some(&bob),
        Some(json!({ "code": bob_secret.code_at(SystemTime::now()) })),
    )
    .await;
    assert_eq!(confirm.status, 204, "{}", confirm.body);
    for bad in ["", "12345", "1234567", "abcdef", " 12345", "１２３４５６"] {
        let response = http::call(
            addr,
            "POST",
            "/auth/mfa/verify",
            Some(&bob),
            Some(json!({ "code": bad })),
        )
        .await;
        assert!(
            [400, 429].contains(&response.status),
            "{bad:?}: {}",
            response.body
        );
    }
    let right = http::call(
        addr,
        "POST",
        "/auth/mfa/verify",
        Some(&bob),
        Some(json!({ "code": bob_secret.code_at(SystemTime::now() + Duration::from_secs(30)) })),
    )
    .await;
    assert_eq!(
        right.status, 429,
        "malformed codes count as attempts: {}",
        right.body
    );
}

// --- API keys ---------------------------------------------------------------------------

/// An API key travels in `X-API-Key` only: in the query string, as a bearer
/// token, or as a cookie it is nothing (401), never a key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_anywhere_but_its_header_is_not_a_key() {
    let addr = start(&[]).await;
    let token = bearer(addr, "alice", None).await;
    let (_, key) = api_key(addr, &token, &["orders:read"]).await;
    assert_eq!(
        send(addr, "GET", "/orders", &[("x-api-key", &key)], None)
            .await
            .status,
        200
    );
    for path in [
        format!("/orders?api_key={key}"),
        format!("/orders?x-api-key={key}"),
        format!("/orders?access_token={key}"),
    ] {
        assert_eq!(
            send(addr, "GET", &path, &[], None).await.status,
            401,
            "{path}"
        );
    }
    let as_bearer = format!("Bearer {key}");
    let as_cookie = format!("x-api-key={key}");
    let as_apikey_scheme = format!("ApiKey {key}");
    for headers in [
        vec![("authorization", as_bearer.as_str())],
        vec![("authorization", as_apikey_scheme.as_str())],
        vec![("cookie", as_cookie.as_str())],
        vec![("api-key", key.as_str())],
    ] {
        let response = send(addr, "GET", "/orders", &headers, None).await;
        assert_eq!(response.status, 401, "{headers:?}: {}", response.body);
    }
}

/// A key of one user cannot revoke another's (404, and the other key lives),
/// cannot revoke itself or list keys (403: keys do not manage keys), and a
/// session cannot make a key without its CSRF token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_managed_by_their_owner_only_and_never_by_a_key_or_a_forgery() {
    let addr = start(&[]).await;
    let alice = bearer(addr, "alice", None).await;
    let bob = bearer(addr, "bob", None).await;
    let (alice_id, alice_key) = api_key(addr, &alice, &["orders:read"]).await;
    let (bob_id, bob_key) = api_key(addr, &bob, &["orders:read"]).await;
    let cross = http::call(
        addr,
        "DELETE",
        &format!("/auth/api-keys/{alice_id}"),
        Some(&bob),
        None,
    )
    .await;
    let unknown = http::call(
        addr,
        "DELETE",
        "/auth/api-keys/0000000000000000",
        Some(&bob),
        None,
    )
    .await;
    assert_eq!(cross.status, 404, "{}", cross.body);
    assert_eq!(
        (cross.status, cross.body.clone()),
        (unknown.status, unknown.body.clone()),
        "another's key and no key look alike"
    );
    for (method, path) in [
        ("DELETE", format!("/auth/api-keys/{bob_id}")),
        ("DELETE", format!("/auth/api-keys/{alice_id}")),
        ("GET", "/auth/api-keys".to_owned()),
        ("POST", "/auth/api-keys".to_owned()),
        ("POST", "/auth/mfa/totp/enroll".to_owned()),
        ("GET", "/admin/users".to_owned()),
    ] {
        let response = send(
            addr,
            method,
            &path,
            &[("x-api-key", &bob_key)],
            Some(json!({"name": "child", "scopes": ["orders:read"]})),
        )
        .await;
        assert_eq!(response.status, 403, "{method} {path}: {}", response.body);
    }
    for key in [&alice_key, &bob_key] {
        assert_eq!(
            send(addr, "GET", "/orders", &[("x-api-key", key)], None)
                .await
                .status,
            200
        );
    }
    // A session makes keys only with its CSRF token and from its own origin.
    let browser = session(addr, "alice").await;
    for headers in [
        vec![("cookie", browser.cookie.as_str())],
        vec![
            ("cookie", browser.cookie.as_str()),
            ("x-csrf-token", browser.csrf.as_str()),
            ("sec-fetch-site", "cross-site"),
        ],
    ] {
        let response = send(
            addr,
            "POST",
            "/auth/api-keys",
            &headers,
            Some(json!({"name": "forged", "scopes": ["orders:write"]})),
        )
        .await;
        assert_eq!(response.status, 403, "{headers:?}: {}", response.body);
    }
    let listed = send(
        addr,
        "GET",
        "/auth/api-keys",
        &[("cookie", &browser.cookie)],
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.json().as_array().unwrap().len(),
        1,
        "no forged key was made"
    );
}

/// A key's scopes never exceed the owner's, even asked for by a narrowed
/// token; a key with `orders:read` cannot write; an unknown id and a wrong
/// secret are the same 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_never_widen_scope_and_unknown_ids_look_like_wrong_secrets() {
    let addr = start(&[]).await;
    let narrowed = http::call(
        addr,
        "POST",
        "/auth/login",
        None,
        Some(json!({"email": "alice@example.com", "password": "alice-password", "scope": "orders:read"})),
    )
    .await
    .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let wider = http::call(
        addr,
        "POST",
        "/auth/api-keys",
        Some(&narrowed),
        Some(json!({"name": "wider", "scopes": ["orders:write"]})),
    )
    .await;
    assert_eq!(wider.status, 403, "{}", wider.body);
    let (_, read_only) = api_key(addr, &narrowed, &["orders:read"]).await;
    let write = send(
        addr,
        "POST",
        "/orders",
        &[("x-api-key", &read_only)],
        Some(ORDER()),
    )
    .await;
    assert_eq!(write.status, 403, "{}", write.body);
    // Well-formed keys (valid checksum): the real id with a wrong secret, an id
    // never made, and the id of a revoked key: one answer for all, so the
    // answer tells nothing about which ids exist.
    let id = &read_only["oak_".len().."oak_".len() + 16];
    let wrong_secret = forge_key(id, &"a".repeat(52));
    assert_ne!(wrong_secret, read_only);
    let never_made = forge_key("aaaaaaaaaaaaaaaa", &"a".repeat(52));
    let (revoked_id, revoked) = api_key(addr, &narrowed, &["orders:read"]).await;
    let revoke = http::call(
        addr,
        "DELETE",
        &format!("/auth/api-keys/{revoked_id}"),
        Some(&narrowed),
        None,
    )
    .await;
    assert_eq!(revoke.status, 204);
    let mut answers = Vec::new();
    for key in [&wrong_secret, &never_made, &revoked] {
        let response = send(addr, "GET", "/orders", &[("x-api-key", key)], None).await;
        assert_eq!(response.status, 401, "{key}: {}", response.body);
        answers.push((
            response.header("www-authenticate").map(str::to_owned),
            response.body,
        ));
    }
    assert_eq!(answers[0], answers[1], "wrong secret vs unknown id");
    assert_eq!(answers[1], answers[2], "unknown id vs revoked");
}

/// `oak_<id>_<secret><checksum>`: the checksum is public (the first 4 bytes of
/// the body's SHA-256, lowercase base32), so an attacker computes it.
fn forge_key(id: &str, secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let body = format!("oak_{id}_{secret}");
    let digest = Sha256::digest(body.as_bytes());
    let mut bits: u64 = u64::from(u32::from_be_bytes(digest[..4].try_into().unwrap()));
    bits <<= 3; // 32 bits padded to 35: seven 5-bit symbols.
    let checksum: String = (0..7)
        .rev()
        .map(|i| {
            let value = u8::try_from((bits >> (5 * i)) & 0b1_1111).unwrap();
            char::from(if value < 26 {
                b'a' + value
            } else {
                b'2' + value - 26
            })
        })
        .collect();
    format!("{body}{checksum}")
}

// --- guests -----------------------------------------------------------------------------

/// A guest token is no way to a user: not refreshable, not a refresh token,
/// not a way to step up or log anyone out, and every order probe is the same
/// 403 whether the order exists or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_cannot_become_a_user_or_probe_orders() {
    let addr = start(&[]).await;
    let guest = http::call(addr, "POST", "/auth/guest", None, None).await;
    let guest = guest.json();
    assert!(guest.get("refresh_token").is_none(), "{guest}");
    let token = guest["access_token"].as_str().unwrap().to_owned();
    let refresh = http::call(
        addr,
        "POST",
        "/auth/refresh",
        None,
        Some(json!({ "refresh_token": token })),
    )
    .await;
    assert_eq!(refresh.status, 400, "{}", refresh.body);
    for (method, path, body) in [
        ("POST", "/auth/mfa/verify", Some(json!({"code": "123456"}))),
        (
            "POST",
            "/auth/mfa/totp/confirm",
            Some(json!({"code": "123456"})),
        ),
        ("POST", "/auth/logout", None),
        ("POST", "/auth/logout-all", None),
        ("DELETE", "/auth/session", None),
        ("GET", "/auth/api-keys", None),
        ("DELETE", "/auth/api-keys/0000000000000000", None),
    ] {
        let response = http::call(addr, method, path, Some(&token), body).await;
        assert_eq!(response.status, 403, "{method} {path}: {}", response.body);
    }
    let first = http::get(addr, "/orders/1", Some(&token)).await;
    for path in [
        "/orders/99999",
        "/orders/abc",
        "/orders/-1",
        "/orders/1?x=1",
    ] {
        let probe = http::get(addr, path, Some(&token)).await;
        assert_eq!(
            (probe.status, probe.body.clone()),
            (first.status, first.body.clone()),
            "{path}"
        );
    }
    // The guest token still works afterwards: nothing above turned it into
    // anything else, and it is still a guest.
    let me = http::get(addr, "/me", Some(&token)).await.json();
    assert_eq!(me["mechanism"], "guest");
    assert_eq!(me["id"], 0);
    assert_eq!(me["roles"], json!([]));
}

// --- odd input --------------------------------------------------------------------------

/// Odd values in every header a way in reads: never a 500 (nor a panic that
/// closes the connection), never a 2xx on a guarded route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_header_values_are_never_a_500_or_an_allow() {
    let addr = start(&[]).await;
    let alice = session(addr, "alice").await;
    let long = "A".repeat(6000);
    let values: Vec<String> = vec![
        String::new(),
        " ".to_owned(),
        "\"".to_owned(),
        "\"\"".to_owned(),
        ";".to_owned(),
        ";;;=;=".to_owned(),
        "=".to_owned(),
        "oak_".to_owned(),
        "oak_0000000000000000_".to_owned(),
        format!("oak_{long}"),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "bearer a.b.c".to_owned(),
        "Bearer a.b.c d".to_owned(),
        "null".to_owned(),
        "http://".to_owned(),
        "https://[::1".to_owned(),
        "https://a:99999".to_owned(),
        "https://é.example".to_owned(),
        "\u{7f}".to_owned(),
        long.clone(),
        format!("__Host-orders_session={long}"),
        format!("__Host-orders_session=\"{}", alice.id),
        "__Host-orders_session".to_owned(),
    ];
    for value in &values {
        for name in [
            "cookie",
            "x-api-key",
            "authorization",
            "sec-fetch-site",
            "origin",
            "x-csrf-token",
            "upgrade",
        ] {
            for (method, path) in [("GET", "/orders"), ("POST", "/orders")] {
                let mut headers = vec![(name, value.as_str())];
                if name != "cookie" {
                    headers.push(("cookie", alice.cookie.as_str()));
                }
                let response = send(addr, method, path, &headers, Some(ORDER())).await;
                assert_ne!(response.status, 500, "{name}: {value:?}: {}", response.body);
                let allowed_safe = method == "GET"
                    && matches!(
                        name,
                        "sec-fetch-site" | "origin" | "x-csrf-token" | "upgrade"
                    );
                if response.status / 100 == 2 {
                    assert!(
                        allowed_safe
                            || (name == "cookie" && value.contains(&alice.id) && method == "GET"),
                        "{method} {name}: {value:?} was allowed"
                    );
                }
            }
        }
    }
}
