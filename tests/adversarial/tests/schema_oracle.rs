//! G5, 403 before parsing: on a secure mount, a signed-in caller whom a handler's
//! function-level gates refuse gets the same 403 for every request to it, whatever
//! its path, query or body, so it learns nothing about the route's input schema or
//! which resources exist.
//!
//! The attack: a customer probes an admin route with malformed ids, queries and
//! bodies. Without early gates every extractor answers before the gates run:
//! 400 for a bad id, 422 naming the admin body's fields, 404 for a missing
//! resource, 413 or 415. With them, the gates that need only the principal run
//! right after authentication, before any extractor can answer.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use actix_web::{App, HttpServer, web};
use auth_adversarial::{Document, Probe, View, fingerprint, send, serve_actix, serve_axum};
use auth_core::axum::SecureRouter;
use auth_core::{Authenticated, Decision, SharedAuthenticator, requires};
use auth_integration::client::Response;
use auth_tests::User;
use serde::Deserialize;

/// A query an admin handler parses.
#[derive(Deserialize)]
struct Search {
    limit: u32,
}

/// A body an admin handler parses: its field names are what a probe would learn.
#[derive(Deserialize)]
struct Grant {
    secret_field_name: String,
}

fn even_id(user: &Authenticated<User>) -> Decision {
    if user.id.is_multiple_of(2) {
        Decision::allow("even id")
    } else {
        Decision::deny("odd id")
    }
}

/// A resource gate after the role: the loader runs before both, and must not
/// tell a customer which documents exist.
#[requires(role("admin"), View(document))]
async fn admin_document(user: Authenticated<User>, document: Document) -> String {
    format!("document {}", document.id)
}

/// A predicate that answers at once runs early too, in an async handler.
#[requires(check(even_id), scope("docs:write"))]
async fn sync_check(user: Authenticated<User>, body: String) -> String {
    format!("{} bytes", body.len())
}

mod on_axum {
    use super::{Grant, Search};
    use auth_core::{Authenticated, requires};
    use auth_tests::User;
    use axum::Json;
    use axum::extract::{Path, Query};

    #[requires(role("admin"))]
    pub(super) async fn number(Path(id): Path<u64>, user: Authenticated<User>) -> String {
        format!("number {id}")
    }

    #[requires(any(role("admin"), permission("orders.delete")))]
    pub(super) async fn search(user: Authenticated<User>, Query(search): Query<Search>) -> String {
        format!("limit {}", search.limit)
    }

    #[requires(scope("admin:write"))]
    pub(super) async fn grant(user: Authenticated<User>, Json(grant): Json<Grant>) -> String {
        format!("granted {}", grant.secret_field_name)
    }
}

mod on_actix {
    use super::{Grant, Search};
    use actix_web::web::{Json, Path, Query};
    use auth_core::{Authenticated, requires};
    use auth_tests::User;

    #[requires(role("admin"))]
    pub(super) async fn number(id: Path<u64>, user: Authenticated<User>) -> String {
        format!("number {id}")
    }

    #[requires(any(role("admin"), permission("orders.delete")))]
    pub(super) async fn search(search: Query<Search>, user: Authenticated<User>) -> String {
        format!("limit {}", search.limit)
    }

    #[requires(scope("admin:write"))]
    pub(super) async fn grant(grant: Json<Grant>, user: Authenticated<User>) -> String {
        format!("granted {}", grant.secret_field_name)
    }
}

/// Bodies above this many bytes are refused (413).
const BODY_LIMIT: usize = 64;

async fn start_axum() -> SocketAddr {
    use auth_core::axum::{get, post};
    let app = SecureRouter::new()
        .route("/docs/{id}", get(admin_document))
        .route("/numbers/{id}", get(on_axum::number))
        .route("/search", get(on_axum::search))
        .route("/grants", post(on_axum::grant))
        .route("/sync", post(sync_check))
        .with_state(SharedAuthenticator::new(Probe::slow()).with_realm("schema"))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT));
    serve_axum(app).await
}

fn start_actix() -> SocketAddr {
    use auth_core::actix::{SecureScope, get, post};
    let authenticator = SharedAuthenticator::new(Probe::slow()).with_realm("schema");
    serve_actix(move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(authenticator.clone()))
                .app_data(web::JsonConfig::default().limit(BODY_LIMIT))
                .service(
                    SecureScope::new("")
                        .route("/docs/{id}", get(admin_document))
                        .route("/numbers/{id}", get(on_actix::number))
                        .route("/search", get(on_actix::search))
                        .route("/grants", post(on_actix::grant))
                        .route("/sync", post(sync_check)),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    })
}

fn too_large() -> String {
    format!(
        r#"{{"secret_field_name":"{}"}}"#,
        "x".repeat(4 * BODY_LIMIT)
    )
}

