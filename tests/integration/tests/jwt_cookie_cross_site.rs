//! The token cookie and cross-site request forgery, over real HTTP on loopback.
//!
//! A browser attaches the token cookie to requests that a page of another site
//! makes it send. Each test starts an axum `SecureRouter` on `127.0.0.1:0` behind a
//! `JwtAuthenticator` that reads the cookie and trusts the front end
//! `https://app.example.com`, sends raw HTTP/1.1 requests with the headers a
//! browser would send (or an attacker could make it send), and reads the audit
//! events the request caused: a refused request is a 403 whose audit event says
//! which header failed, and the handler never runs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod jwt_support;

use std::net::SocketAddr;

use auth_core::axum::{SecureRouter, get, post};
use auth_core::jwt::{
    ConfigError, HmacAlgorithm, JwtAuthenticator, JwtAuthenticatorBuilder, KeySet, NoRevocation,
    Principal, PrincipalMapper, VerifyingKey,
};
use auth_core::{Authenticated, SharedAuthenticator, public, requires};
use auth_integration::client::{self, Request, Response};
use auth_tests::audit::{Record, capture};
use jwt_support::{AUDIENCE, HMAC_SECRET, ISSUER, good_claims, hs256};

/// The front end the API trusts: a single-page app on another origin.
const APP: &str = "https://app.example.com";
/// A site the user happens to visit.
const EVIL: &str = "https://evil.example";
const COOKIE: &str = "access_token";

type Builder = JwtAuthenticatorBuilder<PrincipalMapper, NoRevocation>;

fn builder() -> Builder {
    let keys = KeySet::new()
        .with_key(
            "hs",
            VerifyingKey::hmac(HmacAlgorithm::HS256, HMAC_SECRET).unwrap(),
        )
        .unwrap();
    JwtAuthenticator::builder(keys, PrincipalMapper::new())
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .dangerous_without_revocation()
}

/// The configuration under test unless a test says otherwise.
fn with_cookie() -> Builder {
    builder().cookie(COOKIE).trusted_origin(APP)
}

#[requires(authenticated)]
async fn place_order(user: Authenticated<Principal>) -> String {
    format!("order placed by {}", user.subject())
}

#[requires(authenticated)]
async fn list_orders(user: Authenticated<Principal>) -> String {
    format!("orders of {}", user.subject())
}

#[public]
async fn greet(guest: Option<Authenticated<Principal>>) -> String {
    guest.map_or_else(
        || "hello stranger".to_owned(),
        |user| format!("hello {}", user.subject()),
    )
}

/// A service on loopback, on a runtime of the test's own thread (so the audit
/// events of its requests are captured on that thread).
struct Service {
    runtime: tokio::runtime::Runtime,
    addr: SocketAddr,
}

impl Service {
    fn start(builder: Builder) -> Self {
        let authenticator = builder.build().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let addr = runtime.block_on(async {
            let app = SecureRouter::new()
                .route(
                    "/orders",
                    get(list_orders).post(place_order).delete(place_order),
                )
                .route("/greet", post(greet))
                .with_state(SharedAuthenticator::new(authenticator).with_realm("orders"));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await });
            addr
        });
        Service { runtime, addr }
    }

    /// Sends `method path` with `headers`; returns the response and the audit
    /// events the request caused.
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> (Response, Vec<Record>) {
        let request = Request {
            method,
            path,
            headers: headers
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned()))
                .collect(),
            ..Request::default()
        };
        capture(|| self.runtime.block_on(client::send(self.addr, request)))
    }
}

fn cookie() -> String {
    format!("{COOKIE}={}", hs256(&good_claims()))
}

/// Asserts a 403 that names no challenge, did not run the handler, and whose
/// audit event gives a reason containing `why`.
#[track_caller]
fn assert_forbidden((response, events): &(Response, Vec<Record>), why: &str) {
    assert_eq!(response.status, 403, "{response:?}");
    assert_eq!(
        response.body,
        r#"{"error":"forbidden","error_description":"you may not perform this action"}"#
    );
    assert_eq!(
        response.header("www-authenticate"),
        None,
        "a new token would not help"
    );
    let refusals: Vec<&Record> = events
        .iter()
        .filter(|event| event.get("error").map(String::as_str) == Some("forbidden"))
        .collect();
    assert_eq!(
        refusals.len(),
        1,
        "one audit event for the refusal: {events:?}"
    );
    let event = refusals[0];
    assert_eq!(event["decision"], "unauthenticated");
    let reason = &event["reason"];
    assert!(reason.contains("cross-site check"), "{reason}");
    assert!(reason.contains(why), "expected {why:?} in {reason:?}");
    assert!(
        !reason.contains(&cookie()[COOKIE.len() + 1..][..20]),
        "no token in the audit log"
    );
    assert!(
        !events
            .iter()
            .any(|event| event.get("decision").map(String::as_str) == Some("authenticated")),
        "the request was never authenticated: {events:?}"
    );
}

