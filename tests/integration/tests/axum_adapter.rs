//! The axum adapter on its own: the extractor, optional (guest) access, one
//! authentication per request, and the wire format of denials.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::axum::{SecureRouter, get};
use auth_core::{
    AuthError, Authenticated, Authenticator, Identity, SharedAuthenticator, public, requires,
};
use auth_tests::{TestAuthenticator, User};
use axum::body::Body;
use axum::extract::FromRequestParts;
use http::request::Parts;
use http::{Request, StatusCode};
use tower::ServiceExt;

/// Counts how often the credential is verified.
#[derive(Clone, Default)]
struct Counting {
    inner: TestAuthenticator,
    calls: Arc<AtomicUsize>,
}

impl Authenticator for Counting {
    type User = User;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<User>, AuthError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.authenticate(request).await
    }
}

/// An extractor that needs the principal too, like a resource loader.
struct Audited(u64);

impl FromRequestParts<SharedAuthenticator<User>> for Audited {
    type Rejection = auth_core::axum::AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedAuthenticator<User>,
    ) -> Result<Self, Self::Rejection> {
        let user = Authenticated::<User>::from_request_parts(parts, state).await?;
        Ok(Audited(user.id))
    }
}

#[public]
async fn greet(guest: Option<Authenticated<User>>) -> String {
    guest.map_or_else(
        || "hello stranger".to_owned(),
        |user| format!("hello {}", user.id),
    )
}

#[requires(scope("orders:write"))]
async fn twice(user: Authenticated<User>, Audited(again): Audited) -> String {
    format!("{} {}", user.id, again)
}

fn app(authenticator: Counting) -> axum::Router {
    SecureRouter::new()
        .route("/greet", get(greet))
        .route("/twice", get(twice))
        .with_state(SharedAuthenticator::new(authenticator).with_realm("adapter"))
}

async fn call(
    app: &axum::Router,
    path: &str,
    authorization: Option<&str>,
) -> (StatusCode, http::HeaderMap, String) {
    let mut request = Request::get(path);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("a request"))
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .expect("a body");
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test]
async fn guests_are_none_but_a_bad_credential_is_still_401() {
    let app = app(Counting::default());
    assert_eq!(call(&app, "/greet", None).await.2, "hello stranger");
    assert_eq!(call(&app, "/greet", Some("Test 2")).await.2, "hello 2");
    let (status, headers, body) = call(&app, "/greet", Some("Test 999")).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "never a silent downgrade to guest"
    );
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap_or("")
            .contains("invalid_token")
    );
    assert_eq!(
        body,
        r#"{"error":"invalid_token","error_description":"the access token is invalid"}"#
    );
}

#[tokio::test]
async fn the_principal_is_verified_once_per_request() {
    let authenticator = Counting::default();
    let calls = Arc::clone(&authenticator.calls);
    let app = app(authenticator);
    let (status, _, body) = call(&app, "/twice", Some("Test 1 orders:write")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "1 1"));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "two extractors, one verification"
    );
    let _ = call(&app, "/twice", Some("Test 1 orders:write")).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "nothing is cached across requests"
    );
}

#[tokio::test]
async fn denials_have_the_documented_wire_format() {
    let app = app(Counting::default());
    let (status, headers, body) = call(&app, "/twice", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], r#"Bearer realm="adapter""#);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        body,
        r#"{"error":"missing_credentials","error_description":"authentication is required"}"#
    );

    let (status, headers, body) = call(&app, "/twice", Some("Test 1 orders:read")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        headers["www-authenticate"],
        r#"Bearer realm="adapter", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:write""#
    );
    assert_eq!(
        body,
        r#"{"error":"insufficient_scope","error_description":"the access token lacks a required scope"}"#
    );

    let mut two = Request::get("/twice")
        .header("authorization", "Test 1")
        .header("authorization", "Test 2")
        .body(Body::empty())
        .expect("a request");
    two.headers_mut()
        .append("authorization", http::HeaderValue::from_static("Test 3"));
    let response = app.clone().oneshot(two).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
