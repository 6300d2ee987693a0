//! An independent client of the reference service: Python's `requests`, with a
//! real cookie jar (`http.cookiejar`), signs in with a session, reads, writes
//! with the CSRF token and logs out, after which the old cookie is refused; and
//! `pyotp` computes dave's code for a bearer step-up, which works once.
//!
//! The client is `fixtures/python/orders_client.py`; it reports what it saw as
//! JSON and this test asserts on it. Needs `python3` with `requests` and
//! `pyotp` (`python3 -m pip install requests pyotp`). Without them the test
//! prints why and passes, except in CI (`CI=true`), where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod orders_support;

use std::process::Command;
use std::time::{Duration, Instant};

use examples::service::DAVE_TOTP_SECRET;
use serde_json::{Value, json};

const CLIENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/python/orders_client.py"
);

/// The bound on the whole Python run.
const WAIT: Duration = Duration::from_secs(30);

/// Runs the client against `base` (polled, so the service on this runtime
/// keeps answering; killed after [`WAIT`]) and returns its record.
async fn run_client(base: String) -> Value {
    let mut child = Command::new("python3")
        .args([CLIENT, &base, DAVE_TOTP_SECRET])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 starts");
    let deadline = Instant::now() + WAIT;
    while child.try_wait().expect("the client's status").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the Python client did not finish within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let output = child.wait_with_output().expect("the client's output");
    assert!(
        output.status.success(),
        "the Python client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_requests_and_pyotp_use_sessions_csrf_and_the_step_up() {
    if let Err(reason) =
        auth_integration::python::with_modules(&["requests", "pyotp"], "requests pyotp")
    {
        auth_integration::python::skip_or_fail(&reason);
        return;
    }
    let addr = orders_support::start_axum(&orders_support::config(&[])).await;
    let seen = run_client(format!("http://127.0.0.1:{}", addr.port())).await;

    // Python's jar as shipped keeps the `Secure` cookie and never sends it back
    // over http: the client needs its loopback-is-secure policy, as a browser has.
    assert_eq!(
        seen["default_policy"],
        json!({"sign_in": 200, "stored": true, "me": 401}),
        "{seen:#}"
    );

    // Sign-in: the cookie in the jar, as the service set it.
    assert_eq!(seen["sign_in"]["status"], 200, "{seen:#}");
    let csrf = seen["sign_in"]["body"]["csrf_token"].as_str().unwrap();
    assert!(!csrf.is_empty());
    let set_cookie = seen["set_cookie"].as_str().unwrap();
    assert!(
        set_cookie.starts_with("__Host-orders_session=")
            && set_cookie.ends_with("; Secure; HttpOnly; SameSite=Lax; Path=/"),
        "{set_cookie}"
    );
    assert_eq!(
        seen["jar"],
        json!({"secure": true, "httponly": true, "path": "/", "length": 43})
    );

    // Reads with the cookie alone; writes need the token.
    assert_eq!(seen["me"]["status"], 200, "{seen:#}");
    assert_eq!(seen["me"]["body"]["mechanism"], "session");
    assert_eq!(seen["me"]["body"]["email"], "alice@example.com");
    assert_eq!(
        (
            &seen["order_without_token"]["status"],
            &seen["order_without_token"]["body"]["error"]
        ),
        (&json!(403), &json!("forbidden"))
    );
    assert_eq!(seen["order"]["status"], 201, "{seen:#}");
    let order = &seen["order"]["body"];
    assert_eq!(
        (&order["item"], &order["amount"]),
        (&json!("tea"), &json!(300))
    );
    let listed = seen["orders"]["body"].to_string();
    assert_eq!(seen["orders"]["status"], 200);
    assert!(
        listed.contains(&format!("\"id\":{}", order["id"])),
        "the new order is listed: {listed}"
    );

    // Logout clears the cookie in the jar, and the old id is dead on the server.
    assert_eq!(seen["logout"]["status"], 204, "{seen:#}");
    let cleared = seen["logout"]["set_cookie"].as_str().unwrap();
    assert!(cleared.starts_with("__Host-orders_session=;"), "{cleared}");
    assert_eq!(seen["logout"]["jar_after"], false, "{seen:#}");
    assert_eq!(seen["old_cookie"]["status"], 401, "{seen:#}");

    // pyotp's code of dave's seeded secret steps a bearer up once.
    assert_eq!(seen["login"], 200);
    assert_eq!(seen["verify"]["status"], 200, "{seen:#}");
    assert_eq!(seen["verify"]["new_token"], true);
    let keys = seen["verify"]["keys"].to_string();
    assert!(
        keys.contains("\"access_token\"") && keys.contains("\"refresh_token\""),
        "{keys}"
    );
    let me = &seen["me_after_verify"]["body"];
    assert_eq!(me["mechanism"], "bearer_token", "{me}");
    assert_eq!(me["amr"], json!(["pwd", "otp"]), "{me}");
    assert_eq!(
        (&seen["replay"]["status"], &seen["replay"]["body"]["error"]),
        (&json!(400), &json!("invalid_grant")),
        "{seen:#}"
    );
}
