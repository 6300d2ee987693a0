//! The example binaries as a user runs them.
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::process::{Command, Output};

fn run(binary: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(binary);
    command
        .env_remove("ORDERS_API_JWT_SECRET")
        .env_remove("REDIS_URL")
        .env_remove("DATABASE_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

#[test]
fn bad_configuration_stops_the_start_naming_the_variable() {
    let cases = [
        ("ORDERS_API_JWT_SECRET", "too-short", "at least 32 bytes"),
        ("ORDERS_API_ACCESS_TTL", "fifteen", "expected seconds"),
        ("ORDERS_API_ACCESS_TTL", "0", "expected seconds"),
        ("ORDERS_API_ADDR", "localhost-ish", "expected an address"),
        ("ORDERS_API_ISSUER", "  ", "must not be empty"),
    ];
    for binary in [
        env!("CARGO_BIN_EXE_orders-api"),
        env!("CARGO_BIN_EXE_orders-actix"),
        env!("CARGO_BIN_EXE_orders-grpc"),
    ] {
        for (variable, value, problem) in cases {
            let output = run(binary, &[(variable, value)]);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{binary} {variable}={value:?}: {stderr}"
            );
            assert!(
                stderr.contains(variable) && stderr.contains(problem),
                "{stderr}"
            );
            assert!(
                !stderr.contains(value)
                    || value.trim().is_empty()
                    || variable != "ORDERS_API_JWT_SECRET",
                "the secret is not echoed: {stderr}"
            );
        }
    }
}

#[test]
fn an_unreachable_redis_stops_the_start() {
    let output = run(
        env!("CARGO_BIN_EXE_orders-api"),
        &[
            ("REDIS_URL", "redis://127.0.0.1:1/"),
            ("ORDERS_API_ADDR", "127.0.0.1:0"),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot start"));
}

#[test]
fn orders_grpc_refuses_a_bad_address_naming_the_variable() {
    let output = run(
        env!("CARGO_BIN_EXE_orders-grpc"),
        &[("ORDERS_GRPC_ADDR", "somewhere")],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ORDERS_GRPC_ADDR"), "{stderr}");
}

#[test]
fn orders_api_prints_its_authorization_matrix() {
    let output = Command::new(env!("CARGO_BIN_EXE_orders-api"))
        .arg("--authorization-matrix")
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let matrix = String::from_utf8_lossy(&output.stdout);
    let row = |name: &str| {
        matrix
            .lines()
            .find(|line| line.contains(&format!("::{name}`")))
            .unwrap_or_else(|| panic!("no row for {name} in\n{matrix}"))
            .to_owned()
    };
    assert!(row("health").contains("PUBLIC"));
    assert!(row("openapi_json").contains("PUBLIC"));
    assert!(row("delete_order").contains(r#"scope("orders:write"), Delete(order)"#));
    assert!(
        row("refund_order").contains(r#"scope("orders:write"), role("manager"), Refund(order)"#)
    );
    assert!(
        row("list_orders")
            .contains(r#"scope("orders:read"), check(auth_core::limit::within_plan)"#)
    );
    assert!(
        row("set_roles")
            .contains(r#"role("admin"), not(mechanism("api_key")), mfa, fresh(max_age = 300)"#)
    );
    assert!(row("create_api_key").contains(r#"not(mechanism("api_key"))"#));
    assert!(row("me").contains("guarded, guests too"));
    assert_eq!(
        matrix
            .lines()
            .filter(|l| l.contains("examples::orders_api"))
            .count(),
        27
    );
    // The chain, with every credential it reads: which ways in the routes have.
    let chain = matrix
        .lines()
        .find(|line| line.contains("Chain<"))
        .unwrap_or_else(|| panic!("no chain in\n{matrix}"));
    assert!(
        chain.contains(
            "| orders-api | bearer token, cookie `__Host-orders_session`, header `x-api-key` |"
        ),
        "{chain}"
    );
}

/// What each role reaches, as `orders-api --roles-matrix` prints it: a change of
/// who reaches what shows up here, in review. (Source lines are left out: they
/// move with every edit.)
/// `orders-api --openapi`: the document `GET /openapi.json` serves, its
/// security written from the gates.
#[test]
fn orders_api_prints_its_openapi_document() {
    let output = Command::new(env!("CARGO_BIN_EXE_orders-api"))
        .arg("--openapi")
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the document is JSON");
    assert_eq!(doc.pointer("/openapi"), Some(&serde_json::json!("3.1.0")));
    assert_eq!(
        doc.pointer("/paths/~1orders~1{id}/delete/security"),
        Some(
            &serde_json::json!([{"bearer": ["orders:write"]}, {"session": ["orders:write"]}, {"api_key": ["orders:write"]}])
        )
    );
    assert_eq!(
        doc.pointer("/paths/~1openapi.json/get/security"),
        Some(&serde_json::json!([{}]))
    );
}

#[test]
fn orders_api_prints_what_each_role_reaches() {
    let output = Command::new(env!("CARGO_BIN_EXE_orders-api"))
        .arg("--roles-matrix")
        .env_remove("ORDERS_API_ROLES_FILE")
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    // The section of `role`, each row without its source column.
    let section = |role: &str| -> String {
        let start = text
            .find(&format!("## role `{role}`"))
            .unwrap_or_else(|| panic!("no section for {role} in\n{text}"));
        let rest = &text[start..];
        let end = rest[1..].find("## role").map_or(rest.len(), |i| i + 1);
        rest[..end]
            .lines()
            .map(|line| match line.rsplit_once(" | ") {
                Some((row, _source)) if line.starts_with("| `") => format!("{row} |"),
                _ => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
            .trim_end()
            .to_owned()
    };
    let common = r#"| `examples::orders_api::create_api_key` | `not(mechanism("api_key"))` |
| `examples::orders_api::create_order` | `scope("orders:write")` |
| `examples::orders_api::delete_order` | `scope("orders:write")`, `Delete(order)` |
| `examples::orders_api::get_order` | `scope("orders:read")`, `Read(order)` |
| `examples::orders_api::list_api_keys` | `not(mechanism("api_key"))` |
| `examples::orders_api::list_orders` | `scope("orders:read")`, `check(auth_core::limit::within_plan)` |"#;
    let tail = r#"| `examples::orders_api::logout` | `mechanism("bearer_token")` |
| `examples::orders_api::logout_all` | - |
| `examples::orders_api::me` | - |
| `examples::orders_api::mfa_verify` | `not(mechanism("api_key"))` |"#;
    // Past `refund_order`, which a customer does not reach.
    let tail_after_refund = r#"| `examples::orders_api::revoke_api_key` | `not(mechanism("api_key"))`, `Revoke(key)` |
| `examples::orders_api::session_logout` | `mechanism("session")` |"#;
    let customer = format!(
        r#"## role `customer` (examples/roles.toml:17)

- includes: `customer`
- permissions: `orders.create`, `orders.read.own`, `orders.delete.own`

| handler | gates that still apply | source |
|---|---|---|
{common}
{tail}
{tail_after_refund}
| `examples::orders_api::totp_confirm` | `not(mechanism("api_key"))` |
| `examples::orders_api::totp_enroll` | `not(mechanism("api_key"))` |

And 10 public handlers (`#[public]`), which anyone reaches.
"#
    );
    assert_eq!(section("customer"), customer.trim_end());
    let admin = format!(
        r#"## role `admin` (examples/roles.toml:25)

- includes: `admin`, `customer`, `manager`
- permissions: `orders.create`, `orders.read.own`, `orders.delete.own`, `orders.read.any`, `orders.delete.any`, `users.read`, `users.roles.set`

| handler | gates that still apply | source |
|---|---|---|
{common}
| `examples::orders_api::list_users` | `not(mechanism("api_key"))` |
{tail}
| `examples::orders_api::refund_order` | `scope("orders:write")`, `Refund(order)` |
{tail_after_refund}
| `examples::orders_api::set_roles` | `not(mechanism("api_key"))`, `mfa`, `fresh(max_age = 300)` |
| `examples::orders_api::totp_confirm` | `not(mechanism("api_key"))` |
| `examples::orders_api::totp_enroll` | `not(mechanism("api_key"))` |

And 10 public handlers (`#[public]`), which anyone reaches."#
    );
    assert_eq!(section("admin"), admin);
    // A manager includes a customer, refunds, and reaches no admin handler.
    let manager = section("manager");
    assert!(
        manager.contains(
            "| `examples::orders_api::refund_order` | `scope(\"orders:write\")`, `Refund(order)` |"
        ),
        "{manager}"
    );
    assert!(
        manager.contains("- includes: `manager`, `customer`"),
        "{manager}"
    );
    assert!(
        !manager.contains("list_users") && !manager.contains("set_roles"),
        "{manager}"
    );
}
