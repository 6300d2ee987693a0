//! `orders-api` over real HTTP on loopback: the status matrix, BOLA and BFLA,
//! stale roles, logout and refresh, two instances sharing Redis, and tokens
//! minted by an independent implementation (`PyJWT`).
//!
//! Each test starts its own service on `127.0.0.1:0` (in-process, through the
//! same `serve` the binary runs), with its own in-memory database unless it shares
//! a file on purpose. Every request is bounded ([`auth_integration::client::TIMEOUT`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_integration::client::{self as http, Response};
use examples::config::Config;
use examples::service::Service;
mod orders_support;

use orders_support::OTHER_CHALLENGES;
use serde_json::{Value, json};

const SECRET: &str = "orders-api test secret, 32+ bytes long";

fn config(extra: &[(&str, String)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("ORDERS_API_JWT_SECRET".to_owned(), SECRET.to_owned()),
        ("ORDERS_API_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
    ]);
    for (name, value) in extra {
        vars.insert((*name).to_owned(), value.clone());
    }
    Config::from_lookup(|name| vars.get(name).cloned()).expect("a valid test configuration")
}

/// Starts a service and returns its address.
async fn start(config: Config) -> SocketAddr {
    let service: Arc<Service> = Service::start(&config).await.expect("the service starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(examples::orders_api::serve(listener, service));
    addr
}

struct Session {
    access: String,
    refresh: String,
}

async fn login(addr: SocketAddr, who: &str, scope: Option<&str>) -> Session {
    let mut body =
        json!({ "email": format!("{who}@example.com"), "password": format!("{who}-password") });
    if let Some(scope) = scope {
        body["scope"] = json!(scope);
    }
    let response = http::call(addr, "POST", "/auth/login", None, Some(body)).await;
    assert_eq!(response.status, 200, "login of {who}: {}", response.body);
    let json = response.json();
    assert_eq!(json["token_type"], "Bearer");
    assert!(
        json["expires_in"]
            .as_u64()
            .is_some_and(|s| s > 0 && s <= 900)
    );
    Session {
        access: json["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned(),
        refresh: json["refresh_token"]
            .as_str()
            .expect("a refresh token")
            .to_owned(),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A token signed with the service's secret by `jsonwebtoken` directly.
fn mint(claims: &Value, typ: Option<&str>) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.typ = typ.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("a token")
}

fn claims(sub: &str, exp: u64) -> Value {
    json!({
        "iss": "orders-api", "aud": "orders-api", "sub": sub, "iat": now() - 1000,
        "nbf": now() - 1000, "exp": exp, "jti": format!("test-{sub}-{exp}"),
        "roles": ["customer"], "scope": "orders:read orders:write",
    })
}

fn challenge(response: &Response) -> &str {
    response.header("www-authenticate").unwrap_or("")
}

// --- the matrix --------------------------------------------------------------

/// The callers of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Nobody,
    Garbage,
    Expired,
    Alice,
    Bob,
    Carol,
    Narrowed,
}

async fn token_of(addr: SocketAddr, caller: Caller) -> Option<String> {
    match caller {
        Caller::Nobody => None,
        Caller::Garbage => Some("not.a.token".to_owned()),
        Caller::Expired => Some(mint(&claims("1", now() - 60), Some("at+jwt"))),
        Caller::Alice => Some(login(addr, "alice", None).await.access),
        Caller::Bob => Some(login(addr, "bob", None).await.access),
        Caller::Carol => Some(login(addr, "carol", None).await.access),
        Caller::Narrowed => Some(login(addr, "alice", Some("orders:read")).await.access),
    }
}

/// What a 401 must look like for each unauthenticated caller.
fn assert_unauthenticated(caller: Caller, response: &Response, what: &str) {
    assert_eq!(response.status, 401, "{caller:?} {what}: {}", response.body);
    let bearer = match caller {
        Caller::Nobody => r#"Bearer realm="orders-api""#,
        Caller::Expired => {
            r#"Bearer realm="orders-api", error="invalid_token", error_description="the access token expired""#
        }
        _ => {
            r#"Bearer realm="orders-api", error="invalid_token", error_description="the access token is invalid""#
        }
    };
    let expected = format!("{bearer}, {OTHER_CHALLENGES}");
    assert_eq!(challenge(response), expected, "{caller:?} {what}");
    assert_eq!(response.header("content-type"), Some("application/json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_for_every_caller() {
    use Caller::*;
    // Expected status per caller, in the order of `Caller`:
    //                              nobody garbage expired alice bob carol narrowed
    let matrix: Vec<(&str, &str, Option<Value>, [u16; 7])> = vec![
        ("GET", "/health", None, [200, 200, 200, 200, 200, 200, 200]),
        (
            "GET",
            "/products",
            None,
            [200, 200, 200, 200, 200, 200, 200],
        ),
        ("GET", "/me", None, [401, 401, 401, 200, 200, 200, 200]),
        ("GET", "/orders", None, [401, 401, 401, 200, 200, 200, 200]),
        (
            "POST",
            "/orders",
            Some(json!({"item": "mug", "amount": 900})),
            [401, 401, 401, 201, 201, 201, 403],
        ),
        (
            "GET",
            "/orders/1",
            None,
            [401, 401, 401, 200, 403, 200, 200],
        ),
        (
            "GET",
            "/orders/99",
            None,
            [401, 401, 401, 404, 404, 404, 404],
        ),
        (
            "DELETE",
            "/orders/2",
            None,
            [401, 401, 401, 204, 403, 204, 403],
        ),
        (
            "GET",
            "/admin/users",
            None,
            [401, 401, 401, 403, 403, 200, 403],
        ),
        (
            "PUT",
            "/admin/users/2/roles",
            Some(json!({"roles": ["customer"]})),
            // Carol is an admin, but has not proved a second factor: the
            // RFC 9470 step-up challenge (`role_changes_need_a_recent_second_factor`).
            [401, 401, 401, 403, 403, 401, 403],
        ),
        (
            "POST",
            "/auth/logout-all",
            None,
            [401, 401, 401, 204, 204, 204, 204],
        ),
    ];
    for (column, caller) in [Nobody, Garbage, Expired, Alice, Bob, Carol, Narrowed]
        .into_iter()
        .enumerate()
    {
        // A fresh service per caller: the rows change data (and the last logs out).
        let addr = start(config(&[])).await;
        let token = token_of(addr, caller).await;
        for (method, path, body, expected) in &matrix {
            let what = format!("{method} {path}");
            let response = http::call(addr, method, path, token.as_deref(), body.clone()).await;
            let want = expected[column];
            if want == 401 && caller == Carol {
                // An admin without a second factor: a step-up, not a bad token.
                assert_eq!(response.status, 401, "{what}: {}", response.body);
                assert_eq!(
                    challenge(&response),
                    r#"Bearer realm="orders-api", error="insufficient_user_authentication", error_description="a stronger or more recent authentication is required", acr_values="urn:auth-core:acr:mfa""#,
                    "{what}"
                );
                continue;
            }
            if want == 401 {
                assert_unauthenticated(caller, &response, &what);
                continue;
            }
            assert_eq!(
                response.status, want,
                "{caller:?} {what}: {}",
                response.body
            );
            if want == 403 && caller == Narrowed && (*method == "POST" || *method == "DELETE") {
                assert_eq!(
                    challenge(&response),
                    r#"Bearer realm="orders-api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:write""#,
                    "{caller:?} {what}: the missing scope is named"
                );
            } else if want == 403 {
                assert_eq!(
                    challenge(&response),
                    "",
                    "{caller:?} {what}: a policy 403 has no challenge"
                );
                assert_eq!(response.json()["error"], "forbidden");
            }
        }
    }
}

// --- BOLA and BFLA -------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_never_sees_or_touches_bobs_orders() {
    let addr = start(config(&[])).await;
    let alice = login(addr, "alice", None).await.access;

    let list = http::get(addr, "/orders", Some(&alice)).await;
    assert_eq!(list.status, 200);
    let owners: Vec<i64> = list.json()["items"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|o| o["owner_id"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(owners, [1, 1], "alice's list holds only her two orders");

    for (method, path) in [
        ("GET", "/orders/3"),
        ("GET", "/orders/4"),
        ("DELETE", "/orders/3"),
        ("DELETE", "/orders/4"),
    ] {
        let response = http::call(addr, method, path, Some(&alice), None).await;
        assert_eq!(response.status, 403, "{method} {path}");
        for secret in ["tea kettle", "green tea", "4500", "1200", "\"owner_id\":2"] {
            assert!(
                !response.body.contains(secret),
                "{method} {path} leaked {secret}: {}",
                response.body
            );
        }
    }
    // Bob's orders are intact.
    let bob = login(addr, "bob", None).await.access;
    assert_eq!(http::get(addr, "/orders/3", Some(&bob)).await.status, 200);
    assert_eq!(http::get(addr, "/orders/4", Some(&bob)).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_order_belongs_to_its_caller_whatever_the_body_says() {
    let addr = start(config(&[])).await;
    let alice = login(addr, "alice", None).await.access;
    let forged = http::call(
        addr,
        "POST",
        "/orders",
        Some(&alice),
        Some(json!({"item": "mug", "amount": 900, "owner_id": 2})),
    )
    .await;
    assert!(
        matches!(forged.status, 400 | 422),
        "an unknown field is refused: {} {}",
        forged.status,
        forged.body
    );

    let created = http::call(
        addr,
        "POST",
        "/orders",
        Some(&alice),
        Some(json!({"item": "mug", "amount": 900})),
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.json()["owner_id"], 1);
    let bob = login(addr, "bob", None).await.access;
    let id = created.json()["id"].as_i64().expect("an id");
    assert_eq!(
        http::get(addr, &format!("/orders/{id}"), Some(&bob))
            .await
            .status,
        403
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_cannot_reach_admin_functions_by_any_method() {
    let addr = start(config(&[])).await;
    let alice = login(addr, "alice", None).await.access;
    for (method, path, body) in [
        ("GET", "/admin/users", None),
        (
            "PUT",
            "/admin/users/1/roles",
            Some(json!({"roles": ["admin"]})),
        ),
        (
            "PUT",
            "/admin/users/2/roles",
            Some(json!({"roles": ["customer"]})),
        ),
    ] {
        let response = http::call(addr, method, path, Some(&alice), body).await;
        assert_eq!(response.status, 403, "{method} {path}: {}", response.body);
    }
    // Method switches on admin paths are not routes at all: never a 2xx.
    for (method, path) in [
        ("POST", "/admin/users"),
        ("DELETE", "/admin/users"),
        ("GET", "/admin/users/1/roles"),
    ] {
        let response = http::call(addr, method, path, Some(&alice), None).await;
        assert_eq!(response.status, 405, "{method} {path}");
    }
    // She did not promote herself.
    let me = http::get(addr, "/me", Some(&alice)).await.json();
    assert_eq!(me["roles"], json!(["customer"]));
}

// --- stale roles ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demoted_admin_is_refused_at_once() {
    let addr = start(config(&[])).await;
    let dave = login(addr, "dave", None).await.access;
    assert_eq!(
        http::get(addr, "/admin/users", Some(&dave)).await.status,
        200
    );

    let carol = login(addr, "carol", None).await.access;
    let carol = orders_support::stepped_up(addr, &carol).await;
    let demoted = http::call(
        addr,
        "PUT",
        "/admin/users/4/roles",
        Some(&carol),
        Some(json!({"roles": ["customer"]})),
    )
    .await;
    assert_eq!(demoted.status, 200, "{}", demoted.body);
    assert_eq!(demoted.json()["roles"], json!(["customer"]));

    let stale = http::get(addr, "/admin/users", Some(&dave)).await;
    assert!(
        matches!(stale.status, 401 | 403),
        "dave's old admin token is refused: {}",
        stale.status
    );
    // Logging in again gives him a customer's token, which admin pages refuse.
    let again = login(addr, "dave", None).await.access;
    assert_eq!(
        http::get(addr, "/admin/users", Some(&again)).await.status,
        403
    );
    assert_eq!(
        http::get(addr, "/me", Some(&again)).await.json()["roles"],
        json!(["customer"])
    );
}

/// The roles an admin may grant are the roles file's: an undeclared one is a 400
/// (nothing changes), and a declared one below admin reaches no admin page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_the_roles_files() {
    let addr = start(config(&[])).await;
    let carol = login(addr, "carol", None).await.access;
    let carol = orders_support::stepped_up(addr, &carol).await;
    let put = |roles: serde_json::Value| {
        http::call(
            addr,
            "PUT",
            "/admin/users/2/roles",
            Some(&carol),
            Some(json!({ "roles": roles })),
        )
    };
    let unknown = put(json!(["root"])).await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    let bob = login(addr, "bob", None).await.access;
    assert_eq!(
        http::get(addr, "/me", Some(&bob)).await.json()["roles"],
        json!(["customer"])
    );

    let manager = put(json!(["manager"])).await;
    assert_eq!(manager.status, 200, "{}", manager.body);
    let bob = login(addr, "bob", None).await.access;
    assert_eq!(
        http::get(addr, "/me", Some(&bob)).await.json()["roles"],
        json!(["manager"])
    );
    assert_eq!(
        http::get(addr, "/admin/users", Some(&bob)).await.status,
        403
    );
    // A manager inherits a customer's orders.
    assert_eq!(http::get(addr, "/orders", Some(&bob)).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_whose_user_is_gone_is_an_invalid_token() {
    let addr = start(config(&[])).await;
    let ghost = mint(&claims("999", now() + 600), Some("at+jwt"));
    let response = http::get(addr, "/me", Some(&ghost)).await;
    assert_eq!(response.status, 401);
    assert!(challenge(&response).contains(r#"error="invalid_token""#));
}

// --- logout and refresh ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_revokes_the_token_and_its_refresh_family() {
    let addr = start(config(&[])).await;
    let session = login(addr, "alice", None).await;
    let other = login(addr, "alice", None).await;

    let out = http::call(addr, "POST", "/auth/logout", Some(&session.access), None).await;
    assert_eq!(out.status, 204);
    assert_eq!(
        http::get(addr, "/me", Some(&session.access)).await.status,
        401
    );
    let refresh = http::call(
        addr,
        "POST",
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": session.refresh})),
    )
    .await;
    assert_refused_refresh(&refresh);
    // Another session of the same user is untouched.
    assert_eq!(
        http::get(addr, "/me", Some(&other.access)).await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_all_revokes_every_session_and_a_new_login_works_at_once() {
    let addr = start(config(&[])).await;
    let first = login(addr, "bob", None).await;
    let second = login(addr, "bob", None).await;

    assert_eq!(
        http::call(addr, "POST", "/auth/logout-all", Some(&first.access), None)
            .await
            .status,
        204
    );
    for session in [&first, &second] {
        assert_eq!(
            http::get(addr, "/me", Some(&session.access)).await.status,
            401
        );
        let refresh = http::call(
            addr,
            "POST",
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": session.refresh})),
        )
        .await;
        assert_refused_refresh(&refresh);
    }
    let fresh = login(addr, "bob", None).await;
    assert_eq!(
        http::get(addr, "/me", Some(&fresh.access)).await.status,
        200,
        "a login right after works"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_a_reused_refresh_token_kills_the_family() {
    let addr = start(config(&[])).await;
    let session = login(addr, "alice", Some("orders:read")).await;

    let rotated = http::call(
        addr,
        "POST",
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": session.refresh})),
    )
    .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let next = rotated.json();
    assert_eq!(
        next["scope"], "orders:read",
        "a narrowed scope stays narrow"
    );
    let next_access = next["access_token"].as_str().expect("a token").to_owned();
    let next_refresh = next["refresh_token"].as_str().expect("a token").to_owned();
    assert_ne!(next_refresh, session.refresh);
    assert_eq!(
        http::get(addr, "/orders", Some(&next_access)).await.status,
        200
    );

    // Once more: the login's token is two rotations old now.
    let newest = refresh(addr, &next_refresh).await;
    assert_eq!(newest.status, 200, "{}", newest.body);
    let newest = newest.json()["refresh_token"]
        .as_str()
        .expect("a token")
        .to_owned();

    // The login's refresh token again: reuse. 400, and the whole family dies.
    assert_refused_refresh(&refresh(addr, &session.refresh).await);
    for token in [&newest, &next_refresh] {
        assert_refused_refresh(&refresh(addr, token).await);
    }
    assert_eq!(
        http::get(addr, "/orders", Some(&next_access)).await.status,
        401,
        "the access tokens of a reused family die too"
    );
}

async fn refresh(addr: SocketAddr, token: &str) -> Response {
    http::call(
        addr,
        "POST",
        "/auth/refresh",
        None,
        Some(json!({ "refresh_token": token })),
    )
    .await
}

/// A refused refresh, byte for byte: 400 `invalid_grant` (RFC 6749 §5.2), no
/// challenge (it is no request for a protected resource), never cached.
fn assert_refused_refresh(response: &Response) {
    assert_eq!(response.status, 400, "{}", response.body);
    assert_eq!(
        response.body,
        r#"{"error":"invalid_grant","error_description":"the refresh token is invalid, expired or revoked"}"#
    );
    assert_eq!(response.header("www-authenticate"), None);
    assert_no_store(response);
}

/// RFC 6749 §5.1: a token endpoint's answer is never cached.
fn assert_no_store(response: &Response) {
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("pragma"), Some("no-cache"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_answered_alike_for_a_wrong_email_or_password() {
    let addr = start(config(&[])).await;
    let wrong_password = http::call(
        addr,
        "POST",
        "/auth/login",
        None,
        Some(json!({"email": "alice@example.com", "password": "nope"})),
    )
    .await;
    let wrong_email = http::call(
        addr,
        "POST",
        "/auth/login",
        None,
        Some(json!({"email": "nobody@example.com", "password": "nope"})),
    )
    .await;
    // RFC 6749 §5.2: wrong resource-owner credentials are 400 `invalid_grant`,
    // with no challenge (a 401 would need one, RFC 9110 §15.5.2).
    assert_eq!(wrong_password.status, 400);
    assert_eq!(
        wrong_password.body,
        r#"{"error":"invalid_grant","error_description":"the credentials are invalid"}"#
    );
    assert_eq!(wrong_password.header("www-authenticate"), None);
    assert_no_store(&wrong_password);
    assert_eq!(
        (wrong_password.status, wrong_password.body.clone()),
        (wrong_email.status, wrong_email.body)
    );
    let bad_scope = http::call(addr, "POST", "/auth/login", None, Some(json!({"email": "alice@example.com", "password": "alice-password", "scope": "orders:admin"}))).await;
    assert_eq!(bad_scope.status, 400);
    assert_eq!(bad_scope.json()["error"], "invalid_scope");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_comes_only_from_the_credential() {
    let addr = start(config(&[])).await;
    let alice = login(addr, "alice", None).await.access;
    let request = http::Request {
        method: "GET",
        path: "/me",
        bearer: Some(&alice),
        headers: vec![
            ("x-user", "3".to_owned()),
            ("x-user-id", "3".to_owned()),
            ("x-forwarded-user", "carol@example.com".to_owned()),
        ],
        ..http::Request::default()
    };
    assert_eq!(http::send(addr, request).await.json()["id"], 1);
    let anonymous = http::Request {
        method: "GET",
        path: "/me",
        headers: vec![("x-user", "3".to_owned())],
        ..http::Request::default()
    };
    assert_eq!(http::send(addr, anonymous).await.status, 401);
    // A token in the query string is never read.
    assert_eq!(
        http::get(addr, &format!("/me?access_token={alice}"), None)
            .await
            .status,
        401
    );
}

// --- token endpoints (RFC 6749 §5) ----------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_responses_are_never_cached() {
    let addr = start(config(&[])).await;
    let body = json!({"email": "alice@example.com", "password": "alice-password"});
    let login = http::call(addr, "POST", "/auth/login", None, Some(body)).await;
    assert_eq!(login.status, 200);
    assert_no_store(&login);
    let token = login.json()["refresh_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let refreshed = refresh(addr, &token).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_no_store(&refreshed);
    // A refusal is a token endpoint's answer too.
    assert_refused_refresh(&refresh(addr, "not a refresh token").await);
}

// --- one user, one subject ---------------------------------------------------------------

/// Tokens signed with the service's real key whose `sub` is another spelling of
/// user 1 (`"01"`, `"+1"`, `" 1"`, other digits): the user store would load
/// user 1 for some of them, but revocation keys on the string, so each would be
/// a second identity that survives "log out everywhere". Every one is refused
/// with the plain `invalid_token` challenge, before and after a logout-all of
/// user 1, while `"1"` itself works until that logout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_canonical_subjects_are_refused() {
    let addr = start(config(&[])).await;
    let spellings = [
        "01", "+1", " 1", "1 ", "\t1", "001", "1\u{0}", "\u{661}",  // ARABIC-INDIC DIGIT ONE
        "\u{ff11}", // FULLWIDTH DIGIT ONE
        "1.0", "0x1", "-0",
    ];
    let invalid = format!(
        r#"Bearer realm="orders-api", error="invalid_token", error_description="the access token is invalid", {OTHER_CHALLENGES}"#
    );
    let assert_refused = |response: &Response, sub: &str| {
        assert_eq!(response.status, 401, "sub {sub:?}: {}", response.body);
        assert_eq!(challenge(response), invalid, "sub {sub:?}");
    };
    let canonical = mint(&claims("1", now() + 600), Some("at+jwt"));
    assert_eq!(
        http::get(addr, "/me", Some(&canonical)).await.json()["id"],
        1
    );
    for sub in spellings {
        let token = mint(&claims(sub, now() + 600), Some("at+jwt"));
        assert_refused(&http::get(addr, "/me", Some(&token)).await, sub);
    }
    // User 1 logs out everywhere: the canonical token dies, and no other
    // spelling was ever a way around it.
    let alice = login(addr, "alice", None).await;
    let out = http::call(addr, "POST", "/auth/logout-all", Some(&alice.access), None).await;
    assert_eq!(out.status, 204);
    assert_eq!(http::get(addr, "/me", Some(&canonical)).await.status, 401);
    for sub in spellings {
        let token = mint(&claims(sub, now() + 600), Some("at+jwt"));
        assert_refused(&http::get(addr, "/me", Some(&token)).await, sub);
    }
}

// --- two instances, one Redis -------------------------------------------------------

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_on_one_instance_is_refused_on_the_other() {
    let Some(redis) = auth_integration::redis_server::RedisServer::start() else {
        return;
    };
    let db = std::env::temp_dir().join(format!(
        "orders-api-test-{}-{}.db",
        std::process::id(),
        now()
    ));
    let shared = [
        ("REDIS_URL", redis.url()),
        ("DATABASE_URL", db.to_string_lossy().into_owned()),
    ];
    let one = start(config(&shared)).await;
    let two = start(config(&shared)).await;

    let session = login(one, "alice", None).await;
    assert_eq!(
        http::get(two, "/me", Some(&session.access)).await.status,
        200,
        "instances accept each other's tokens"
    );
    assert_eq!(
        http::call(one, "POST", "/auth/logout", Some(&session.access), None)
            .await
            .status,
        204
    );
    assert_eq!(
        http::get(two, "/me", Some(&session.access)).await.status,
        401,
        "refused on the other instance at once"
    );
    let refresh = http::call(
        two,
        "POST",
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": session.refresh})),
    )
    .await;
    assert_eq!(
        refresh.status, 400,
        "the refresh family is gone on the other instance too"
    );

    // Logout-all on one instance, refused on the other.
    let bob = login(two, "bob", None).await;
    assert_eq!(
        http::call(two, "POST", "/auth/logout-all", Some(&bob.access), None)
            .await
            .status,
        204
    );
    assert_eq!(http::get(one, "/me", Some(&bob.access)).await.status, 401);
    let _ = std::fs::remove_file(db);
}

/// Two instances share Redis but not a database: each has its own in-memory
/// database (the default), seeded alike. A session started on one refreshes on
/// the other, keeping the scope granted at the login: the refresh store keeps it
/// with the session, so nothing a refresh needs lives in one instance's
/// database.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_works_across_instances_without_a_shared_database() {
    let Some(redis) = auth_integration::redis_server::RedisServer::start() else {
        return;
    };
    let shared = [("REDIS_URL", redis.url())];
    let one = start(config(&shared)).await;
    let two = start(config(&shared)).await;

    let session = login(one, "alice", Some("orders:read")).await;
    let on_two = refresh(two, &session.refresh).await;
    assert_eq!(on_two.status, 200, "{}", on_two.body);
    assert_no_store(&on_two);
    let on_two = on_two.json();
    assert_eq!(on_two["scope"], "orders:read", "the login's scope, kept");
    let access = on_two["access_token"].as_str().expect("a token");
    assert_eq!(http::get(two, "/orders", Some(access)).await.status, 200);
    assert_eq!(
        http::call(
            two,
            "POST",
            "/orders",
            Some(access),
            Some(json!({"item": "mug", "amount": 900}))
        )
        .await
        .status,
        403,
        "the scope stays narrow"
    );
    // And back on the first instance.
    let token = on_two["refresh_token"].as_str().expect("a token");
    let on_one = refresh(one, token).await;
    assert_eq!(on_one.status, 200, "{}", on_one.body);
    assert_eq!(on_one.json()["scope"], "orders:read");
}

/// Redis stalls (`CLIENT PAUSE .. WRITE`, from another connection) while a
/// refresh rotates: the client gets 503 with `Retry-After: 1`, the rotation runs
/// when Redis resumes, and the client's retry with the same refresh token gets a
/// new pair of the same session instead of a reuse that logs the user out.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_retried_after_a_redis_stall_keeps_the_session() {
    let Some(redis) = auth_integration::redis_server::RedisServer::start() else {
        return;
    };
    let addr = start(config(&[("REDIS_URL", redis.url())])).await;
    let session = login(addr, "alice", None).await;
    // A first refresh loads the rotation script, so the stalled call is the
    // rotation itself.
    let first = refresh(addr, &session.refresh).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let token = first.json()["refresh_token"]
        .as_str()
        .expect("a token")
        .to_owned();

    let port = redis
        .url()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned();
    // The session's family record: its current token id tells whether the
    // stalled rotation ran.
    let access = first.json()["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let payload = access.split('.').nth(1).expect("a JWT");
    let payload: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .expect("base64url"),
    )
    .expect("JSON claims");
    let family = format!(
        "orders-api:refresh:family:{}",
        payload["sid"].as_str().expect("a sid")
    );
    let current = || {
        let output = Command::new("redis-cli")
            .args(["-p", &port, "HGET", &family, "cur"])
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let before = current();
    assert!(!before.is_empty(), "the family is in Redis");

    let pause = std::time::Duration::from_secs(2);
    let paused = Command::new("redis-cli")
        .args([
            "-p",
            &port,
            "CLIENT",
            "PAUSE",
            &pause.as_millis().to_string(),
            "WRITE",
        ])
        .status()
        .expect("redis-cli runs");
    assert!(paused.success());
    let paused_at = std::time::Instant::now();
    let stalled = refresh(addr, &token).await;
    assert!(paused_at.elapsed() < pause, "answered before Redis resumed");
    assert_eq!(stalled.status, 503, "{}", stalled.body);
    assert_eq!(stalled.header("retry-after"), Some("1"));
    assert_eq!(stalled.json()["error"], "temporarily_unavailable");
    assert_no_store(&stalled);

    tokio::time::sleep(
        pause.saturating_sub(paused_at.elapsed()) + std::time::Duration::from_millis(300),
    )
    .await;
    assert_ne!(current(), before, "the stalled rotation ran after the 503");
    let retried = refresh(addr, &token).await;
    assert_eq!(
        retried.status, 200,
        "the retry continues the session: {}",
        retried.body
    );
    let retried = retried.json();
    let access = retried["access_token"].as_str().expect("a token");
    assert_eq!(http::get(addr, "/me", Some(access)).await.status, 200);
    let next = refresh(addr, retried["refresh_token"].as_str().expect("a token")).await;
    assert_eq!(next.status, 200, "{}", next.body);
    // The login's token, two rotations and a retry old: a reuse, which ends it.
    assert_refused_refresh(&refresh(addr, &session.refresh).await);
    let newest = next.json()["refresh_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_refused_refresh(&refresh(addr, &newest).await);
}

// --- tokens minted elsewhere: PyJWT ---------------------------------------------------

/// Mints HS256 tokens with `PyJWT`: `python3 -c <script> <secret> <now>` prints one
/// `<name> <token>` line per case.
const PYJWT: &str = r#"
import sys, jwt
secret, now = sys.argv[1], int(sys.argv[2])
base = {"iss": "orders-api", "aud": "orders-api", "sub": "1", "iat": now, "nbf": now,
        "exp": now + 600, "jti": "pyjwt-%d" % now, "roles": ["customer"],
        "scope": "orders:read orders:write"}
def token(name, typ="at+jwt", **changes):
    claims = dict(base, **changes)
    headers = {"typ": typ} if typ else {}
    print(name, jwt.encode(claims, secret, algorithm="HS256", headers=headers))
token("valid")
token("expired", exp=now - 60)
token("wrong-aud", aud="another-api")
token("wrong-iss", iss="orders-api.evil.example")
token("missing-typ", typ=None)
"#;

fn pyjwt_tokens() -> Option<HashMap<String, String>> {
    let output = Command::new("python3")
        .args(["-c", PYJWT, SECRET, &now().to_string()])
        .output();
    let output = match output {
        Ok(output) if output.status.success() => output,
        other => {
            let why = format!("python3 with PyJWT is not available ({other:?}); pip install pyjwt");
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
            eprintln!("skipped: {why}");
            return None;
        }
    };
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(name, token)| (name.to_owned(), token.to_owned()))
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_minted_by_pyjwt_are_judged_like_ours() {
    let Some(tokens) = pyjwt_tokens() else {
        return;
    };
    let addr = start(config(&[])).await;
    let status = |name: &str| {
        let token = tokens.get(name).cloned().unwrap_or_default();
        async move { http::get(addr, "/me", Some(&token)).await }
    };
    let valid = status("valid").await;
    assert_eq!((valid.status, valid.json()["id"].clone()), (200, json!(1)));
    for refused in ["expired", "wrong-aud", "wrong-iss", "missing-typ"] {
        let response = status(refused).await;
        assert_eq!(response.status, 401, "{refused}");
        assert!(
            challenge(&response).contains(r#"error="invalid_token""#),
            "{refused}"
        );
    }
}

/// Redis dies during a session and comes back empty (a restart without
/// persistence): while it is down every answer that needs it is a 503 with
/// `Retry-After` (never a 500, never an allow, never a logout), and once it is
/// back the service reconnects by itself. What Redis lost is lost: the session's
/// refresh token is refused (400 `invalid_grant`, fail closed) and a new login
/// works. (Revocations are lost too: SECURITY.md, assumptions, says to persist.)
#[tokio::test]
async fn a_redis_restart_during_a_session_is_503_then_the_service_recovers() {
    let Some(mut redis) = auth_integration::redis_server::RedisServer::start() else {
        return;
    };
    let addr = start(config(&[("REDIS_URL", redis.url())])).await;
    let session = login(addr, "alice", None).await;
    assert_eq!(
        http::get(addr, "/me", Some(&session.access)).await.status,
        200
    );

    redis.kill();
    let down = refresh(addr, &session.refresh).await;
    assert_eq!(down.status, 503, "{}", down.body);
    assert!(down.header("retry-after").is_some(), "{:?}", down.headers);
    assert_eq!(down.json()["error"], "temporarily_unavailable");
    assert_no_store(&down);
    let me = http::get(addr, "/me", Some(&session.access)).await;
    assert_eq!(
        me.status, 503,
        "the revocation check cannot answer: {}",
        me.body
    );
    let login_down = http::call(
        addr,
        "POST",
        "/auth/login",
        None,
        Some(json!({ "email": "bob@example.com", "password": "bob-password" })),
    )
    .await;
    assert_eq!(login_down.status, 503, "{}", login_down.body);

    redis.spawn();
    // The connection manager reconnects on its own; give it a moment.
    let mut lost = refresh(addr, &session.refresh).await;
    for _ in 0..50 {
        if lost.status != 503 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        lost = refresh(addr, &session.refresh).await;
    }
    assert_eq!(lost.status, 400, "{}", lost.body);
    assert_eq!(lost.json()["error"], "invalid_grant");
    let again = login(addr, "alice", None).await;
    assert_eq!(
        http::get(addr, "/me", Some(&again.access)).await.status,
        200
    );
}
