//! G10, one authenticator, one principal: a principal established by one
//! `SharedAuthenticator<User>` is never reused for a route guarded by another,
//! however routers, layers and scopes nest.
//!
//! The attack: an outer layer signs the caller in with a lenient authenticator,
//! which leaves the principal in the request's extensions; the adapters used to
//! cache it keyed by the principal *type*, so a nested router whose state holds a
//! stricter authenticator of the same `User` found it there and let the caller in
//! without ever running its own authenticator. Every test here sends a credential
//! only the lenient authenticator accepts ([`LENIENT_ONLY`]) to a route of the
//! strict one: the outer layer must have seen the principal (`x-outer-principal`),
//! the strict authenticator must have run, and the answer must be its 401.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{App, FromRequest, HttpServer, web};
use auth_adversarial::{LENIENT_ONLY, Lenient, Probe, get, serve_actix, serve_axum};
use auth_core::axum::SecureRouter;
use auth_core::{Authenticated, SharedAuthenticator, requires};
use auth_tests::User;
use axum::extract::{FromRef, Request, State};
use axum::response::Response;
use http::HeaderValue;

const OUTER_PRINCIPAL: &str = "x-outer-principal";

#[requires(authenticated)]
async fn me(user: Authenticated<User>) -> String {
    format!("user {}", user.id)
}

#[requires(role("admin"))]
async fn admin(user: Authenticated<User>) -> String {
    format!("admin {}", user.id)
}

/// The state of an outer axum layer: its own authenticator.
#[derive(Clone)]
struct Outer(SharedAuthenticator<User>);

impl FromRef<Outer> for SharedAuthenticator<User> {
    fn from_ref(outer: &Outer) -> Self {
        outer.0.clone()
    }
}

/// An axum layer that signs the caller in with *its* authenticator (optional
/// sign-in, as a layer that personalizes pages would) before the routes run, and
/// says whom it saw.
async fn axum_outer_sign_in(
    State(_): State<Outer>,
    seen: Option<Authenticated<User>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let seen = seen.map_or_else(|| "guest".to_owned(), |user| user.subject().to_owned());
    if let Ok(value) = HeaderValue::from_str(&seen) {
        response.headers_mut().insert(OUTER_PRINCIPAL, value);
    }
    response
}

/// `router` inside an [`axum_outer_sign_in`] layer holding `authenticator`.
fn outer_layer(router: axum::Router, authenticator: &SharedAuthenticator<User>) -> axum::Router {
    router.layer(axum::middleware::from_fn_with_state(
        Outer(authenticator.clone()),
        axum_outer_sign_in,
    ))
}

/// The strict routes, nested one level deeper too.
fn strict_routes(strict: &SharedAuthenticator<User>) -> axum::Router {
    SecureRouter::new()
        .route("/me", auth_core::axum::get(me))
        .route("/admin", auth_core::axum::get(admin))
        .nest(
            "/deeper",
            SecureRouter::new().route("/me", auth_core::axum::get(me)),
        )
        .with_state(strict.clone())
}

/// The lenient authenticator's own routes, the strict ones nested, merged, nested
/// as a service and wrapped in a lenient layer of their own, and a lenient layer
/// around everything.
fn axum_app(
    lenient: &SharedAuthenticator<User>,
    strict: &SharedAuthenticator<User>,
) -> axum::Router {
    let app = axum::Router::new()
        .nest(
            "/lenient",
            SecureRouter::new()
                .route("/me", auth_core::axum::get(me))
                .with_state(lenient.clone()),
        )
        .nest("/nested", strict_routes(strict))
        .merge(
            SecureRouter::new()
                .route("/merged/me", auth_core::axum::get(me))
                .with_state(strict.clone()),
        )
        .nest_service("/service", strict_routes(strict))
        .nest("/layered", outer_layer(strict_routes(strict), lenient));
    outer_layer(app, lenient)
}

const STRICT_PATHS: [&str; 6] = [
    "/nested/me",
    "/nested/admin",
    "/nested/deeper/me",
    "/merged/me",
    "/service/me",
    "/layered/me",
];

