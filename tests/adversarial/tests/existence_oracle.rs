//! G5, 401 first: no extractor answers before authentication has, in any
//! parameter order, so a caller without a valid credential learns nothing about
//! which resources exist or what a request must look like.
//!
//! The attack: the authenticator awaits before it answers (here 50 ms, as Redis or
//! a JWKS fetch would), while a resource loader, a path, query or body parser
//! answers at once. actix-web polls a handler's extractors concurrently and axum
//! runs them in parameter order, so without the mount authenticating first an
//! anonymous caller would see 404 for a missing id and 401 for an existing one,
//! or 400/413/415/422 for a malformed request. Every answer to a caller without a
//! valid credential must be the same 401, byte for byte (but for `date`).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use actix_web::{App, HttpServer, web};
use auth_adversarial::{Document, Probe, View, fingerprint, send, serve_actix, serve_axum};
use auth_core::axum::SecureRouter;
use auth_core::{Authenticated, SharedAuthenticator, requires};
use auth_integration::client::Response;
use auth_tests::User;
use serde::Deserialize;

/// A query a handler parses.
#[derive(Deserialize)]
struct Search {
    limit: u32,
}

/// A body a handler parses.
#[derive(Deserialize)]
struct NewDocument {
    title: String,
}

/// The loader after the principal.
#[requires(View(document))]
async fn principal_then_loader(user: Authenticated<User>, document: Document) -> String {
    format!("document {}", document.id)
}

/// The loader before the principal: the order an attacker hopes for.
#[requires(View(document))]
async fn loader_then_principal(document: Document, user: Authenticated<User>) -> String {
    format!("document {}", document.id)
}

mod on_axum {
    use super::{NewDocument, Search};
    use auth_core::{Authenticated, requires};
    use auth_tests::User;
    use axum::Json;
    use axum::extract::{Path, Query};

    #[requires(authenticated)]
    pub(super) async fn number(Path(id): Path<u64>, user: Authenticated<User>) -> String {
        format!("number {id}")
    }

    #[requires(authenticated)]
    pub(super) async fn search(Query(search): Query<Search>, user: Authenticated<User>) -> String {
        format!("limit {}", search.limit)
    }

    #[requires(authenticated)]
    pub(super) async fn create(user: Authenticated<User>, Json(new): Json<NewDocument>) -> String {
        format!("created {}", new.title)
    }
}

mod on_actix {
    use super::{NewDocument, Search};
    use actix_web::web::{Json, Path, Query};
    use auth_core::{Authenticated, requires};
    use auth_tests::User;

    #[requires(authenticated)]
    pub(super) async fn number(id: Path<u64>, user: Authenticated<User>) -> String {
        format!("number {id}")
    }

    #[requires(authenticated)]
    pub(super) async fn search(search: Query<Search>, user: Authenticated<User>) -> String {
        format!("limit {}", search.limit)
    }

    /// The body before the principal.
    #[requires(authenticated)]
    pub(super) async fn create(new: Json<NewDocument>, user: Authenticated<User>) -> String {
        format!("created {}", new.title)
    }
}

/// Bodies above this many bytes are refused (413).
const BODY_LIMIT: usize = 64;

async fn start_axum() -> SocketAddr {
    use auth_core::axum::{get, post};
    let app = SecureRouter::new()
        .route("/docs/{id}", get(principal_then_loader))
        .route("/docs-first/{id}", get(loader_then_principal))
        .route("/numbers/{id}", get(on_axum::number))
        .route("/search", get(on_axum::search))
        .route("/docs", post(on_axum::create))
        .with_state(SharedAuthenticator::new(Probe::slow()).with_realm("oracle"))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT));
    serve_axum(app).await
}

fn start_actix() -> SocketAddr {
    use auth_core::actix::{SecureScope, get, post};
    let authenticator = SharedAuthenticator::new(Probe::slow()).with_realm("oracle");
    serve_actix(move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(authenticator.clone()))
                .app_data(web::JsonConfig::default().limit(BODY_LIMIT))
                .service(
                    SecureScope::new("")
                        .route("/docs/{id}", get(principal_then_loader))
                        .route("/docs-first/{id}", get(loader_then_principal))
                        .route("/numbers/{id}", get(on_actix::number))
                        .route("/search", get(on_actix::search))
                        .route("/docs", post(on_actix::create)),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run())
    })
}

