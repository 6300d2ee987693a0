//! `orders-actix` over real HTTP on loopback: the same policies as `orders-api`,
//! on actix-web, answer the same statuses and challenges.

use std::collections::HashMap;
use std::net::SocketAddr;

use auth_integration::client::{self as http, Response};
use examples::config::Config;
use examples::service::Service;
mod orders_support;

use orders_support::OTHER_CHALLENGES;
use serde_json::json;

/// Starts the actix service on its own thread (actix runs its own system) and
/// returns its address.
fn start() -> SocketAddr {
    let vars: HashMap<&str, &str> = HashMap::from([(
        "ORDERS_API_JWT_SECRET",
        "orders-actix test secret, 32+ bytes long",
    )]);
    let config = Config::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned()))
        .expect("a valid test configuration");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let service = Service::start(&config).await.expect("the service starts");
            examples::orders_actix::serve(listener, service).await
        })
    });
    addr
}

async fn login(addr: SocketAddr, who: &str, scope: Option<&str>) -> String {
    let mut body =
        json!({ "email": format!("{who}@example.com"), "password": format!("{who}-password") });
    if let Some(scope) = scope {
        body["scope"] = json!(scope);
    }
    let response = http::call(addr, "POST", "/auth/login", None, Some(body)).await;
    assert_eq!(response.status, 200, "login of {who}: {}", response.body);
    response.json()["access_token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

fn challenge(response: &Response) -> &str {
    response.header("www-authenticate").unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_policies_answer_the_same_on_actix() {
    let addr = start();
    // The server thread may still be starting: the first request retries briefly.
    let mut health = None;
    for _ in 0..100 {
        if std::net::TcpStream::connect(addr).is_ok() {
            health = Some(http::get(addr, "/health", None).await);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(health.map(|r| r.status), Some(200));

    let nobody = http::get(addr, "/me", None).await;
    assert_eq!(
        (nobody.status, challenge(&nobody)),
        (
            401,
            format!(r#"Bearer realm="orders-api", {OTHER_CHALLENGES}"#).as_str()
        )
    );
    let garbage = http::get(addr, "/me", Some("not.a.token")).await;
    assert_eq!(garbage.status, 401);
    assert!(challenge(&garbage).contains(r#"error="invalid_token""#));
    // 401 wins over 404: an unauthenticated caller learns nothing about ids.
    assert_eq!(http::get(addr, "/orders/99", None).await.status, 401);

    let alice = login(addr, "alice", None).await;
    assert_eq!(http::get(addr, "/me", Some(&alice)).await.json()["id"], 1);
    let orders = http::get(addr, "/orders", Some(&alice)).await.json();
    assert_eq!(orders["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(http::get(addr, "/orders/1", Some(&alice)).await.status, 200);
    let bobs = http::get(addr, "/orders/3", Some(&alice)).await;
    assert_eq!(bobs.status, 403);
    assert!(!bobs.body.contains("tea kettle"));
    assert_eq!(
        http::get(addr, "/orders/99", Some(&alice)).await.status,
        404
    );
    assert_eq!(
        http::call(addr, "DELETE", "/orders/3", Some(&alice), None)
            .await
            .status,
        403
    );
    assert_eq!(
        http::get(addr, "/admin/users", Some(&alice)).await.status,
        403
    );

    let narrowed = login(addr, "alice", Some("orders:read")).await;
    let denied = http::call(addr, "DELETE", "/orders/1", Some(&narrowed), None).await;
    assert_eq!(denied.status, 403);
    assert_eq!(
        challenge(&denied),
        r#"Bearer realm="orders-api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:write""#
    );

    let carol = login(addr, "carol", None).await;
    assert_eq!(
        http::get(addr, "/admin/users", Some(&carol)).await.status,
        200
    );
    assert_eq!(
        http::call(addr, "DELETE", "/orders/1", Some(&alice), None)
            .await
            .status,
        204
    );
    assert_eq!(http::get(addr, "/orders/1", Some(&carol)).await.status, 404);
}

/// Waits for the actix server thread to listen.
async fn ready(addr: SocketAddr) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the actix service did not start");
}

/// RFC 6749 §5.1: a token endpoint's answer is never cached.
fn assert_no_store(response: &Response) {
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("pragma"), Some("no-cache"));
}

/// The token endpoints answer as on axum, byte for byte: no caching of any
/// answer, a refused refresh and a wrong password are 400 `invalid_grant`
/// without a challenge (RFC 6749 §5.2), and a 401 always carries one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoints_follow_rfc_6749_on_actix() {
    let addr = start();
    ready(addr).await;
    let body = json!({"email": "alice@example.com", "password": "alice-password"});
    let login = http::call(addr, "POST", "/auth/login", None, Some(body)).await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert_no_store(&login);
    let token = login.json()["refresh_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let refresh = |token: String| async move {
        http::call(
            addr,
            "POST",
            "/auth/refresh",
            None,
            Some(json!({ "refresh_token": token })),
        )
        .await
    };
    let refreshed = refresh(token.clone()).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_no_store(&refreshed);
    let next = refreshed.json()["refresh_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let next = refresh(next).await.json()["refresh_token"]
        .as_str()
        .expect("a token")
        .to_owned();

    // The login's token, two rotations old: a reuse.
    for refused in [refresh(token).await, refresh(next).await] {
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert_eq!(
            refused.body,
            r#"{"error":"invalid_grant","error_description":"the refresh token is invalid, expired or revoked"}"#
        );
        assert_eq!(refused.header("www-authenticate"), None);
        assert_no_store(&refused);
    }

    let wrong = json!({"email": "alice@example.com", "password": "nope"});
    let wrong = http::call(addr, "POST", "/auth/login", None, Some(wrong)).await;
    assert_eq!(wrong.status, 400);
    assert_eq!(
        wrong.body,
        r#"{"error":"invalid_grant","error_description":"the credentials are invalid"}"#
    );
    assert_eq!(wrong.header("www-authenticate"), None);
    assert_no_store(&wrong);

    let nobody = http::get(addr, "/me", None).await;
    assert_eq!(
        (nobody.status, challenge(&nobody)),
        (
            401,
            format!(r#"Bearer realm="orders-api", {OTHER_CHALLENGES}"#).as_str()
        )
    );
}
