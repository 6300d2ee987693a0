//! The reference service's ways in besides a bearer token, over real HTTP:
//! server-side sessions (cookie, CSRF, fixation, both timeouts, logout on two
//! instances), API keys (least privilege, revocation, kept from admin and key
//! endpoints), guests, the TOTP step-up (replay, throttling) and the one-chain
//! rule (two credentials are a 400, a 401 lists every way in).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod orders_support;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use auth_core::mfa::TotpSecret;
use auth_integration::client::{self as http, Response};
use auth_integration::redis_server::RedisServer;
use examples::service::DAVE_TOTP_SECRET;
use orders_support::{Browser, Framework, bearer, config, cookie_of, send, session};
use serde_json::{Value, json};

async fn start(extra: &[(&str, &str)]) -> SocketAddr {
    orders_support::start(Framework::Axum, &config(extra)).await
}

fn authorization(token: &str) -> String {
    format!("Bearer {token}")
}

const ORDER: fn() -> Value = || json!({ "item": "tea", "amount": 300 });

// --- sessions -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_lives_in_a_host_cookie_and_needs_its_csrf_token_for_writes() {
    let addr = start(&[]).await;
    let response = send(
        addr,
        "POST",
        "/auth/session",
        &[],
        Some(json!({ "email": "alice@example.com", "password": "alice-password" })),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
    let set = response.header("set-cookie").unwrap();
    let (pair, attributes) = set.split_once("; ").unwrap();
    let (name, id) = pair.split_once('=').unwrap();
    assert_eq!(name, "__Host-orders_session");
    assert_eq!(id.len(), 43, "256 bits, base64url");
    assert_eq!(attributes, "Secure; HttpOnly; SameSite=Lax; Path=/");
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let csrf = response.json()["csrf_token"].as_str().unwrap().to_owned();
    assert!(!response.body.contains(id), "the id is never in the body");
    let browser = Browser {
        cookie: pair.to_owned(),
        id: id.to_owned(),
        csrf,
    };

    // Reads need the cookie only.
    let me = send(addr, "GET", "/me", &[("cookie", &browser.cookie)], None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["mechanism"], "session");
    assert_eq!(me.json()["id"], 1);

    // Writes need the token, from a page of this origin.
    let cookie_only = send(
        addr,
        "POST",
        "/orders",
        &[
            ("cookie", &browser.cookie),
            ("sec-fetch-site", "same-origin"),
        ],
        Some(ORDER()),
    )
    .await;
    assert_eq!(
        (cookie_only.status, cookie_only.json()["error"].clone()),
        (403, json!("forbidden"))
    );
    let wrong_token = send(
        addr,
        "POST",
        "/orders",
        &[
            ("cookie", &browser.cookie),
            ("sec-fetch-site", "same-origin"),
            ("x-csrf-token", "AAAA"),
        ],
        Some(ORDER()),
    )
    .await;
    assert_eq!(wrong_token.status, 403);
    let cross_site = send(
        addr,
        "POST",
        "/orders",
        &[
            ("cookie", &browser.cookie),
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
            ("x-csrf-token", &browser.csrf),
        ],
        Some(ORDER()),
    )
    .await;
    assert_eq!(
        cross_site.status, 403,
        "the token alone is not enough from another site"
    );
    let created = send(addr, "POST", "/orders", &browser.headers(), Some(ORDER())).await;
    assert_eq!(created.status, 201, "{}", created.body);

    // Logout needs the token too; then the cookie is dead.
    let forged_logout = send(
        addr,
        "DELETE",
        "/auth/session",
        &[
            ("cookie", &browser.cookie),
            ("sec-fetch-site", "same-origin"),
        ],
        None,
    )
    .await;
    assert_eq!(forged_logout.status, 403);
    let logout = send(addr, "DELETE", "/auth/session", &browser.headers(), None).await;
    assert_eq!(logout.status, 204, "{}", logout.body);
    assert!(
        logout
            .header("set-cookie")
            .unwrap()
            .starts_with("__Host-orders_session=;")
    );
    let after = send(addr, "GET", "/me", &[("cookie", &browser.cookie)], None).await;
    assert_eq!(after.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_never_keeps_a_session_id_the_client_chose() {
    let addr = start(&[]).await;
    let planted = "__Host-orders_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let response = send(
        addr,
        "POST",
        "/auth/session",
        &[("cookie", planted)],
        Some(json!({ "email": "alice@example.com", "password": "alice-password" })),
    )
    .await;
    assert_eq!(response.status, 200);
    assert_ne!(cookie_of(&response), planted);
    assert_eq!(
        send(addr, "GET", "/me", &[("cookie", planted)], None)
            .await
            .status,
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_up_rotates_the_session_and_kills_the_old_id() {
    let addr = start(&[]).await;
    let dave = session(addr, "dave").await;
    // Without the second factor a role change is refused with the challenge.
    let weak = send(
        addr,
        "PUT",
        "/admin/users/2/roles",
        &dave.headers(),
        Some(json!({"roles": ["customer"]})),
    )
    .await;
    assert_eq!(weak.status, 401, "{}", weak.body);
    assert!(
        weak.header("www-authenticate")
            .unwrap()
            .contains(r#"error="insufficient_user_authentication""#)
    );

    let code = TotpSecret::from_base32(DAVE_TOTP_SECRET)
        .unwrap()
        .code_at(SystemTime::now());
    let verify = send(
        addr,
        "POST",
        "/auth/mfa/verify",
        &dave.headers(),
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(verify.status, 200, "{}", verify.body);
    let cookie = cookie_of(&verify);
    let stepped = Browser {
        id: cookie.split_once('=').unwrap().1.to_owned(),
        cookie,
        csrf: verify.json()["csrf_token"].as_str().unwrap().to_owned(),
    };
    assert_ne!(
        stepped.cookie, dave.cookie,
        "a privilege change rotates the id"
    );
    assert_eq!(
        send(addr, "GET", "/me", &[("cookie", &dave.cookie)], None)
            .await
            .status,
        401,
        "the old id is dead at once"
    );
    let me = send(addr, "GET", "/me", &[("cookie", &stepped.cookie)], None)
        .await
        .json();
    assert_eq!(me["amr"], json!(["pwd", "otp"]));
    // The old CSRF token died with the old id.
    let old_token = send(
        addr,
        "PUT",
        "/admin/users/2/roles",
        &[
            ("cookie", &stepped.cookie),
            ("x-csrf-token", &dave.csrf),
            ("sec-fetch-site", "same-origin"),
        ],
        Some(json!({"roles": ["customer"]})),
    )
    .await;
    assert_eq!(old_token.status, 403);
    let changed = send(
        addr,
        "PUT",
        "/admin/users/2/roles",
        &stepped.headers(),
        Some(json!({"roles": ["customer"]})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_after_the_idle_and_the_absolute_timeout() {
    let addr = start(&[
        ("ORDERS_API_SESSION_IDLE_TIMEOUT", "2"),
        ("ORDERS_API_SESSION_ABSOLUTE_TIMEOUT", "4"),
    ])
    .await;
    // Idle: unused for longer than 2 s.
    let idle = session(addr, "alice").await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        send(addr, "GET", "/me", &[("cookie", &idle.cookie)], None)
            .await
            .status,
        401
    );

    // Absolute: used every second, still over after 4 s.
    let busy = session(addr, "bob").await;
    let started = std::time::Instant::now();
    let mut last = 200;
    while started.elapsed() < Duration::from_millis(4_600) {
        last = send(addr, "GET", "/me", &[("cookie", &busy.cookie)], None)
            .await
            .status;
        if started.elapsed() < Duration::from_millis(3_500) {
            assert_eq!(last, 200, "kept alive by use at {:?}", started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(900)).await;
    }
    assert_eq!(last, 401, "the absolute timeout ends even a busy session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_on_one_instance_is_a_401_on_the_other_at_once() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let shared = [("REDIS_URL", url.as_str())];
    let one = start(&shared).await;
    let two = start(&shared).await;
    let alice = session(one, "alice").await;
    assert_eq!(
        send(two, "GET", "/me", &[("cookie", &alice.cookie)], None)
            .await
            .status,
        200
    );
    let created = send(two, "POST", "/orders", &alice.headers(), Some(ORDER())).await;
    assert_eq!(
        created.status, 201,
        "the CSRF token is the session's, on every instance"
    );
    let logout = send(one, "DELETE", "/auth/session", &alice.headers(), None).await;
    assert_eq!(logout.status, 204);
    assert_eq!(
        send(two, "GET", "/me", &[("cookie", &alice.cookie)], None)
            .await
            .status,
        401
    );
    assert_eq!(
        send(one, "GET", "/me", &[("cookie", &alice.cookie)], None)
            .await
            .status,
        401
    );
}

// --- API keys -------------------------------------------------------------------

async fn create_key(addr: SocketAddr, token: &str, scopes: &[&str]) -> Response {
    send(
        addr,
        "POST",
        "/auth/api-keys",
        &[("authorization", &authorization(token))],
        Some(json!({ "name": "ci", "scopes": scopes })),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_carry_a_subset_of_the_owners_scopes_and_die_when_revoked() {
    let addr = start(&[]).await;
    let alice = bearer(addr, "alice", None).await;
    let created = create_key(addr, &alice, &["orders:read"]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let body = created.json();
    let key = body["key"].as_str().unwrap().to_owned();
    let id = body["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("oak_") && key.len() == 80, "{key}");
    assert_eq!(body["scopes"], json!(["orders:read"]));

    let with_key = |path: &'static str, method: &'static str| {
        let key = key.clone();
        async move {
            send(
                addr,
                method,
                path,
                &[("x-api-key", &key)],
                (method == "POST").then(ORDER),
            )
            .await
        }
    };
    let me = with_key("/me", "GET").await;
    assert_eq!(
        (me.status, me.json()["mechanism"].clone()),
        (200, json!("api_key"))
    );
    assert_eq!(with_key("/orders", "GET").await.status, 200);
    let write = with_key("/orders", "POST").await;
    assert_eq!(
        write.status, 403,
        "the key has no orders:write: {}",
        write.body
    );
    assert!(
        write
            .header("www-authenticate")
            .unwrap()
            .contains(r#"scope="orders:write""#)
    );
    // Keys cannot make keys, list them, or reach admin functions.
    assert_eq!(
        send(
            addr,
            "POST",
            "/auth/api-keys",
            &[("x-api-key", &key)],
            Some(json!({"name": "x"}))
        )
        .await
        .status,
        403
    );
    assert_eq!(with_key("/auth/api-keys", "GET").await.status, 403);

    // Listing shows no secret.
    let list = send(
        addr,
        "GET",
        "/auth/api-keys",
        &[("authorization", &authorization(&alice))],
        None,
    )
    .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json()[0]["id"], json!(id));
    assert!(!list.body.contains(&key[4..]), "{}", list.body);

    // Least privilege: a narrowed token cannot mint a wider key.
    let narrowed = bearer(addr, "alice", Some("orders:read")).await;
    let wider = create_key(addr, &narrowed, &["orders:write"]).await;
    assert_eq!(wider.status, 403, "{}", wider.body);

    // Bob cannot revoke Alice's key; Alice can, and it is refused at once.
    let bob = bearer(addr, "bob", None).await;
    let path = format!("/auth/api-keys/{id}");
    assert_eq!(
        send(
            addr,
            "DELETE",
            &path,
            &[("authorization", &authorization(&bob))],
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        send(
            addr,
            "DELETE",
            &path,
            &[("authorization", &authorization(&alice))],
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(with_key("/me", "GET").await.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_api_keys_stay_out_of_admin_functions() {
    let addr = start(&[]).await;
    let carol = bearer(addr, "carol", None).await;
    let key = create_key(addr, &carol, &["orders:read"]).await.json()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let users = send(addr, "GET", "/admin/users", &[("x-api-key", &key)], None).await;
    assert_eq!(users.status, 403, "{}", users.body);
    let roles = send(
        addr,
        "PUT",
        "/admin/users/2/roles",
        &[("x-api-key", &key)],
        Some(json!({"roles": ["admin"]})),
    )
    .await;
    assert_eq!(roles.status, 403, "{}", roles.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_or_misplaced_keys_are_401s_and_two_credentials_a_400() {
    let addr = start(&[]).await;
    let alice = bearer(addr, "alice", None).await;
    let key = create_key(addr, &alice, &[]).await.json()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut typo = key.clone();
    typo.replace_range(10..11, if &key[10..11] == "a" { "b" } else { "a" });
    for bad in [typo.as_str(), "oak_", "not a key", "OAK_AAAA"] {
        let response = send(addr, "GET", "/me", &[("x-api-key", bad)], None).await;
        assert_eq!(response.status, 401, "{bad:?}: {}", response.body);
    }
    // A key in the query string is never read: no credential at all.
    let query = send(addr, "GET", &format!("/me?api_key={key}"), &[], None).await;
    assert_eq!(query.status, 401);
    assert_eq!(query.all("www-authenticate").len(), 3);
    assert!(
        !query
            .all("www-authenticate")
            .iter()
            .any(|c| c.contains("error="))
    );

    // Two credentials: a 400, whichever one would pass.
    let both = send(
        addr,
        "GET",
        "/me",
        &[
            ("x-api-key", &key),
            ("authorization", &authorization(&alice)),
        ],
        None,
    )
    .await;
    assert_eq!(both.status, 400, "{}", both.body);
    let browser = session(addr, "bob").await;
    let cookie_and_key = send(
        addr,
        "GET",
        "/me",
        &[("x-api-key", &key), ("cookie", &browser.cookie)],
        None,
    )
    .await;
    assert_eq!(cookie_and_key.status, 400);
}

// --- the one chain: challenges byte for byte -------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_lists_one_challenge_per_way_in() {
    let addr = start(&[]).await;
    let anonymous = send(addr, "GET", "/me", &[], None).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        anonymous.all("www-authenticate"),
        [
            r#"Bearer realm="orders-api""#,
            r#"Cookie realm="orders-api", cookie-name="__Host-orders_session""#,
            r#"ApiKey realm="orders-api", header="x-api-key""#,
        ]
    );
    let bad_cookie = send(
        addr,
        "GET",
        "/me",
        &[("cookie", "__Host-orders_session=nope")],
        None,
    )
    .await;
    assert_eq!(
        bad_cookie.all("www-authenticate"),
        [
            r#"Bearer realm="orders-api""#,
            r#"Cookie realm="orders-api", cookie-name="__Host-orders_session", error="invalid_token", error_description="the access token is invalid""#,
            r#"ApiKey realm="orders-api", header="x-api-key""#,
        ]
    );
}

// --- guests ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_sees_itself_and_the_catalog_and_nothing_else() {
    let addr = start(&[]).await;
    let guest = http::call(addr, "POST", "/auth/guest", None, None).await;
    assert_eq!(guest.status, 200, "{}", guest.body);
    assert_eq!(guest.header("cache-control"), Some("no-store"));
    let token = guest.json()["access_token"].as_str().unwrap().to_owned();
    let me = http::get(addr, "/me", Some(&token)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["mechanism"], "guest");
    assert!(me.json()["guest"].as_str().unwrap().starts_with("guest:"));
    assert_eq!(http::get(addr, "/products", Some(&token)).await.status, 200);
    for (method, path, body) in [
        ("GET", "/orders", None),
        ("POST", "/orders", Some(ORDER())),
        ("GET", "/orders/1", None),
        ("GET", "/orders/99999", None),
        ("DELETE", "/orders/1", None),
        ("GET", "/admin/users", None),
        (
            "PUT",
            "/admin/users/1/roles",
            Some(json!({"roles": ["admin"]})),
        ),
        ("POST", "/auth/api-keys", Some(json!({"name": "x"}))),
        ("POST", "/auth/mfa/totp/enroll", None),
    ] {
        let response = http::call(addr, method, path, Some(&token), body).await;
        assert_eq!(response.status, 403, "{method} {path}: {}", response.body);
    }
    // A guest is not anonymous, and an anonymous caller is not a guest.
    assert_eq!(http::get(addr, "/me", None).await.status, 401);
}

// --- TOTP -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_codes_are_single_use_and_attempts_are_limited() {
    let addr = start(&[]).await;
    let dave = bearer(addr, "dave", None).await;
    let secret = TotpSecret::from_base32(DAVE_TOTP_SECRET).unwrap();
    let code = secret.code_at(SystemTime::now());
    let verify = |code: String| {
        let dave = dave.clone();
        async move {
            http::call(
                addr,
                "POST",
                "/auth/mfa/verify",
                Some(&dave),
                Some(json!({ "code": code })),
            )
            .await
        }
    };
    let stepped = verify(code.clone()).await;
    assert_eq!(stepped.status, 200, "{}", stepped.body);
    let tokens = stepped.json();
    assert!(tokens["refresh_token"].is_string());
    let me = http::get(addr, "/me", tokens["access_token"].as_str())
        .await
        .json();
    assert_eq!(me["amr"], json!(["pwd", "otp"]), "{me}");

    let replay = verify(code).await;
    assert_eq!(
        (replay.status, replay.json()["error"].clone()),
        (400, json!("invalid_grant"))
    );
    // Five failures in the window, then a 429 that does not even look at the code.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(verify("000000".to_owned()).await.status);
    }
    assert!(
        statuses.iter().all(|s| *s == 400 || *s == 429),
        "{statuses:?}"
    );
    let throttled = verify(secret.code_at(SystemTime::now() + Duration::from_secs(30))).await;
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    assert!(throttled.header("retry-after").is_some());
}

// --- password sign-in for sessions: the same answers as the token login --------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_sign_in_tells_no_one_which_emails_exist_and_is_throttled() {
    let addr = start(&[("ORDERS_API_LOGIN_LIMIT_EMAIL", "3/60")]).await;
    let attempt = |email: &'static str, password: &'static str| async move {
        send(
            addr,
            "POST",
            "/auth/session",
            &[],
            Some(json!({ "email": email, "password": password })),
        )
        .await
    };
    let wrong_password = attempt("bob@example.com", "not-bobs").await;
    let wrong_email = attempt("nobody@example.com", "not-bobs").await;
    for response in [&wrong_password, &wrong_email] {
        assert_eq!(response.status, 400, "{}", response.body);
        assert_eq!(response.header("set-cookie"), None);
    }
    assert_eq!(
        wrong_password.body, wrong_email.body,
        "the same answer for both"
    );
    assert_eq!(wrong_password.json()["error"], "invalid_grant");
    // Bob's email has had one attempt; two more, then 429 with Retry-After,
    // the right password included: the limit is counted before it is checked.
    attempt("bob@example.com", "not-bobs").await;
    attempt("bob@example.com", "not-bobs").await;
    let throttled = attempt("bob@example.com", "bob-password").await;
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    assert!(throttled.header("retry-after").is_some());
    assert_eq!(throttled.header("set-cookie"), None);
}
