//! The reference service's access matrix: every route it mounts × a caller of
//! each kind → the status it answers, over real HTTP, compared with the
//! reviewed snapshot `tests/integration/snapshots/orders-access.md`. A change of
//! who may reach what is a diff in that file (accept one with
//! `UPDATE_SNAPSHOTS=1 cargo test -p auth-integration --test orders_access_matrix`,
//! then review it).
//!
//! Every `{param}` is `1`, and no request has a body, so a caller the gates let
//! through gets the handler's or its extractors' answer (200, 204, 400, 404,
//! 415): what matters is where the 401s and 403s are. Probes run in the
//! order routes are mounted, callers left to right, on one fresh service: the
//! matrix is the same on every run. The two logout routes are left out, since
//! they would revoke the callers' own tokens mid-probe.

use auth_core::testing::AccessMatrix;
use auth_integration::client as http;

mod orders_support;
use orders_support::{Framework, bearer, config, start, stepped_up};

#[tokio::test]
async fn the_access_matrix_is_the_reviewed_one() {
    let addr = start(Framework::Axum, &config(&[])).await;
    let read_only = format!("Bearer {}", bearer(addr, "bob", Some("orders:read")).await);
    let customer = format!("Bearer {}", bearer(addr, "alice", None).await);
    let admin = bearer(addr, "carol", None).await;
    let admin_mfa = format!(
        "Bearer {}",
        stepped_up(addr, &bearer(addr, "dave", None).await).await
    );
    let admin = format!("Bearer {admin}");
    let roles = [
        ("anonymous", None),
        ("customer, read-only token", Some(read_only.as_str())),
        ("customer", Some(customer.as_str())),
        ("admin", Some(admin.as_str())),
        ("admin with MFA", Some(admin_mfa.as_str())),
    ];
    let routes: Vec<_> = examples::orders_api::routes()
        .into_iter()
        .filter(|(_, path)| !path.starts_with("/auth/logout"))
        .collect();
    assert!(routes.len() > 15, "{routes:?}");
    let matrix = AccessMatrix::probe(&routes, &roles, |request| async move {
        let authorization = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let path = request.uri().to_string();
        let response = http::send(
            addr,
            http::Request {
                method: request.method().as_str(),
                path: &path,
                content_type: Some(""),
                headers: authorization
                    .map(|value| vec![("authorization", value)])
                    .unwrap_or_default(),
                ..http::Request::default()
            },
        )
        .await;
        response.status
    })
    .await;

    // Door by door, the claims the matrix must show whatever else changes.
    for (route, role) in [
        ("GET /admin/users", "customer"),
        ("PUT /admin/users/{id}/roles", "customer"),
        ("DELETE /orders/{id}", "customer, read-only token"),
        ("POST /orders", "customer, read-only token"),
    ] {
        assert_eq!(
            matrix.status(route, role),
            Some(403),
            "{route} for {role}\n{matrix}"
        );
    }
    assert_eq!(
        matrix.status("PUT /admin/users/{id}/roles", "admin"),
        Some(401),
        "{matrix}"
    );
    for (method, path) in &routes {
        let route = format!("{method} {path}");
        let anonymous = matrix.status(&route, "anonymous");
        assert!(
            matches!(anonymous, Some(200 | 400 | 401 | 404 | 415)),
            "{route}: {anonymous:?}"
        );
    }
    matrix.assert_snapshot(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/snapshots/orders-access.md"
    ));
}
