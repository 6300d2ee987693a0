//! Coverage at run time: routes mounted outside the secure mount points (a
//! plain route, a nested service, a fallback, actix's default service) cannot
//! answer under strict coverage, and are reported under report coverage; every
//! answer of a secure route (its 401, its 403, its extractors' 400) and of a
//! `#[public]` fallback goes through untouched.

use std::net::SocketAddr;

use auth_adversarial::{get, send, serve_actix, serve_axum};
use auth_core::{Authenticated, SharedAuthenticator, public, requires};
use auth_tests::{TestAuthenticator, User};

#[requires(role("admin"))]
async fn admin_only(_user: Authenticated<User>) -> &'static str {
    "admin"
}

#[requires(authenticated)]
async fn with_id(
    _user: Authenticated<User>,
    axum::extract::Path(id): axum::extract::Path<u32>,
) -> String {
    id.to_string()
}

#[public]
async fn health() -> &'static str {
    "ok"
}

#[public]
async fn not_found() -> (http::StatusCode, &'static str) {
    (http::StatusCode::NOT_FOUND, "no such route")
}

/// Forgotten: no attribute, mounted on a plain router.
async fn leak() -> &'static str {
    "every customer's data"
}

fn authenticator() -> SharedAuthenticator<User> {
    SharedAuthenticator::new(TestAuthenticator::default()).with_realm("cov")
}

fn axum_app(strict: bool, public_fallback: bool) -> axum::Router {
    use auth_core::axum::{SecureRouter, get};
    let secure = SecureRouter::new()
        .route("/admin", get(admin_only))
        .route("/things/{id}", get(with_id))
        .route("/health", get(health))
        .with_state(authenticator());
    let files = axum::Router::new().route("/{*file}", axum::routing::get(|| async { "file" }));
    let plain = axum::Router::new()
        .route("/leak", axum::routing::get(leak))
        .nest_service("/static", files);
    let app = secure.merge(plain);
    let app = if public_fallback {
        app.fallback(not_found)
    } else {
        app.fallback(|| async { (http::StatusCode::NOT_FOUND, "plain fallback") })
    };
    if strict {
        app.layer(axum::middleware::from_fn(auth_core::axum::require_coverage))
    } else {
        app.layer(axum::middleware::from_fn(auth_core::axum::report_coverage))
    }
}

async fn secure_routes_answer_as_ever(addr: SocketAddr, what: &str) {
    assert_eq!(get(addr, "/health", None).await.status, 200, "{what}");
    assert_eq!(get(addr, "/admin", None).await.status, 401, "{what}");
    assert_eq!(
        get(addr, "/admin", Some("Test 2")).await.status,
        403,
        "{what}"
    );
    assert_eq!(
        get(addr, "/admin", Some("Test 3")).await.status,
        200,
        "{what}"
    );
    let bad_path = get(addr, "/things/abc", Some("Test 2")).await;
    assert_eq!(bad_path.status, 400, "{what}: {}", bad_path.body);
    assert_eq!(
        get(addr, "/things/7", Some("Test 2")).await.body,
        "7",
        "{what}"
    );
}

#[tokio::test]
async fn strict_coverage_refuses_what_no_guarded_handler_answered_on_axum() {
    let addr = serve_axum(axum_app(true, false)).await;
    secure_routes_answer_as_ever(addr, "axum strict").await;
    for path in ["/leak", "/static/app.js", "/nowhere"] {
        let response = get(addr, path, Some("Test 1")).await;
        assert_eq!(response.status, 500, "{path}: {}", response.body);
        assert!(
            !response.body.contains("customer"),
            "{path}: {}",
            response.body
        );
    }
    // A `#[public]` fallback is covered.
    let addr = serve_axum(axum_app(true, true)).await;
    let missing = get(addr, "/nowhere", None).await;
    assert_eq!(
        (missing.status, missing.body.as_str()),
        (404, "no such route")
    );
    assert_eq!(get(addr, "/leak", None).await.status, 500);
}

#[tokio::test]
async fn report_coverage_lets_it_through_and_says_so_on_axum() {
    let addr = serve_axum(axum_app(false, false)).await;
    secure_routes_answer_as_ever(addr, "axum report").await;
    auth_tests::audit::start();
    let response = get(addr, "/leak", None).await;
    let events = auth_tests::audit::take();
    assert_eq!(response.status, 200);
    let event = events
        .iter()
        .find(|e| e.get("decision").is_some_and(|d| d == "uncovered"))
        .unwrap_or_else(|| panic!("an uncovered event: {events:#?}"));
    assert_eq!(event["handler"], "GET /leak");
    assert_eq!(event["level"], "WARN");
}

#[actix_web::get("/leak")]
async fn actix_leak() -> &'static str {
    "every customer's data"
}

#[requires(role("admin"))]
async fn actix_admin(_user: Authenticated<User>) -> &'static str {
    "admin"
}

#[tokio::test]
async fn strict_coverage_refuses_what_no_guarded_handler_answered_on_actix() {
    let addr = serve_actix(|listener| {
        Ok(actix_web::HttpServer::new(|| {
            actix_web::App::new()
                .wrap(actix_web::middleware::from_fn(
                    auth_core::actix::require_coverage,
                ))
                .app_data(actix_web::web::Data::new(authenticator()))
                .service(
                    auth_core::actix::SecureScope::new("/api")
                        .route("/admin", auth_core::actix::get(actix_admin))
                        .route("/health", auth_core::actix::get(health)),
                )
                .service(actix_leak)
                .default_service(actix_web::web::to(|| async {
                    actix_web::HttpResponse::NotFound().body("plain default")
                }))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    });
    assert_eq!(get(addr, "/api/health", None).await.status, 200);
    assert_eq!(get(addr, "/api/admin", None).await.status, 401);
    assert_eq!(get(addr, "/api/admin", Some("Test 2")).await.status, 403);
    assert_eq!(get(addr, "/api/admin", Some("Test 3")).await.status, 200);
    for path in ["/leak", "/nowhere"] {
        let response = send(addr, "GET", path, Some("Test 1"), None).await;
        assert_eq!(response.status, 500, "{path}: {}", response.body);
        assert!(
            !response.body.contains("customer"),
            "{path}: {}",
            response.body
        );
    }
}
