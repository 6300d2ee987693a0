//! `auth_core::openapi` on real handlers mounted on a `SecureRouter`: what each
//! kind of gate writes into the document, and the problems it refuses.
#![allow(clippy::expect_used, clippy::panic)]

use auth_core::axum::{SecureRouter, get, post};
use auth_core::openapi::{HandlerLookup, OpenApiSecurity, Problem};
use auth_core::{
    AuthError, Authenticated, Authenticator, Identity, Mechanism, Scheme, SharedAuthenticator,
    public, requires,
};
use auth_tests::User;
use serde_json::{Value, json};

/// Reads a bearer token, a session cookie and an API key (it never admits
/// anyone: only its schemes matter here).
struct ThreeWays;

impl Authenticator for ThreeWays {
    type User = User;

    async fn authenticate(&self, _: &http::request::Parts) -> Result<Identity<User>, AuthError> {
        Err(AuthError::MissingCredentials)
    }

    fn schemes(&self) -> Vec<Scheme> {
        vec![
            Scheme::Bearer,
            Scheme::cookie("__Host-session"),
            Scheme::header(http::HeaderName::from_static("x-api-key")),
        ]
    }
}

#[public]
async fn health() -> &'static str {
    "ok"
}

#[public]
async fn catalogue(_user: Option<Authenticated<User>>) -> &'static str {
    "[]"
}

#[requires(scope("orders:read"))]
async fn orders(_user: Authenticated<User>) -> &'static str {
    "[]"
}

#[requires(role("admin"), not(mechanism("api_key")))]
async fn users(_user: Authenticated<User>) -> &'static str {
    "[]"
}

#[requires(any(
    scope("orders:admin"),
    all(scope("orders:write"), mechanism("session"))
))]
async fn bulk(_user: Authenticated<User>) -> &'static str {
    "done"
}

#[requires(mechanism("api_key"))]
async fn robots(_user: Authenticated<User>) -> &'static str {
    "beep"
}

#[requires(authenticated, guests = true)]
async fn me(_user: Authenticated<User>) -> &'static str {
    "you"
}

#[requires(authenticated)]
async fn members(_user: Authenticated<User>) -> &'static str {
    "members"
}

fn router() -> SecureRouter<SharedAuthenticator<User>> {
    SecureRouter::new()
        .route("/health", get(health))
        .route("/catalogue", get(catalogue))
        .route("/orders", get(orders))
        .route("/bulk", post(bulk))
        .route("/robots", get(robots))
        .route("/me", get(me))
        .route("/members", get(members))
        .nest("/admin", SecureRouter::new().route("/users", get(users)))
}

fn security() -> OpenApiSecurity {
    router().openapi_security(&SharedAuthenticator::new(ThreeWays).with_realm("shop"))
}

/// A document with an empty operation for each `(method, path)`.
fn document(operations: &[(&str, &str)]) -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path) in operations {
        let item = paths.entry((*path).to_owned()).or_insert_with(|| json!({}));
        item[*method] = json!({"responses": {"200": {"description": "ok"}}});
    }
    json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths})
}

const ALL: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/catalogue"),
    ("get", "/orders"),
    ("post", "/bulk"),
    ("get", "/robots"),
    ("get", "/me"),
    ("get", "/members"),
    ("get", "/admin/users"),
];

fn written() -> Value {
    let mut doc = document(ALL);
    security()
        .apply_json(&mut doc)
        .unwrap_or_else(|e| panic!("{e}"));
    doc
}

fn op<'d>(doc: &'d Value, method: &str, path: &str) -> &'d Value {
    &doc["paths"][path][method]
}

#[test]
fn public_is_no_requirement() {
    let doc = written();
    assert_eq!(op(&doc, "get", "/health")["security"], json!([{}]));
    assert_eq!(op(&doc, "get", "/health")["responses"]["401"], Value::Null);
}

#[test]
fn optional_sign_in_is_every_scheme_or_none() {
    let doc = written();
    assert_eq!(
        op(&doc, "get", "/catalogue")["security"],
        json!([{"bearer": []}, {"session": []}, {"api_key": []}, {}])
    );
    // A credential that is sent must verify.
    assert!(op(&doc, "get", "/catalogue")["responses"]["401"].is_object());
}