/// Asserts the strict authenticator answered `path` with its own 401 although
/// the outer layer had already signed the caller in as user 42.
fn assert_strict_401(path: &str, response: &auth_integration::client::Response) {
    assert_eq!(
        (response.status, response.header(OUTER_PRINCIPAL)),
        (401, Some("42")),
        "{path}: the outer layer saw user 42, the strict route must not: {response:?}"
    );
    let challenge = response.header("www-authenticate").unwrap_or("");
    assert!(
        challenge.starts_with(r#"Bearer realm="strict""#) && challenge.contains("invalid_token"),
        "{path}: the strict authenticator's own challenge: {challenge}"
    );
    assert!(!response.body.contains("42"), "{path}: {}", response.body);
}

#[tokio::test]
async fn a_user_token_cached_by_an_outer_layer_does_not_reach_a_router_with_a_stricter_authenticator()
 {
    let lenient = Lenient::default();
    let strict = Probe::new();
    let strict_calls = strict.calls();
    let lenient_shared = SharedAuthenticator::new(lenient).with_realm("lenient");
    let strict_shared = SharedAuthenticator::new(strict).with_realm("strict");
    let addr = serve_axum(axum_app(&lenient_shared, &strict_shared)).await;

    // The lenient authenticator does accept the credential, on its own routes.
    let own = get(addr, "/lenient/me", Some(LENIENT_ONLY)).await;
    assert_eq!(
        (own.status, own.body.as_str(), own.header(OUTER_PRINCIPAL)),
        (200, "user 42", Some("42"))
    );

    for path in STRICT_PATHS {
        let before = strict_calls.get();
        let response = get(addr, path, Some(LENIENT_ONLY)).await;
        assert_strict_401(path, &response);
        assert!(
            strict_calls.get() > before,
            "{path}: the strict authenticator must run"
        );
        // Its own users still get in, through the same layers.
        let own = get(addr, path, Some("Test 3")).await;
        assert_eq!(own.status, 200, "{path}: {own:?}");
    }
}

#[tokio::test]
async fn a_principal_of_one_authenticator_is_not_reused_by_another_of_the_same_type() {
    // Two instances of one authenticator type, configured differently: two JWT
    // audiences, two tenants. A cache keyed by any type would mix them up.
    let lenient = SharedAuthenticator::new(Lenient::default()).with_realm("lenient");
    let stricter = Lenient::up_to(3);
    let stricter_calls = stricter.calls();
    let strict = SharedAuthenticator::new(stricter).with_realm("strict");
    let addr = serve_axum(axum_app(&lenient, &strict)).await;

    for path in STRICT_PATHS {
        let before = stricter_calls.get();
        assert_strict_401(path, &get(addr, path, Some(LENIENT_ONLY)).await);
        assert!(stricter_calls.get() > before, "{path}");
    }
}

#[tokio::test]
async fn clones_of_one_authenticator_verify_a_credential_once_per_request_on_axum() {
    let probe = Probe::new();
    let calls = probe.calls();
    let strict = SharedAuthenticator::new(probe).with_realm("strict");
    // The outer layer and the nested routes hold clones of the same authenticator.
    let app = outer_layer(
        axum::Router::new().nest("/nested", strict_routes(&strict)),
        &strict.clone(),
    );
    let addr = serve_axum(app).await;

    let response = get(addr, "/nested/deeper/me", Some("Test 1")).await;
    assert_eq!(
        (
            response.status,
            response.body.as_str(),
            response.header(OUTER_PRINCIPAL)
        ),
        (200, "user 1", Some("1"))
    );
    assert_eq!(calls.get(), 1, "one request, one verification");
    let _ = get(addr, "/nested/deeper/me", Some("Test 1")).await;
    assert_eq!(calls.get(), 2, "nothing is kept across requests");
}

/// An actix-web middleware that signs the caller in with the authenticator it
/// finds where it stands, before the inner service runs, and says whom it saw.
async fn actix_outer_sign_in(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let seen = Authenticated::<User>::from_request(request.request(), &mut Payload::None).await;
    let seen = seen.map_or_else(|_| "guest".to_owned(), |user| user.subject().to_owned());
    let mut response = next.call(request).await?;
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&seen) {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static(OUTER_PRINCIPAL),
            value,
        );
    }
    Ok(response)
}

fn actix_secure_routes() -> auth_core::actix::SecureScope {
    auth_core::actix::SecureScope::new("")
        .route("/me", auth_core::actix::get(me))
        .route("/admin", auth_core::actix::get(admin))
        .nest(auth_core::actix::SecureScope::new("/deeper").route("/me", auth_core::actix::get(me)))
}