#[track_caller]
fn assert_passes((response, events): &(Response, Vec<Record>), body: &str) {
    assert_eq!(
        (response.status, response.body.as_str()),
        (200, body),
        "{events:?}"
    );
}

// --- the attacks ------------------------------------------------------------------

#[test]
fn a_cross_site_post_with_the_cookie_is_forbidden() {
    let service = Service::start(with_cookie());
    let cookie = cookie();
    // A form on evil.example that posts to the API: the browser adds the cookie.
    for method in ["POST", "DELETE"] {
        assert_forbidden(
            &service.send(
                method,
                "/orders",
                &[
                    ("cookie", &cookie),
                    ("sec-fetch-site", "cross-site"),
                    ("origin", EVIL),
                ],
            ),
            &format!("`Sec-Fetch-Site: cross-site` and the `Origin` `{EVIL}` is not trusted"),
        );
    }
    // The same without an `Origin` (a browser that strips it on some requests).
    assert_forbidden(
        &service.send(
            "POST",
            "/orders",
            &[("cookie", &cookie), ("sec-fetch-site", "cross-site")],
        ),
        "`Sec-Fetch-Site: cross-site` and no `Origin`",
    );
    // A sibling subdomain is the same site, but not a trusted origin.
    assert_forbidden(
        &service.send(
            "POST",
            "/orders",
            &[
                ("cookie", &cookie),
                ("sec-fetch-site", "same-site"),
                ("origin", "https://blog.example.com"),
            ],
        ),
        "`Sec-Fetch-Site: same-site`",
    );
    // No page sends an unsafe method as a user-initiated navigation.
    assert_forbidden(
        &service.send(
            "POST",
            "/orders",
            &[("cookie", &cookie), ("sec-fetch-site", "none")],
        ),
        "`Sec-Fetch-Site: none`",
    );
}

