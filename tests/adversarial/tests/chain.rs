//! One route, several ways in, and no way to be two people at once.
//!
//! The claim of `Chain`: a request is decided by the one authenticator whose
//! credential it carries. No credential is a 401 that lists every way in (one
//! `WWW-Authenticate` per scheme); a refused credential is a 401 and never falls
//! back to another scheme; two credentials are a 400, whichever would pass. Gates
//! tell the mechanisms apart. The attacks, over real HTTP on both frameworks:
//!
//! - a bad API key beside a good bearer token (hoping for a fallback), and a
//!   good key beside a good token of someone else (hoping for the stronger one);
//! - a bad key alone (hoping for an anonymous or guest fallback);
//! - an API key at a route that refuses API keys.

use std::net::SocketAddr;

use auth_adversarial::{send, serve_actix_scope, serve_axum};
use auth_core::axum::SecureRouter;
use auth_core::{
    AuthError, Authenticated, Authenticator, Chain, Identity, Mechanism, Scheme,
    SharedAuthenticator, TokenError, requires,
};
use auth_integration::client::{self, Response};
use auth_tests::{TestAuthenticator, User};
use http::HeaderName;
use http::request::Parts;

const API_KEY: HeaderName = HeaderName::from_static("x-api-key");

/// `X-API-Key: key-<id>` for users 1 to 3; any other value is refused.
struct Keys;

impl Authenticator for Keys {
    type User = User;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<User>, AuthError> {
        let Some(key) = request.headers.get(&API_KEY) else {
            return Err(AuthError::MissingCredentials);
        };
        let id: u64 = key
            .to_str()
            .ok()
            .and_then(|key| key.strip_prefix("key-"))
            .and_then(|id| id.parse().ok())
            .filter(|id| (1..=3).contains(id))
            .ok_or(TokenError::InvalidSignature)?;
        let (users, ()) = http::Request::builder()
            .header("authorization", format!("Test {id}"))
            .body(())
            .map_err(|_| TokenError::Malformed)?
            .into_parts();
        let user = TestAuthenticator::default().authenticate(&users).await?;
        Ok(Identity::new(
            user.user().clone(),
            id.to_string(),
            Mechanism::ApiKey,
        ))
    }

    fn schemes(&self) -> Vec<Scheme> {
        vec![Scheme::header(API_KEY)]
    }
}

/// `Authorization: Test <id>` (read as a bearer scheme) or an API key.
fn chain() -> SharedAuthenticator<User> {
    let chain = Chain::new(TestAuthenticator::default())
        .or(Keys)
        .expect("the schemes differ");
    SharedAuthenticator::new(chain).with_realm("chain")
}

#[requires(authenticated)]
async fn me(user: Authenticated<User>) -> String {
    format!("{} via {}", user.subject(), user.info().mechanism())
}

#[requires(not(mechanism("api_key")))]
async fn keys(user: Authenticated<User>) -> &'static str {
    "a new key"
}

async fn start_axum() -> SocketAddr {
    use auth_core::axum::{get, post};
    let app = SecureRouter::new()
        .route("/me", get(me))
        .route("/keys", post(keys))
        .with_state(chain());
    serve_axum(app).await
}

fn start_actix() -> SocketAddr {
    use auth_core::actix::{SecureScope, get, post};
    serve_actix_scope(chain(), || {
        SecureScope::new("")
            .route("/me", get(me))
            .route("/keys", post(keys))
    })
}

async fn call(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    client::send(
        addr,
        client::Request {
            method,
            path,
            headers: headers
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned()))
                .collect(),
            ..client::Request::default()
        },
    )
    .await
}

async fn attack(addr: SocketAddr) {
    // Each way in works, and says which it was.
    let bearer = call(addr, "GET", "/me", &[("authorization", "Test 1")]).await;
    assert_eq!((bearer.status, bearer.body.as_str()), (200, "1 via test"));
    let key = call(addr, "GET", "/me", &[("x-api-key", "key-2")]).await;
    assert_eq!((key.status, key.body.as_str()), (200, "2 via api_key"));

    // Nothing sent: 401, one challenge per way in, no `error`.
    let anonymous = call(addr, "GET", "/me", &[]).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        anonymous.all("www-authenticate"),
        [
            r#"Bearer realm="chain""#,
            r#"ApiKey realm="chain", header="x-api-key""#
        ]
    );

    // A refused key is a 401 that says so on the key's challenge; no fallback.
    let bad_key = call(addr, "GET", "/me", &[("x-api-key", "key-9")]).await;
    assert_eq!(bad_key.status, 401);
    assert_eq!(
        bad_key.all("www-authenticate"),
        [
            r#"Bearer realm="chain""#,
            r#"ApiKey realm="chain", header="x-api-key", error="invalid_token", error_description="the access token is invalid""#,
        ]
    );

    // Two credentials: 400, whether one of them is bad or both are good.
    for headers in [
        [("authorization", "Test 1"), ("x-api-key", "key-9")],
        [("authorization", "Test 3"), ("x-api-key", "key-1")],
        [("authorization", "Test 9"), ("x-api-key", "key-1")],
    ] {
        let both = call(addr, "GET", "/me", &headers).await;
        assert_eq!(both.status, 400, "{headers:?}");
        assert!(both.body.contains("invalid_request"), "{}", both.body);
    }

    // Gates tell the mechanisms apart: a key cannot make keys.
    let by_key = send(addr, "POST", "/keys", None, None).await;
    assert_eq!(by_key.status, 401);
    let by_key = call(addr, "POST", "/keys", &[("x-api-key", "key-1")]).await;
    assert_eq!(by_key.status, 403);
    let by_user = call(addr, "POST", "/keys", &[("authorization", "Test 1")]).await;
    assert_eq!((by_user.status, by_user.body.as_str()), (200, "a new key"));
}

#[tokio::test]
async fn a_chain_takes_one_credential_and_never_falls_back_on_axum() {
    attack(start_axum().await).await;
}

#[tokio::test]
async fn a_chain_takes_one_credential_and_never_falls_back_on_actix() {
    attack(start_actix()).await;
}

#[test]
fn two_authenticators_of_one_scheme_cannot_be_chained() {
    let refused = Chain::new(TestAuthenticator::default()).or(TestAuthenticator::default());
    assert_eq!(refused.err().map(|e| e.scheme), Some(Scheme::Bearer));
}
