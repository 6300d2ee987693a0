//! `auth_core::tower::AuthLayer` in front of a plain tower service, and in front
//! of an axum router: what it records, the per-authenticator cache it shares
//! with axum's extractor, and a consumer with no layer failing closed.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::tower::{AuthLayer, authenticated, optional};
use auth_core::{AuthError, Authenticated, Authenticator, Identity, SharedAuthenticator};
use auth_tests::{TestAuthenticator, User, block_on};
use axum::extract::FromRef;
use http::request::Parts;
use tower::{Layer, Service, ServiceExt};

/// The test authenticator, counting how often it runs.
#[derive(Clone, Default)]
struct Counting {
    inner: TestAuthenticator,
    runs: Arc<AtomicUsize>,
}

impl Authenticator for Counting {
    type User = User;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<User>, AuthError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        self.inner.authenticate(request).await
    }
}

fn request(authorization: Option<&str>) -> http::Request<()> {
    let mut builder = http::Request::builder();
    if let Some(value) = authorization {
        builder = builder.header(http::header::AUTHORIZATION, value);
    }
    builder.body(()).unwrap()
}

/// A tower service that answers with the principal the layer recorded.
fn echo() -> impl Service<
    http::Request<()>,
    Response = http::Response<String>,
    Error = Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(|request: http::Request<()>| async move {
        Ok::<_, Infallible>(match authenticated::<User>(request.extensions()) {
            Ok(user) => http::Response::new(format!("user {}", user.subject())),
            Err(refused) => refused.response(),
        })
    })
}

#[test]
fn the_layer_records_the_principal_for_any_tower_service() {
    let counting = Counting::default();
    let auth = SharedAuthenticator::new(counting.clone()).with_realm("api");
    let service = AuthLayer::new(auth).layer(echo());
    let response = block_on(service.oneshot(request(Some("Test 1")))).unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), "user 1");
    assert_eq!(counting.runs.load(Ordering::SeqCst), 1);
}

#[test]
fn a_failure_is_recorded_with_its_challenges_and_the_consumer_answers() {
    let auth = SharedAuthenticator::new(TestAuthenticator::default()).with_realm("api");
    let layer = AuthLayer::new(auth);

    let nothing = block_on(layer.layer(echo()).oneshot(request(None))).unwrap();
    assert_eq!(nothing.status(), 401);
    assert_eq!(
        nothing.headers()["www-authenticate"],
        r#"Bearer realm="api""#
    );

    let bad = block_on(layer.layer(echo()).oneshot(request(Some("Test nope")))).unwrap();
    assert_eq!(bad.status(), 401);
    assert!(
        bad.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );

    // Optional sign-in: nothing sent is a guest (`None`); a bad credential is
    // still refused.
    let probe = tower::service_fn(|request: http::Request<()>| async move {
        Ok::<_, Infallible>(optional::<User>(request.extensions()).map(|user| user.is_some()))
    });
    let none = block_on(layer.layer(probe).oneshot(request(None))).unwrap();
    assert!(matches!(none, Ok(false)));
    let refused = block_on(layer.layer(probe).oneshot(request(Some("Test nope")))).unwrap();
    assert_eq!(refused.expect_err("refused").error().status(), 401);
}

#[test]
fn a_consumer_without_the_layer_fails_closed() {
    // The layer forgotten: a 500, never a principal, never a guest.
    let response = block_on(echo().oneshot(request(Some("Test 1")))).unwrap();
    assert_eq!(response.status(), 500);
    assert!(response.headers().get("www-authenticate").is_none());
    let refused = optional::<User>(&http::Extensions::new()).expect_err("no layer");
    assert!(matches!(refused.error(), AuthError::Misconfigured { .. }));

    // A layer for another principal type does not count either.
    let other = SharedAuthenticator::new(OtherUsers);
    let response = block_on(
        AuthLayer::new(other)
            .layer(echo())
            .oneshot(request(Some("Test 1"))),
    )
    .unwrap();
    assert_eq!(response.status(), 500);
}

struct OtherUsers;

impl Authenticator for OtherUsers {
    type User = String;

    async fn authenticate(&self, _: &Parts) -> Result<Identity<String>, AuthError> {
        Ok(Identity::new(
            "someone".to_owned(),
            "someone",
            auth_core::Mechanism::Test,
        ))
    }
}

#[derive(Clone)]
struct AppState {
    auth: SharedAuthenticator<User>,
}

impl FromRef<AppState> for SharedAuthenticator<User> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

async fn me(user: Authenticated<User>) -> String {
    format!("user {}", user.subject())
}

fn axum_app(
    layer_auth: SharedAuthenticator<User>,
    router_auth: SharedAuthenticator<User>,
) -> axum::Router {
    axum::Router::new()
        .route("/me", axum::routing::get(me))
        .with_state(AppState { auth: router_auth })
        .layer(AuthLayer::new(layer_auth))
}

fn get_me() -> http::Request<axum::body::Body> {
    http::Request::builder()
        .uri("/me")
        .header(http::header::AUTHORIZATION, "Test 1")
        .body(axum::body::Body::empty())
        .unwrap()
}

#[test]
fn axum_reuses_the_layers_answer_for_the_same_authenticator() {
    let counting = Counting::default();
    let auth = SharedAuthenticator::new(counting.clone()).with_realm("api");
    let response = block_on(axum_app(auth.clone(), auth).oneshot(get_me())).unwrap();
    assert_eq!(response.status(), 200);
    // The layer verified; the extractor took its answer.
    assert_eq!(counting.runs.load(Ordering::SeqCst), 1);
}

#[test]
fn axum_verifies_again_with_another_authenticator() {
    let layer_counting = Counting::default();
    let router_counting = Counting::default();
    let layer_auth = SharedAuthenticator::new(layer_counting.clone()).with_realm("api");
    let router_auth = SharedAuthenticator::new(router_counting.clone()).with_realm("api");
    let response = block_on(axum_app(layer_auth, router_auth).oneshot(get_me())).unwrap();
    assert_eq!(response.status(), 200);
    // Each authenticator verified the credential itself: a principal is never
    // reused across authenticators.
    assert_eq!(layer_counting.runs.load(Ordering::SeqCst), 1);
    assert_eq!(router_counting.runs.load(Ordering::SeqCst), 1);

    // The same counting authenticator under another realm is another
    // authenticator too.
    let counting = Counting::default();
    let first = SharedAuthenticator::new(counting.clone()).with_realm("one");
    let second = first.clone().with_realm("two");
    block_on(axum_app(first, second).oneshot(get_me())).unwrap();
    assert_eq!(counting.runs.load(Ordering::SeqCst), 2);
}

#[test]
fn a_refusing_authenticator_never_lets_a_cached_principal_through() {
    // The layer's authenticator accepts; the router's refuses every credential.
    // The router's answer is its own 401, not the layer's principal.
    struct Refuses;
    impl Authenticator for Refuses {
        type User = User;
        async fn authenticate(&self, _: &Parts) -> Result<Identity<User>, AuthError> {
            Err(auth_core::TokenError::InvalidSignature.into())
        }
    }
    let layer_auth = SharedAuthenticator::new(TestAuthenticator::default());
    let router_auth = SharedAuthenticator::new(Refuses).with_realm("strict");
    let response = block_on(axum_app(layer_auth, router_auth).oneshot(get_me())).unwrap();
    assert_eq!(response.status(), 401);
}
