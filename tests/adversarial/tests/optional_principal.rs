//! Optional sign-in never turns a bad credential into a guest.
//!
//! The finding: actix-web's own `Option<T>` extractor turns *any* failure into
//! `None`, so a `#[public]` handler taking `Option<Authenticated<User>>` served a
//! forged or expired token, or an authenticator outage, as an anonymous guest
//! (fail open), while axum answered 401. On the secure mount points both now
//! authenticate such a request first: no credential is a guest, a bad one 401, an
//! outage 503, a good one the user, identically on both frameworks.
//!
//! Also: an actix-web middleware that starts extracting the principal, calls the
//! inner service (so actix's router runs and takes the request's path apart),
//! then awaits the extraction, neither panics nor answers wrongly.

use std::net::SocketAddr;

use actix_web::dev::{Payload, Service as _};
use actix_web::{App, FromRequest, HttpServer, web};
use auth_adversarial::{Probe, get, serve_actix, serve_axum};
use auth_core::{Authenticated, SharedAuthenticator, public, requires};
use auth_integration::client::Response;
use auth_tests::User;

#[public]
async fn greet(visitor: Option<Authenticated<User>>) -> String {
    visitor.map_or_else(
        || "hello guest".to_owned(),
        |user| format!("hello user {}", user.id),
    )
}

async fn start_axum() -> SocketAddr {
    let app = auth_core::axum::SecureRouter::new()
        .route("/greet", auth_core::axum::get(greet))
        .with_state(SharedAuthenticator::new(Probe::slow()).with_realm("optional"));
    serve_axum(app).await
}

fn start_actix() -> SocketAddr {
    let authenticator = SharedAuthenticator::new(Probe::slow()).with_realm("optional");
    serve_actix(move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(authenticator.clone()))
                .service(
                    auth_core::actix::SecureScope::new("")
                        .route("/greet", auth_core::actix::get(greet)),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    })
}

/// What the caller learns: status, challenge, `Retry-After`, body.
type Seen<'a> = (u16, Option<&'a str>, Option<&'a str>, &'a str);

fn seen(response: &Response) -> Seen<'_> {
    (
        response.status,
        response.header("www-authenticate"),
        response.header("retry-after"),
        response.body.as_str(),
    )
}

const INVALID_TOKEN: &str = r#"Bearer realm="optional", error="invalid_token", error_description="the access token is invalid""#;
const INVALID_TOKEN_BODY: &str =
    r#"{"error":"invalid_token","error_description":"the access token is invalid"}"#;

#[tokio::test]
async fn a_bad_credential_on_a_public_handler_with_optional_sign_in_is_refused_not_a_guest() {
    let axum = start_axum().await;
    let actix = start_actix();
    let cases: [(Option<&str>, Seen<'_>); 6] = [
        (None, (200, None, None, "hello guest")),
        (Some("Test 2"), (200, None, None, "hello user 2")),
        (
            Some("Test abc"),
            (401, Some(INVALID_TOKEN), None, INVALID_TOKEN_BODY),
        ),
        (
            Some("Test 999"),
            (401, Some(INVALID_TOKEN), None, INVALID_TOKEN_BODY),
        ),
        (
            Some("Bearer forged"),
            (401, Some(INVALID_TOKEN), None, INVALID_TOKEN_BODY),
        ),
        (
            Some("Test down"),
            (
                503,
                None,
                None,
                r#"{"error":"temporarily_unavailable","error_description":"the service cannot verify access right now"}"#,
            ),
        ),
    ];
    for (authorization, want) in cases {
        let on_axum = get(axum, "/greet", authorization).await;
        let on_actix = get(actix, "/greet", authorization).await;
        assert_eq!(seen(&on_axum), want, "axum, {authorization:?}");
        assert_eq!(seen(&on_actix), want, "actix, {authorization:?}");
    }
}

/// A guarded handler under a scope with a path parameter, in a nested scope.
#[requires(authenticated)]
async fn member(path: web::Path<(String, u64)>, user: Authenticated<User>) -> String {
    let (team, member) = path.into_inner();
    format!("team {team} member {member} for user {}", user.id)
}

/// A public handler with optional sign-in, in the same nested scope.
#[public]
async fn roster(team: web::Path<String>, visitor: Option<Authenticated<User>>) -> String {
    let who = visitor.map_or_else(|| "guest".to_owned(), |user| format!("user {}", user.id));
    format!("team {team} roster for {who}")
}

const SEEN_BY_MIDDLEWARE: &str = "x-middleware-saw";

/// A middleware that starts the principal's extraction, calls the inner service
/// while it holds that future, and only then awaits it.
fn start_actix_with_middleware() -> SocketAddr {
    let authenticator = SharedAuthenticator::new(Probe::slow()).with_realm("optional");
    serve_actix(move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(authenticator.clone()))
                .wrap_fn(|request, service| {
                    let principal =
                        Authenticated::<User>::from_request(request.request(), &mut Payload::None);
                    let response = service.call(request);
                    async move {
                        let mut response = response.await?;
                        let saw = match principal.await {
                            Ok(user) => format!("user {}", user.id),
                            Err(rejection) => rejection.error().code().to_owned(),
                        };
                        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&saw) {
                            response.headers_mut().insert(
                                actix_web::http::header::HeaderName::from_static(
                                    SEEN_BY_MIDDLEWARE,
                                ),
                                value,
                            );
                        }
                        Ok(response)
                    }
                })
                .service(
                    auth_core::actix::SecureScope::new("/teams/{team}")
                        .route("/roster", auth_core::actix::get(roster))
                        .nest(
                            auth_core::actix::SecureScope::new("/members")
                                .route("/{member}", auth_core::actix::get(member)),
                        ),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    })
}

#[tokio::test]
async fn an_actix_middleware_holding_the_principal_future_across_the_router_neither_panics_nor_lies()
 {
    let addr = start_actix_with_middleware();
    let cases: [(&str, Option<&str>, u16, &str, &str); 8] = [
        (
            "/teams/red/members/5",
            Some("Test 2"),
            200,
            "team red member 5 for user 2",
            "user 2",
        ),
        (
            "/teams/red/members/5",
            None,
            401,
            r#"{"error":"missing_credentials","error_description":"authentication is required"}"#,
            "missing_credentials",
        ),
        (
            "/teams/red/members/5",
            Some("Test abc"),
            401,
            INVALID_TOKEN_BODY,
            "invalid_token",
        ),
        (
            "/teams/red/members/5",
            Some("Test down"),
            503,
            r#"{"error":"temporarily_unavailable","error_description":"the service cannot verify access right now"}"#,
            "temporarily_unavailable",
        ),
        (
            "/teams/blue/roster",
            Some("Test 3"),
            200,
            "team blue roster for user 3",
            "user 3",
        ),
        (
            "/teams/blue/roster",
            None,
            200,
            "team blue roster for guest",
            "missing_credentials",
        ),
        (
            "/teams/blue/roster",
            Some("Test 999"),
            401,
            INVALID_TOKEN_BODY,
            "invalid_token",
        ),
        (
            "/teams/blue/members/abc",
            Some("Test 1"),
            404,
            r#"can not parse "abc" to a u64"#,
            "user 1",
        ),
    ];
    for (path, authorization, status, body, saw) in cases {
        let response = get(addr, path, authorization).await;
        assert_eq!(
            (
                response.status,
                response.body.as_str(),
                response.header(SEEN_BY_MIDDLEWARE)
            ),
            (status, body, Some(saw)),
            "{path} {authorization:?}"
        );
    }
}