#[test]
fn a_scope_is_on_every_requirement() {
    let doc = written();
    assert_eq!(
        op(&doc, "get", "/orders")["security"],
        json!([{"bearer": ["orders:read"]}, {"session": ["orders:read"]}, {"api_key": ["orders:read"]}])
    );
    assert_eq!(
        op(&doc, "get", "/orders")["x-auth-gates"],
        json!([r#"scope("orders:read")"#])
    );
}

#[test]
fn a_role_and_not_a_mechanism_in_a_nested_router() {
    let doc = written();
    assert_eq!(
        op(&doc, "get", "/admin/users")["security"],
        json!([{"bearer": []}, {"session": []}])
    );
    assert!(op(&doc, "get", "/admin/users")["responses"]["403"].is_object());
}

#[test]
fn any_is_alternative_requirements() {
    let doc = written();
    assert_eq!(
        op(&doc, "post", "/bulk")["security"],
        json!([
            {"bearer": ["orders:admin"]}, {"session": ["orders:admin"]}, {"api_key": ["orders:admin"]},
            {"session": ["orders:write"]}
        ])
    );
}

#[test]
fn a_mechanism_is_its_scheme() {
    let doc = written();
    assert_eq!(
        op(&doc, "get", "/robots")["security"],
        json!([{"api_key": []}])
    );
}

#[test]
fn guests_change_the_403() {
    let doc = written();
    assert!(op(&doc, "get", "/me")["responses"]["403"].is_null());
    assert!(op(&doc, "get", "/members")["responses"]["403"].is_object());
}

#[test]
fn the_schemes_are_the_authenticators() {
    let doc = written();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
    assert_eq!(
        schemes["session"],
        json!({"type": "apiKey", "in": "cookie", "name": "__Host-session",
               "description": "The cookie `__Host-session`. Realm `shop`. Mechanism: session."})
    );
    assert_eq!(schemes["api_key"]["in"], "header");
    assert_eq!(schemes["api_key"]["name"], "x-api-key");
    assert_eq!(
        doc["components"]["schemas"]["AuthError"]["required"],
        json!(["error", "error_description"])
    );
}

#[test]
fn a_jwt_in_a_cookie_can_be_declared() {
    let mut doc = document(ALL);
    let security = security()
        .scheme_mechanisms(Scheme::cookie("__Host-session"), &[Mechanism::BearerToken])
        .bearer_format(None);
    security.apply_json(&mut doc).expect("written");
    // The cookie carries a bearer token now: a scheme of its own, next to the header.
    assert!(doc["components"]["securitySchemes"]["bearer"]["bearerFormat"].is_null());
    assert_eq!(
        op(&doc, "get", "/admin/users")["security"],
        json!([{"bearer": []}, {"bearer___Host-session": []}])
    );
}

#[test]
fn a_written_document_passes_its_check_and_a_broken_one_fails() {
    let security = security();
    let doc = written();
    security.verify(&doc).unwrap_or_else(|e| panic!("{e}"));

    let mut broken = doc.clone();
    broken["paths"]["/orders"]["get"]["security"] = json!([{"bearer": []}]);
    let error = security.verify(&broken).expect_err("a scope left out");
    assert!(
        matches!(error.problems(), [Problem::WrongSecurity { .. }]),
        "{error}"
    );
}

#[test]
fn a_route_without_an_operation_is_refused_when_writing() {
    let mut doc = document(&ALL[1..]);
    let before = doc.clone();
    let error = security()
        .apply_json(&mut doc)
        .expect_err("GET /health left out");
    assert_eq!(
        error.problems(),
        [Problem::MissingOperation {
            method: http::Method::GET,
            path: "/health".to_owned()
        }]
    );
    assert_eq!(doc, before, "nothing is written");
}

#[test]
fn an_operation_without_a_route_is_refused_when_writing() {
    let mut operations = ALL.to_vec();
    operations.push(("delete", "/orders"));
    let error = security()
        .apply_json(&mut document(&operations))
        .expect_err("DELETE /orders is not mounted");
    assert!(
        matches!(error.problems(), [Problem::UnknownOperation { path, .. }] if path == "/orders"),
        "{error}"
    );
}

#[test]
fn a_handler_without_a_record_is_refused() {
    let security = OpenApiSecurity::new().route(
        http::Method::GET,
        "/x",
        None,
        auth_core::openapi::Admits::Anyone,
    );
    let error = security
        .apply_json(&mut document(&[("get", "/x")]))
        .expect_err("no record");
    assert!(
        matches!(
            error.problems(),
            [Problem::HandlerNotFound {
                lookup: HandlerLookup::NoRecord,
                ..
            }]
        ),
        "{error}"
    );
}

#[test]
fn gates_no_credential_can_pass_are_refused() {
    #[requires(mechanism("session"))]
    async fn sessions_only(_user: Authenticated<User>) -> &'static str {
        "x"
    }
    struct BearerOnly;
    impl Authenticator for BearerOnly {
        type User = User;
        async fn authenticate(
            &self,
            _: &http::request::Parts,
        ) -> Result<Identity<User>, AuthError> {
            Err(AuthError::MissingCredentials)
        }
    }
    let security = SecureRouter::new()
        .route("/s", get(sessions_only))
        .openapi_security(&SharedAuthenticator::new(BearerOnly));
    let error = security
        .apply_json(&mut document(&[("get", "/s")]))
        .expect_err("no session scheme");
    assert!(
        matches!(error.problems(), [Problem::NoScheme { .. }]),
        "{error}"
    );
}

#[test]
fn writing_twice_changes_nothing_and_keeps_what_was_written_by_hand() {
    let mut doc = document(ALL);
    doc["paths"]["/orders"]["get"]["responses"]["403"] = json!({"description": "mine"});
    let security = security();
    security.apply_json(&mut doc).expect("written");
    let once = doc.clone();
    security.apply_json(&mut doc).expect("written again");
    assert_eq!(doc, once);
    assert_eq!(
        op(&doc, "get", "/orders")["responses"]["403"],
        json!({"description": "mine"})
    );
}

#[test]
fn a_different_scheme_of_the_same_name_is_a_conflict() {
    let mut doc = document(ALL);
    doc["components"] = json!({"securitySchemes": {"bearer": {"type": "http", "scheme": "basic"}}});
    let error = security().apply_json(&mut doc).expect_err("a conflict");
    assert!(
        matches!(error.problems(), [Problem::ComponentConflict { component }] if component == "securitySchemes/bearer"),
        "{error}"
    );
}
