//! The request context over real HTTP, on axum and actix-web: a rule that reads
//! the client address sees the TCP peer, and believes `X-Forwarded-For` only
//! from a trusted proxy. A client that forges the header gains nothing.

use std::net::SocketAddr;

use auth_adversarial::{send, serve_actix_scope};
use auth_core::context::TrustedProxies;
use auth_core::{Authenticated, Decision, SharedAuthenticator, requires};
use auth_integration::client;
use auth_tests::{TestAuthenticator, User};

/// From the office network (203.0.113.0/24) only.
fn from_the_office(user: &Authenticated<User>) -> Decision {
    let office = user.context().client().is_some_and(
        |ip| matches!(ip, std::net::IpAddr::V4(v4) if v4.octets()[..3] == [203, 0, 113]),
    );
    Decision::allow_if(office, "from the office", "not from the office")
}

#[requires(check(from_the_office))]
async fn export(user: Authenticated<User>) -> String {
    let context = user.context();
    format!(
        "{} {} {}",
        context.method(),
        context.route().unwrap_or("-"),
        context.client().map_or("-".to_owned(), |ip| ip.to_string())
    )
}

#[requires(authenticated)]
async fn whereami(user: Authenticated<User>) -> String {
    let context = user.context();
    format!(
        "{} {} {} {}",
        context.method(),
        context.route().unwrap_or("-"),
        context.peer().map_or("-".to_owned(), |ip| ip.to_string()),
        context.client().map_or("-".to_owned(), |ip| ip.to_string())
    )
}

fn authenticator(proxies: TrustedProxies) -> SharedAuthenticator<User> {
    SharedAuthenticator::new(TestAuthenticator::default())
        .with_realm("ctx")
        .with_trusted_proxies(proxies)
}

async fn axum_with(proxies: TrustedProxies) -> SocketAddr {
    use auth_core::axum::{SecureRouter, get};
    let app = SecureRouter::new()
        .route("/reports/{id}/export", get(export))
        .route("/whereami", get(whereami))
        .with_state(authenticator(proxies));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    addr
}

fn actix_with(proxies: TrustedProxies) -> SocketAddr {
    use auth_core::actix::{SecureScope, get};
    serve_actix_scope(authenticator(proxies), || {
        SecureScope::new("")
            .route("/reports/{id}/export", get(export))
            .route("/whereami", get(whereami))
    })
}

async fn call(addr: SocketAddr, path: &str, forwarded: Option<&str>) -> client::Response {
    let mut headers = vec![("authorization", "Test 1".to_owned())];
    if let Some(value) = forwarded {
        headers.push(("x-forwarded-for", value.to_owned()));
    }
    client::send(
        addr,
        client::Request {
            method: "GET",
            path,
            headers,
            ..client::Request::default()
        },
    )
    .await
}

async fn check(name: &str, untrusted: SocketAddr, trusted: SocketAddr) {
    // The context: method, route template, peer and client.
    let here = call(untrusted, "/whereami", None).await;
    assert_eq!(here.status, 200, "{name}: {}", here.body);
    assert_eq!(here.body, "GET /whereami 127.0.0.1 127.0.0.1", "{name}");

    // A client that forges X-Forwarded-For is still itself when no proxy is
    // trusted: refused.
    let forged = call(untrusted, "/reports/7/export", Some("203.0.113.5")).await;
    assert_eq!(forged.status, 403, "{name}: {}", forged.body);
    let here = call(untrusted, "/whereami", Some("203.0.113.5")).await;
    assert_eq!(here.body, "GET /whereami 127.0.0.1 127.0.0.1", "{name}");

    // Behind a trusted proxy (loopback here), the rightmost untrusted hop is the
    // client: an office address is allowed ...
    let office = call(trusted, "/reports/7/export", Some("203.0.113.5")).await;
    assert_eq!(office.status, 200, "{name}: {}", office.body);
    assert_eq!(
        office.body, "GET /reports/{id}/export 203.0.113.5",
        "{name}"
    );
    // ... and a client that prepends an office address to its own is not.
    let prepended = call(
        trusted,
        "/reports/7/export",
        Some("203.0.113.5, 198.51.100.4"),
    )
    .await;
    assert_eq!(prepended.status, 403, "{name}: {}", prepended.body);
    // No header behind the proxy: the proxy itself.
    let bare = call(trusted, "/whereami", None).await;
    assert_eq!(bare.body, "GET /whereami 127.0.0.1 127.0.0.1", "{name}");
    // Anonymous callers are still 401 first.
    let anonymous = send(trusted, "GET", "/reports/7/export", None, None).await;
    assert_eq!(anonymous.status, 401, "{name}");
}

#[tokio::test]
async fn axum_context_believes_trusted_proxies_only() {
    let proxies = TrustedProxies::cidrs(["127.0.0.0/8"]).expect("networks");
    check(
        "axum",
        axum_with(TrustedProxies::none()).await,
        axum_with(proxies).await,
    )
    .await;
}

#[tokio::test]
async fn actix_context_believes_trusted_proxies_only() {
    let proxies = TrustedProxies::cidrs(["127.0.0.0/8"]).expect("networks");
    check(
        "actix",
        actix_with(TrustedProxies::none()),
        actix_with(proxies),
    )
    .await;
}
