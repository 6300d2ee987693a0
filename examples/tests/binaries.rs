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
fn plain_maps_every_outcome() {
    let output = run(env!("CARGO_BIN_EXE_plain"), &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let expected = [
        ("anyone", "OK: espresso machine"),
        ("alice, her order", "OK: order 1"),
        ("bob, alice's order", "PermissionDenied (403 forbidden)"),
        ("alice, no such order", "404 not_found"),
        ("no token", "Unauthenticated (401 missing_credentials)"),
        ("a garbage token", "Unauthenticated (401 invalid_token)"),
    ];
    for (who, outcome) in expected {
        assert!(
            stdout
                .lines()
                .any(|line| line.contains(who) && line.contains(outcome)),
            "{who}: {outcome} in\n{stdout}"
        );
    }
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
    assert!(row("delete_order").contains(r#"scope("orders:write"), Delete(order)"#));
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
        23
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
