//! The reference service's OpenAPI document, `GET /openapi.json`, over real
//! HTTP: valid for an independent validator (Python `openapi-spec-validator`),
//! every guarded route's operation carrying its gates' security requirement and
//! its 401 / 403, every public one `security: [{}]`; and the check
//! (`OpenApiSecurity::verify`) failing on a document that lacks any of it.
#![allow(clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;

use auth_core::inventory::{Access, handlers};
use auth_core::openapi::{OpenApiSecurity, Problem};
use auth_integration::client as http;
use auth_integration::python::{skip_or_fail, with_modules};
use examples::service::Service;
use serde_json::{Value, json};

mod orders_support;
use orders_support::config;

/// The service on loopback, and its security as the router states it.
async fn served() -> (SocketAddr, Value, OpenApiSecurity) {
    let service: Arc<Service> = Service::start(&config(&[]))
        .await
        .expect("the service starts");
    let security = examples::orders_api::openapi_security(&service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(examples::orders_api::serve(listener, service));
    let response = http::get(addr, "/openapi.json", None).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.header("content-type"), Some("application/json"));
    (addr, response.json(), security)
}

fn op<'d>(doc: &'d Value, method: &str, path: &str) -> &'d Value {
    doc.pointer(&format!("/paths/{}/{method}", path.replace('/', "~1")))
        .unwrap_or_else(|| panic!("{method} {path} is in the document"))
}

#[tokio::test]
async fn the_served_document_is_valid_openapi() {
    if let Err(reason) = with_modules(&["openapi_spec_validator"], "openapi-spec-validator") {
        skip_or_fail(&reason);
        return;
    }
    let (_, doc, _) = served().await;
    assert_eq!(doc["openapi"], "3.1.0");
    let file = std::env::temp_dir().join(format!("orders-openapi-{}.json", std::process::id()));
    std::fs::write(&file, doc.to_string()).expect("the document is written");
    let output = Command::new("python3")
        .args([
            "-c",
            "import json, sys\n\
             from openapi_spec_validator import validate\n\
             validate(json.load(open(sys.argv[1])))\n\
             print('valid')",
        ])
        .arg(&file)
        .output()
        .expect("python3 runs");
    let _ = std::fs::remove_file(&file);
    assert!(
        output.status.success(),
        "openapi-spec-validator refused the document: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "valid");
}

#[tokio::test]
async fn the_served_document_matches_the_gates_of_every_route() {
    let (_, doc, security) = served().await;
    security
        .verify(&doc)
        .unwrap_or_else(|error| panic!("{error}"));
}

/// Linked the other way, by name: each operation's `operationId` (utoipa's
/// default, the function's name) is a handler of `orders_api` in the
/// inventory; a guarded one has a security requirement naming a scheme and a
/// 401 with its challenge header, a public one `security: [{}]`.
#[tokio::test]
async fn every_guarded_operation_has_its_security_and_its_401() {
    let (_, doc, _) = served().await;
    let mounted: BTreeSet<(String, String)> = examples::orders_api::routes()
        .into_iter()
        .map(|(method, path)| (method.as_str().to_ascii_lowercase(), path))
        .collect();
    let mut seen = BTreeSet::new();
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("a path item") {
            seen.insert((method.clone(), path.clone()));
            let id = op["operationId"].as_str().expect("an operationId");
            let entry = handlers()
                .into_iter()
                .find(|h| h.module() == "examples::orders_api" && h.name() == id)
                .unwrap_or_else(|| panic!("{method} {path}: no handler `{id}`"));
            let requirements = op["security"].as_array().expect("security");
            if entry.access() == Access::Public {
                assert_eq!(op["security"], json!([{}]), "{method} {path}");
                continue;
            }
            assert!(!requirements.is_empty(), "{method} {path}");
            for requirement in requirements {
                let requirement = requirement.as_object().expect("a requirement");
                assert_eq!(requirement.len(), 1, "{method} {path}: {requirement:?}");
                for key in requirement.keys() {
                    assert!(
                        doc["components"]["securitySchemes"][key].is_object(),
                        "{method} {path}: scheme {key}"
                    );
                }
            }
            let unauthorized = &op["responses"]["401"];
            assert!(
                unauthorized["headers"]["WWW-Authenticate"].is_object(),
                "{method} {path}"
            );
            assert_eq!(
                unauthorized["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/AuthError"
            );
            assert_eq!(op["x-auth-gates"], json!(entry.gates()), "{method} {path}");
            if !entry.accepts_guests() {
                assert!(op["responses"]["403"].is_object(), "{method} {path}");
            }
        }
    }
    assert_eq!(
        seen, mounted,
        "the document's operations are the mounted routes"
    );
}

/// The security of the routes whose gates say most, spelled out.
#[tokio::test]
async fn the_requirements_are_the_gates() {
    let (_, doc, _) = served().await;
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["bearer"],
        json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
               "description": "`Authorization: Bearer <token>` (RFC 6750). Realm `orders-api`. Mechanism: bearer_token, guest."})
    );
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "__Host-orders_session");
    assert_eq!(schemes["api_key"]["in"], "header");
    assert_eq!(schemes["api_key"]["name"], "x-api-key");

    let read = json!([{"bearer": ["orders:read"]}, {"session": ["orders:read"]}, {"api_key": ["orders:read"]}]);
    assert_eq!(op(&doc, "get", "/orders")["security"], read);
    // The plan gate is a `check(..)`: it may rate-limit.
    let limited = &op(&doc, "get", "/orders")["responses"]["429"]["headers"];
    for header in ["Retry-After", "RateLimit-Policy", "RateLimit"] {
        assert!(limited[header].is_object(), "{header}");
    }
    // A policy may hide an order: 404; a scope alone never does.
    assert!(op(&doc, "get", "/orders/{id}")["responses"]["404"].is_object());
    assert!(op(&doc, "post", "/orders")["responses"]["404"].is_null());
    assert!(op(&doc, "post", "/orders")["responses"]["429"].is_null());
    // Never an API key.
    assert_eq!(
        op(&doc, "get", "/admin/users")["security"],
        json!([{"bearer": []}, {"session": []}])
    );
    // One mechanism, one scheme.
    assert_eq!(
        op(&doc, "delete", "/auth/session")["security"],
        json!([{"session": []}])
    );
    assert_eq!(
        op(&doc, "post", "/auth/logout")["security"],
        json!([{"bearer": []}])
    );
    // Guests are welcome at `/me`: no 403.
    assert!(op(&doc, "get", "/me")["responses"]["401"].is_object());
    assert!(op(&doc, "get", "/me")["responses"]["403"].is_null());
    // Public: no requirement, which overrides any global one.
    for path in ["/health", "/openapi.json", "/products"] {
        assert_eq!(op(&doc, "get", path)["security"], json!([{}]), "{path}");
        assert!(
            op(&doc, "get", path)["responses"]["401"].is_null(),
            "{path}"
        );
    }
    // What the annotation wrote is kept.
    assert_eq!(
        op(&doc, "get", "/orders")["responses"]["200"]["description"],
        "A page of orders"
    );
}