/// A body over [`BODY_LIMIT`].
fn too_large() -> String {
    format!(r#"{{"title":"{}"}}"#, "x".repeat(4 * BODY_LIMIT))
}

/// Every probe: `(method, path, body)`. An existing document, one that exists but
/// is someone else's, a missing one, a malformed id (loader before and after the
/// principal), a path, a query and a body that would be refused.
fn probes() -> Vec<(&'static str, &'static str, Option<String>)> {
    vec![
        ("GET", "/docs/1", None),
        ("GET", "/docs/2", None),
        ("GET", "/docs/99", None),
        ("GET", "/docs/abc", None),
        ("GET", "/docs-first/1", None),
        ("GET", "/docs-first/99", None),
        ("GET", "/docs-first/abc", None),
        ("GET", "/numbers/7", None),
        ("GET", "/numbers/abc", None),
        ("GET", "/numbers/99999999999999999999999", None),
        ("GET", "/search?limit=5", None),
        ("GET", "/search?limit=abc", None),
        ("GET", "/search", None),
        ("POST", "/docs", Some(r#"{"title":"t"}"#.to_owned())),
        ("POST", "/docs", Some("{".to_owned())),
        ("POST", "/docs", Some(r#"{"name":"t"}"#.to_owned())),
        ("POST", "/docs", None),
        ("POST", "/docs", Some(too_large())),
    ]
}

/// The credentials of a caller who is not signed in: none, malformed ones, one for
/// a subject that does not exist.
const NOT_SIGNED_IN: [Option<&str>; 4] =
    [None, Some("Test abc"), Some("Test 999"), Some("Basic x")];

async fn every_probe(addr: SocketAddr, authorization: Option<&str>) -> Vec<(String, Response)> {
    let mut responses = Vec::new();
    for (method, path, body) in probes() {
        let response = send(addr, method, path, authorization, body.as_deref()).await;
        let label = format!("{method} {path} {}", body.as_deref().map_or(0, str::len));
        responses.push((label, response));
    }
    responses
}

/// Every probe answers the same 401 for each credential of a caller who is not
/// signed in.
async fn assert_one_answer_for_the_unauthenticated(addr: SocketAddr) {
    for authorization in NOT_SIGNED_IN {
        let responses = every_probe(addr, authorization).await;
        let (first_label, first) = &responses[0];
        assert_eq!(
            first.status, 401,
            "{authorization:?} {first_label}: {first:?}"
        );
        let challenge = first.header("www-authenticate").unwrap_or("");
        assert!(
            challenge.starts_with(r#"Bearer realm="oracle""#),
            "{challenge}"
        );
        assert_eq!(
            challenge.contains("invalid_token"),
            authorization.is_some(),
            "{challenge}"
        );
        let mut distinct: BTreeMap<_, Vec<&str>> = BTreeMap::new();
        for (label, response) in &responses {
            distinct
                .entry(fingerprint(response))
                .or_default()
                .push(label.as_str());
        }
        assert_eq!(
            distinct.len(),
            1,
            "{authorization:?}: an unauthenticated caller tells requests apart: {distinct:#?}"
        );
    }
}

/// What a signed-in caller gets for each probe: the extractors ran, after.
fn status_of(responses: &[(String, Response)]) -> Vec<(String, u16)> {
    responses
        .iter()
        .map(|(label, response)| (label.clone(), response.status))
        .collect()
}

fn expected(statuses: [u16; 18]) -> Vec<(String, u16)> {
    probes()
        .into_iter()
        .zip(statuses)
        .map(|((method, path, body), status)| {
            (
                format!("{method} {path} {}", body.as_deref().map_or(0, str::len)),
                status,
            )
        })
        .collect()
}

#[tokio::test]
async fn an_anonymous_caller_cannot_tell_an_existing_resource_from_a_missing_one_on_axum() {
    let addr = start_axum().await;
    assert_one_answer_for_the_unauthenticated(addr).await;
}

#[tokio::test]
async fn an_anonymous_caller_cannot_tell_an_existing_resource_from_a_missing_one_on_actix() {
    // The loader answers at once, the authenticator after 50 ms, and actix polls
    // extractors concurrently: exactly the race an attacker wants.
    let addr = start_actix();
    assert_one_answer_for_the_unauthenticated(addr).await;
}

#[tokio::test]
async fn a_signed_in_caller_gets_the_extractors_answers_after_authentication_on_axum() {
    let addr = start_axum().await;
    let user = every_probe(addr, Some("Test 1")).await;
    assert_eq!(
        status_of(&user),
        expected([
            200, 404, 404, 400, 200, 404, 400, 200, 400, 400, 200, 400, 400, 200, 400, 422, 415,
            413
        ])
    );
    let admin = every_probe(addr, Some("Test 3")).await;
    assert_eq!(admin[1].1.body, "document 2", "the policy, not the loader");
}

#[tokio::test]
async fn a_signed_in_caller_gets_the_extractors_answers_after_authentication_on_actix() {
    let addr = start_actix();
    let user = every_probe(addr, Some("Test 1")).await;
    // actix answers a path that does not parse with 404, and any refused JSON
    // body with 400 but an oversized one (413).
    assert_eq!(
        status_of(&user),
        expected([
            200, 404, 404, 400, 200, 404, 400, 200, 404, 404, 200, 400, 400, 200, 400, 400, 400,
            413
        ])
    );
    let admin = every_probe(addr, Some("Test 3")).await;
    assert_eq!(admin[1].1.body, "document 2", "the policy, not the loader");
}

#[tokio::test]
async fn an_outage_of_the_authenticator_answers_503_before_any_extractor() {
    // An authenticator that cannot decide is not a reason to let a loader speak.
    let axum = start_axum().await;
    let actix = start_actix();
    for addr in [axum, actix] {
        let responses = every_probe(addr, Some("Test down")).await;
        let mut distinct: BTreeMap<_, Vec<&str>> = BTreeMap::new();
        for (label, response) in &responses {
            assert_eq!(response.status, 503, "{label}: {response:?}");
            distinct
                .entry(fingerprint(response))
                .or_default()
                .push(label.as_str());
        }
        assert_eq!(distinct.len(), 1, "{distinct:#?}");
    }
}
