//! `orders-api` (axum) and `orders-actix` over real HTTP: on a guarded route,
//! authentication (401) and then the function-level gates (403,
//! `insufficient_scope`) answer before any path, query or body extractor can
//! reject. A customer probing an admin route learns nothing about its input
//! schema; the admin gets the extractors' answers.

use std::net::SocketAddr;

use auth_integration::client::{self as http, Request, Response};
use serde_json::json;

mod orders_support;
use orders_support::{Framework, config, start};

async fn login(addr: SocketAddr, who: &str, scope: Option<&str>) -> String {
    let mut body =
        json!({ "email": format!("{who}@example.com"), "password": format!("{who}-password") });
    if let Some(scope) = scope {
        body["scope"] = json!(scope);
    }
    let response = http::call(addr, "POST", "/auth/login", None, Some(body)).await;
    assert_eq!(response.status, 200, "login of {who}: {}", response.body);
    response.json()["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// `(method, path, body, content type)`: malformed ids, queries and bodies of
/// routes whose function-level gates a customer (or a read-only token) fails.
fn probes() -> Vec<(
    &'static str,
    &'static str,
    Option<String>,
    Option<&'static str>,
)> {
    let json = Some("application/json");
    vec![
        (
            "PUT",
            "/admin/users/abc/roles",
            Some(r#"{"roles":["admin"]}"#.into()),
            json,
        ),
        (
            "PUT",
            "/admin/users/99999999999999999999/roles",
            Some("{}".into()),
            json,
        ),
        ("PUT", "/admin/users/1/roles", Some("{".into()), json),
        (
            "PUT",
            "/admin/users/1/roles",
            Some(r#"{"nope":1}"#.into()),
            json,
        ),
        (
            "PUT",
            "/admin/users/1/roles",
            Some(r#"{"roles":["admin"]}"#.into()),
            Some("text/plain"),
        ),
        (
            "PUT",
            "/admin/users/1/roles",
            Some("x".repeat(1 << 20)),
            json,
        ),
        ("GET", "/admin/users?limit=abc", None, None),
        ("GET", "/admin/users?unknown=1", None, None),
    ]
}

async fn send(
    addr: SocketAddr,
    bearer: Option<&str>,
    (method, path, body, content_type): (&str, &str, Option<String>, Option<&str>),
) -> Response {
    http::send(
        addr,
        Request {
            method,
            path,
            bearer,
            json: body,
            content_type,
            ..Request::default()
        },
    )
    .await
}

async fn gates_answer_before_parsing(framework: Framework) {
    let addr = start(framework, &config(&[])).await;
    let customer = login(addr, "alice", None).await;
    let admin_without_mfa = login(addr, "carol", None).await;
    let admin = orders_support::stepped_up(addr, &admin_without_mfa).await;
    for probe in probes() {
        let what = format!("{framework:?} {} {}", probe.0, probe.1);
        let anonymous = send(addr, None, probe.clone()).await;
        assert_eq!(
            anonymous.status, 401,
            "{what} anonymous: {}",
            anonymous.body
        );
        assert!(anonymous.header("www-authenticate").is_some(), "{what}");

        let refused = send(addr, Some(&customer), probe.clone()).await;
        assert_eq!(refused.status, 403, "{what} customer: {}", refused.body);
        assert_eq!(
            refused.json()["error"],
            "forbidden",
            "{what}: {}",
            refused.body
        );
        assert!(!refused.body.contains("roles"), "{what}: {}", refused.body);

        // A role change needs a second factor: without one an admin gets the
        // step-up challenge (RFC 9470), also before any extractor.
        if probe.1.ends_with("/roles") {
            let weak = send(addr, Some(&admin_without_mfa), probe.clone()).await;
            assert_eq!(weak.status, 401, "{what} admin without MFA: {}", weak.body);
            assert_eq!(
                weak.header("www-authenticate"),
                Some(
                    r#"Bearer realm="orders-api", error="insufficient_user_authentication", error_description="a stronger or more recent authentication is required", acr_values="urn:auth-core:acr:mfa""#
                ),
                "{what}"
            );
        }

        let admitted = send(addr, Some(&admin), probe).await;
        assert!(
            [400, 404, 413, 415].contains(&admitted.status),
            "{what} admin gets the extractor's answer: {} {}",
            admitted.status,
            admitted.body
        );
    }

    // A token without the write scope: `insufficient_scope` before the body's 400.
    let read_only = login(addr, "alice", Some("orders:read")).await;
    for body in ["{", r#"{"unknown":1}"#] {
        let response = send(
            addr,
            Some(&read_only),
            (
                "POST",
                "/orders",
                Some(body.to_owned()),
                Some("application/json"),
            ),
        )
        .await;
        assert_eq!(
            response.status, 403,
            "{framework:?} {body}: {}",
            response.body
        );
        assert!(
            response
                .header("www-authenticate")
                .is_some_and(|c| c.contains("insufficient_scope")),
            "{framework:?}: {:?}",
            response.header("www-authenticate")
        );
    }
}

#[tokio::test]
async fn gates_answer_before_parsing_on_axum() {
    gates_answer_before_parsing(Framework::Axum).await;
}

#[tokio::test]
async fn gates_answer_before_parsing_on_actix() {
    gates_answer_before_parsing(Framework::Actix).await;
}