/// Every probe of the admin routes: `(method, path, body)`.
fn admin_probes() -> Vec<(&'static str, &'static str, Option<String>)> {
    vec![
        ("GET", "/docs/1", None),
        ("GET", "/docs/2", None),
        ("GET", "/docs/99", None),
        ("GET", "/docs/abc", None),
        ("GET", "/numbers/7", None),
        ("GET", "/numbers/abc", None),
        ("GET", "/numbers/99999999999999999999999", None),
        ("GET", "/search?limit=5", None),
        ("GET", "/search?limit=abc", None),
        ("GET", "/search", None),
        (
            "POST",
            "/grants",
            Some(r#"{"secret_field_name":"t"}"#.to_owned()),
        ),
        ("POST", "/grants", Some("{".to_owned())),
        ("POST", "/grants", Some(r#"{"name":"t"}"#.to_owned())),
        ("POST", "/grants", None),
        ("POST", "/grants", Some(too_large())),
    ]
}

async fn probe_all(
    addr: SocketAddr,
    authorization: &str,
    probes: Vec<(&'static str, &'static str, Option<String>)>,
) -> Vec<(String, Response)> {
    let mut responses = Vec::new();
    for (method, path, body) in probes {
        let response = send(addr, method, path, Some(authorization), body.as_deref()).await;
        let label = format!("{method} {path} {}", body.as_deref().map_or(0, str::len));
        responses.push((label, response));
    }
    responses
}

/// One answer, a 403 with `status`'s challenge, for every probe.
fn assert_one_refusal(responses: &[(String, Response)], who: &str) {
    let mut distinct: BTreeMap<_, Vec<&str>> = BTreeMap::new();
    for (label, response) in responses {
        assert_eq!(response.status, 403, "{who} {label}: {response:?}");
        assert!(
            !response.body.contains("secret_field_name"),
            "{who} {label} learns the body's schema: {}",
            response.body
        );
        distinct
            .entry(fingerprint(response))
            .or_default()
            .push(label.as_str());
    }
    // Each route's gate says its own reason; within one route, every probe must
    // get the same answer.
    let mut by_route: BTreeMap<&str, BTreeMap<_, Vec<&str>>> = BTreeMap::new();
    for (label, response) in responses {
        let route = label.split(['/', '?', ' ']).nth(2).unwrap_or("");
        by_route
            .entry(route)
            .or_default()
            .entry(fingerprint(response))
            .or_default()
            .push(label.as_str());
    }
    for (route, answers) in by_route {
        assert_eq!(
            answers.len(),
            1,
            "{who} tells requests to /{route} apart: {answers:#?}"
        );
    }
}

async fn a_customer_learns_nothing(addr: SocketAddr) {
    // User 1: a customer, without the role, the permission or the scope.
    let customer = probe_all(addr, "Test 1", admin_probes()).await;
    assert_one_refusal(&customer, "a customer");
    let scoped = customer
        .iter()
        .find(|(label, _)| label.starts_with("POST /grants"))
        .map(|(_, response)| response.header("www-authenticate").unwrap_or(""));
    assert!(
        scoped.is_some_and(|challenge| challenge.contains("insufficient_scope")),
        "{scoped:?}"
    );
    // The sync handler's `check(..)` is early as well: user 1 has an odd id.
    let sync = probe_all(
        addr,
        "Test 1 docs:write",
        vec![
            ("POST", "/sync", Some("{".to_owned())),
            ("POST", "/sync", Some(too_large())),
        ],
    )
    .await;
    assert_one_refusal(&sync, "an odd id");
}

#[tokio::test]
async fn a_caller_the_gates_refuse_learns_nothing_about_a_routes_input_on_axum() {
    let addr = start_axum().await;
    a_customer_learns_nothing(addr).await;
}

#[tokio::test]
async fn a_caller_the_gates_refuse_learns_nothing_about_a_routes_input_on_actix() {
    // actix polls the extractors before the handler: their rejection is held
    // until the early gates have refused.
    let addr = start_actix();
    a_customer_learns_nothing(addr).await;
}

/// The admin, whom the gates admit, gets the extractors' answers: the early
/// gates only moved the refusals forward.
async fn the_admin_gets_the_extractors_answers(addr: SocketAddr) -> Vec<u16> {
    let admin = probe_all(addr, "Test 3 admin:write", admin_probes()).await;
    assert_eq!(admin[1].1.body, "document 2");
    admin.iter().map(|(_, response)| response.status).collect()
}

#[tokio::test]
async fn the_admitted_caller_still_gets_the_extractors_answers_on_axum() {
    let addr = start_axum().await;
    assert_eq!(
        the_admin_gets_the_extractors_answers(addr).await,
        [
            200, 200, 404, 400, 200, 400, 400, 200, 400, 400, 200, 400, 422, 415, 413
        ]
    );
}

#[tokio::test]
async fn the_admitted_caller_still_gets_the_extractors_answers_on_actix() {
    let addr = start_actix();
    assert_eq!(
        the_admin_gets_the_extractors_answers(addr).await,
        [
            200, 200, 404, 400, 200, 404, 404, 200, 400, 400, 200, 400, 400, 400, 413
        ]
    );
}

#[tokio::test]
async fn an_anonymous_caller_still_gets_401_first() {
    for addr in [start_axum().await, start_actix()] {
        for (method, path, body) in admin_probes() {
            let response = send(addr, method, path, None, body.as_deref()).await;
            assert_eq!(response.status, 401, "{method} {path}: {response:?}");
        }
    }
}