/// A document that lacks what the gates require fails the check, naming each
/// problem.
#[tokio::test]
async fn a_broken_document_fails_the_check() {
    let (_, doc, security) = served().await;

    // An operation without its security requirement.
    let mut broken = doc.clone();
    broken["paths"]["/orders"]["get"]
        .as_object_mut()
        .expect("an operation")
        .remove("security");
    let error = security.verify(&broken).expect_err("no security");
    assert!(
        matches!(error.problems(), [Problem::WrongSecurity { path, found, .. }] if path == "/orders" && found == "none"),
        "{error}"
    );

    // A requirement the gates do not make (an API key on an admin route).
    let mut broken = doc.clone();
    broken["paths"]["/admin/users"]["get"]["security"] =
        json!([{"bearer": []}, {"session": []}, {"api_key": []}]);
    let error = security.verify(&broken).expect_err("an extra way in");
    assert!(
        matches!(error.problems(), [Problem::WrongSecurity { path, .. }] if path == "/admin/users"),
        "{error}"
    );

    // A guarded operation documented as public.
    let mut broken = doc.clone();
    broken["paths"]["/orders/{id}"]["delete"]["security"] = json!([{}]);
    assert!(security.verify(&broken).is_err());

    // A guarded route with no operation at all.
    let mut broken = doc.clone();
    broken["paths"]["/orders/{id}"]
        .as_object_mut()
        .expect("a path item")
        .remove("delete");
    let error = security.verify(&broken).expect_err("a route left out");
    assert!(
        matches!(error.problems(), [Problem::MissingOperation { path, .. }] if path == "/orders/{id}"),
        "{error}"
    );
    assert!(error.to_string().contains("DELETE /orders/{id}"), "{error}");

    // An operation no route serves.
    let mut broken = doc.clone();
    broken["paths"]["/orders/{id}"]["put"] = json!({"responses": {}, "security": [{}]});
    let error = security.verify(&broken).expect_err("an unserved operation");
    assert!(
        matches!(error.problems(), [Problem::UnknownOperation { path, .. }] if path == "/orders/{id}"),
        "{error}"
    );

    // A guarded operation without its 401.
    let mut broken = doc.clone();
    broken["paths"]["/admin/users/{id}/roles"]["put"]["responses"]
        .as_object_mut()
        .expect("responses")
        .remove("401");
    let error = security.verify(&broken).expect_err("no 401");
    assert!(
        matches!(
            error.problems(),
            [Problem::MissingResponse { status: 401, .. }]
        ),
        "{error}"
    );

    // Writing the security into a document without a mounted route fails too,
    // before anything is served.
    let mut partial = doc.clone();
    partial["paths"]
        .as_object_mut()
        .expect("paths")
        .remove("/orders");
    let mut partial: utoipa::openapi::OpenApi =
        serde_json::from_value(partial).expect("a utoipa document");
    let error = security
        .apply(&mut partial)
        .expect_err("two routes without operations");
    assert_eq!(error.problems().len(), 2, "{error}");
}