#[test]
fn a_cross_site_websocket_handshake_with_the_cookie_is_forbidden() {
    // A `GET`, but the page that opens the socket reads and writes it.
    let service = Service::start(with_cookie());
    let cookie = cookie();
    let handshake = |extra: &[(&'static str, &'static str)]| {
        let mut headers = vec![
            ("connection", "upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ];
        headers.extend_from_slice(extra);
        headers
    };
    let mut hijack = handshake(&[("sec-fetch-site", "cross-site"), ("origin", EVIL)]);
    hijack.push(("cookie", &cookie));
    assert_forbidden(
        &service.send("GET", "/orders", &hijack),
        "`Sec-Fetch-Site: cross-site`",
    );
    let mut old_browser = handshake(&[("origin", EVIL)]);
    old_browser.push(("cookie", &cookie));
    assert_forbidden(
        &service.send("GET", "/orders", &old_browser),
        &format!("the `Origin` `{EVIL}` is not trusted"),
    );
    // The app's own handshake passes the check (this route is no WebSocket, so
    // the handler answers as to a plain GET).
    let mut app = handshake(&[("sec-fetch-site", "same-site"), ("origin", APP)]);
    app.push(("cookie", &cookie));
    assert_passes(&service.send("GET", "/orders", &app), "orders of user-1");
}

#[test]
fn a_post_with_the_cookie_from_another_origin_is_forbidden() {
    let service = Service::start(with_cookie());
    let cookie = cookie();
    // Browsers without Fetch Metadata send only `Origin`; none of these is the app.
    for origin in [
        EVIL,
        "https://app.example.com.evil.example",
        "http://app.example.com",
        "https://app.example.com:8443",
        "https://example.com",
    ] {
        assert_forbidden(
            &service.send(
                "POST",
                "/orders",
                &[("cookie", &cookie), ("origin", origin)],
            ),
            &format!("the `Origin` `{origin}` is not trusted"),
        );
    }
}

#[test]
fn a_post_with_the_cookie_and_neither_origin_nor_sec_fetch_site_is_forbidden() {
    let service = Service::start(with_cookie());
    assert_forbidden(
        &service.send("POST", "/orders", &[("cookie", &cookie())]),
        "neither `Sec-Fetch-Site` nor `Origin`",
    );
    // `Referer` is no substitute.
    assert_forbidden(
        &service.send(
            "POST",
            "/orders",
            &[
                ("cookie", &cookie()),
                ("referer", "https://app.example.com/cart"),
            ],
        ),
        "neither `Sec-Fetch-Site` nor `Origin`",
    );
}

#[test]
fn a_post_with_the_cookie_from_a_null_origin_is_forbidden() {
    let service = Service::start(with_cookie());
    let cookie = cookie();
    // A sandboxed iframe, a `data:` URL or a cross-origin redirect: an opaque origin.
    for headers in [
        vec![("origin", "null")],
        vec![("origin", "Null")],
        vec![("origin", "null"), ("sec-fetch-site", "cross-site")],
        vec![("origin", "null"), ("sec-fetch-site", "same-origin")],
    ] {
        let mut headers = headers;
        headers.push(("cookie", &cookie));
        assert_forbidden(&service.send("POST", "/orders", &headers), "`Origin: null`");
    }
}

#[test]
fn a_post_with_the_cookie_and_two_origin_headers_is_forbidden() {
    let service = Service::start(with_cookie());
    let cookie = cookie();
    for (a, b) in [(APP, APP), (APP, EVIL), (EVIL, APP)] {
        assert_forbidden(
            &service.send(
                "POST",
                "/orders",
                &[("cookie", &cookie), ("origin", a), ("origin", b)],
            ),
            "two `Origin` headers",
        );
    }
    assert_forbidden(
        &service.send(
            "POST",
            "/orders",
            &[
                ("cookie", &cookie),
                ("sec-fetch-site", "same-origin"),
                ("sec-fetch-site", "cross-site"),
            ],
        ),
        "two `Sec-Fetch-Site` headers",
    );
}

#[test]
fn garbage_origin_and_sec_fetch_site_headers_are_a_403_never_a_500() {
    let service = Service::start(with_cookie());
    let cookie = cookie();
    let long = format!("https://{}.example", "a".repeat(6000));
    for origin in [
        "https://app.example.com/",
        "https://app.example.com/path",
        "https://user@app.example.com",
        "https://app.example.com:99999",
        "https://app.example.com, https://app.example.com",
        "*",
        "app.example.com",
        "%00",
        "https://\u{e9}.example",
        "https://*.example.com",
        long.as_str(),
    ] {
        assert_forbidden(
            &service.send(
                "POST",
                "/orders",
                &[("cookie", &cookie), ("origin", origin)],
            ),
            "the `Origin` is malformed",
        );
    }
    for site in [
        "same-origin, cross-site",
        "same_origin",
        "\u{e9}",
        "\"same-origin\"",
    ] {
        let refused = service.send(
            "POST",
            "/orders",
            &[("cookie", &cookie), ("sec-fetch-site", site)],
        );
        assert_forbidden(&refused, "unknown value");
        assert!(
            !refused.1[0]["reason"].contains(site),
            "request bytes are not logged"
        );
    }
}

#[test]
fn a_cross_site_post_with_the_cookie_is_never_downgraded_to_a_guest() {
    let service = Service::start(with_cookie());
    let refused = service.send(
        "POST",
        "/greet",
        &[("cookie", &cookie()), ("sec-fetch-site", "cross-site")],
    );
    assert_ne!(refused.0.body, "hello stranger");
    assert_forbidden(&refused, "`Sec-Fetch-Site: cross-site`");
}

#[test]
fn a_forged_cookie_on_a_cross_site_post_is_still_a_401() {
    // Authentication failure wins: the cross-site check runs on verified tokens.
    let service = Service::start(with_cookie());
    let (response, events) = service.send(
        "POST",
        "/orders",
        &[
            ("cookie", "access_token=not.a.token"),
            ("sec-fetch-site", "cross-site"),
        ],
    );
    assert_eq!(response.status, 401, "{events:?}");
    assert!(
        response
            .header("www-authenticate")
            .is_some_and(|challenge| challenge.contains("invalid_token"))
    );
}

// --- what still works -------------------------------------------------------------

#[test]
fn a_same_origin_post_with_the_cookie_passes() {
    let service = Service::start(with_cookie());
    let cookie = cookie();
    let placed = "order placed by user-1";
    // A page of the API's own origin (Fetch Metadata).
    for site in ["same-origin", "SAME-ORIGIN"] {
        assert_passes(
            &service.send(
                "POST",
                "/orders",
                &[("cookie", &cookie), ("sec-fetch-site", site)],
            ),
            placed,
        );
    }
    // The trusted app, from a browser with or without Fetch Metadata.
    for headers in [
        vec![("origin", APP)],
        vec![("origin", "HTTPS://App.Example.com:443")],
        vec![("origin", APP), ("sec-fetch-site", "same-site")],
        vec![("origin", APP), ("sec-fetch-site", "cross-site")],
    ] {
        let mut headers = headers;
        headers.push(("cookie", &cookie));
        assert_passes(&service.send("POST", "/orders", &headers), placed);
        assert_passes(&service.send("DELETE", "/orders", &headers), placed);
    }
}

#[test]
fn a_cross_site_get_with_the_cookie_passes() {
    // Safe methods change nothing, so a cross-site GET is not a forgery (a
    // cross-site page cannot read the response without CORS).
    let service = Service::start(with_cookie());
    let cookie = cookie();
    for headers in [
        vec![("sec-fetch-site", "cross-site"), ("origin", EVIL)],
        vec![("origin", "null")],
        vec![],
    ] {
        let mut headers = headers;
        headers.push(("cookie", &cookie));
        assert_passes(
            &service.send("GET", "/orders", &headers),
            "orders of user-1",
        );
    }
}

#[test]
fn the_authorization_header_on_a_cross_site_post_passes() {
    // A page cannot send a header token it has not read: no forgery to stop.
    let service = Service::start(with_cookie());
    let authorization = format!("Bearer {}", hs256(&good_claims()));
    for headers in [
        vec![("sec-fetch-site", "cross-site"), ("origin", EVIL)],
        vec![("origin", "null")],
        vec![],
    ] {
        let mut headers = headers;
        headers.push(("authorization", &authorization));
        assert_passes(
            &service.send("POST", "/orders", &headers),
            "order placed by user-1",
        );
    }
}

#[test]
fn without_trusted_origins_only_same_origin_posts_with_the_cookie_pass() {
    let service = Service::start(builder().cookie(COOKIE));
    let cookie = cookie();
    assert_passes(
        &service.send(
            "POST",
            "/orders",
            &[("cookie", &cookie), ("sec-fetch-site", "same-origin")],
        ),
        "order placed by user-1",
    );
    // The API's own origin is not guessed from `Host`.
    let host = format!("http://{}", service.addr);
    assert_forbidden(
        &service.send("POST", "/orders", &[("cookie", &cookie), ("origin", &host)]),
        "is not trusted",
    );
}

#[test]
fn the_dangerous_opt_out_accepts_cross_site_posts_with_the_cookie() {
    let service = Service::start(
        builder()
            .cookie(COOKIE)
            .dangerous_without_cross_site_check(),
    );
    let cookie = cookie();
    for headers in [
        vec![("sec-fetch-site", "cross-site"), ("origin", EVIL)],
        vec![("origin", "null")],
        vec![],
    ] {
        let mut headers = headers;
        headers.push(("cookie", &cookie));
        assert_passes(
            &service.send("POST", "/orders", &headers),
            "order placed by user-1",
        );
    }
}

// --- configuration ----------------------------------------------------------------

#[test]
fn trusted_origins_are_checked_at_build() {
    for origin in [
        "",
        "null",
        "*",
        "https://*.example.com",
        "app.example.com",
        "https://app.example.com/",
        "https://app.example.com/app",
        "https://user@app.example.com",
        "ftp://app.example.com",
        " https://app.example.com",
        "https://b\u{fc}cher.example",
    ] {
        let error = builder()
            .cookie(COOKIE)
            .trusted_origin(origin)
            .build()
            .unwrap_err();
        assert_eq!(
            error,
            ConfigError::InvalidTrustedOrigin {
                origin: origin.to_owned()
            }
        );
    }
    for origin in [
        "https://app.example.com",
        "https://app.example.com:8443",
        "http://localhost:3000",
        "https://xn--bcher-kva.example",
    ] {
        assert!(
            builder()
                .cookie(COOKIE)
                .trusted_origin(origin)
                .build()
                .is_ok(),
            "{origin}"
        );
    }
    assert_eq!(
        builder().trusted_origin(APP).build().unwrap_err(),
        ConfigError::TrustedOriginWithoutCookie
    );
    assert_eq!(
        builder()
            .cookie(COOKIE)
            .trusted_origin(APP)
            .dangerous_without_cross_site_check()
            .build()
            .unwrap_err(),
        ConfigError::TrustedOriginWithoutCrossSiteCheck
    );
    for error in [
        ConfigError::InvalidTrustedOrigin {
            origin: "null".to_owned(),
        },
        ConfigError::TrustedOriginWithoutCookie,
        ConfigError::TrustedOriginWithoutCrossSiteCheck,
        ConfigError::AnyIssuerConflict,
    ] {
        let message = error.to_string();
        assert!(
            message.starts_with(|c: char| !c.is_uppercase()) && !message.ends_with('.'),
            "{message}"
        );
    }
}