/// The lenient authenticator as the app's data and in a middleware around
/// everything; the strict one as the data of a scope, of a scope with a lenient
/// middleware of its own, and of a scope nested in a lenient one.
fn start_actix(
    lenient: SharedAuthenticator<User>,
    strict: SharedAuthenticator<User>,
) -> std::net::SocketAddr {
    serve_actix(move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(lenient.clone()))
                .wrap(actix_web::middleware::from_fn(actix_outer_sign_in))
                .service(web::scope("/lenient").service(
                    auth_core::actix::SecureScope::new("").route("/me", auth_core::actix::get(me)),
                ))
                .service(
                    web::scope("/nested")
                        .app_data(web::Data::new(strict.clone()))
                        .service(actix_secure_routes()),
                )
                .service(
                    web::scope("/layered")
                        .app_data(web::Data::new(strict.clone()))
                        .wrap(actix_web::middleware::from_fn(actix_outer_sign_in))
                        .service(actix_secure_routes()),
                )
                .service(
                    web::scope("/outer")
                        .wrap(actix_web::middleware::from_fn(actix_outer_sign_in))
                        .service(
                            web::scope("/inner")
                                .app_data(web::Data::new(strict.clone()))
                                .service(actix_secure_routes()),
                        ),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    })
}

const ACTIX_STRICT_PATHS: [&str; 6] = [
    "/nested/me",
    "/nested/admin",
    "/nested/deeper/me",
    "/layered/me",
    "/layered/deeper/me",
    "/outer/inner/me",
];

#[tokio::test]
async fn a_principal_cached_by_an_actix_middleware_does_not_reach_a_scope_with_a_stricter_authenticator()
 {
    let strict = Probe::new();
    let strict_calls = strict.calls();
    let addr = start_actix(
        SharedAuthenticator::new(Lenient::default()).with_realm("lenient"),
        SharedAuthenticator::new(strict).with_realm("strict"),
    );

    let own = get(addr, "/lenient/me", Some(LENIENT_ONLY)).await;
    assert_eq!(
        (own.status, own.body.as_str(), own.header(OUTER_PRINCIPAL)),
        (200, "user 42", Some("42"))
    );
    for path in ACTIX_STRICT_PATHS {
        let before = strict_calls.get();
        let response = get(addr, path, Some(LENIENT_ONLY)).await;
        assert_strict_401(path, &response);
        assert!(
            strict_calls.get() > before,
            "{path}: the strict authenticator must run"
        );
        let own = get(addr, path, Some("Test 3")).await;
        assert_eq!(own.status, 200, "{path}: {own:?}");
    }
}

#[tokio::test]
async fn an_actix_principal_of_one_authenticator_is_not_reused_by_another_of_the_same_type() {
    let stricter = Lenient::up_to(3);
    let calls = stricter.calls();
    let addr = start_actix(
        SharedAuthenticator::new(Lenient::default()).with_realm("lenient"),
        SharedAuthenticator::new(stricter).with_realm("strict"),
    );
    for path in ACTIX_STRICT_PATHS {
        let before = calls.get();
        assert_strict_401(path, &get(addr, path, Some(LENIENT_ONLY)).await);
        assert!(calls.get() > before, "{path}");
    }
}

#[tokio::test]
async fn clones_of_one_authenticator_verify_a_credential_once_per_request_on_actix() {
    let probe = Probe::new();
    let calls = probe.calls();
    let strict = SharedAuthenticator::new(probe).with_realm("strict");
    let addr = serve_actix(move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(strict.clone()))
                .wrap(actix_web::middleware::from_fn(actix_outer_sign_in))
                .service(
                    web::scope("/nested")
                        .app_data(web::Data::new(strict.clone()))
                        .service(actix_secure_routes()),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    });

    let response = get(addr, "/nested/deeper/me", Some("Test 1")).await;
    assert_eq!(
        (
            response.status,
            response.body.as_str(),
            response.header(OUTER_PRINCIPAL)
        ),
        (200, "user 1", Some("1"))
    );
    assert_eq!(calls.get(), 1, "one request, one verification");
    let _ = get(addr, "/nested/deeper/me", Some("Test 1")).await;
    assert_eq!(calls.get(), 2, "nothing is kept across requests");
}
