//! Both service binaries, started with a bad configuration: exit code 2 and a
//! message naming the variable; a store that cannot be reached at start: exit
//! code 1, naming its variable too.
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BINARIES: [(&str, &str); 2] = [
    ("orders-api", env!("CARGO_BIN_EXE_orders-api")),
    ("orders-actix", env!("CARGO_BIN_EXE_orders-actix")),
];

/// Runs `binary` with `vars` (and a valid secret and a free port, so nothing
/// else is wrong), and returns its exit code and standard error. A binary still
/// running after 30 s (it started, which it should not have) is killed.
fn run<V: AsRef<std::ffi::OsStr> + std::fmt::Debug>(
    binary: &str,
    vars: &[(&str, V)],
) -> (Option<i32>, String) {
    let mut command = Command::new(binary);
    for (name, _) in std::env::vars() {
        if name.starts_with("ORDERS_API_") || name == "DATABASE_URL" || name == "REDIS_URL" {
            command.env_remove(name);
        }
    }
    command
        .env(
            "ORDERS_API_JWT_SECRET",
            "exit-code test secret, 32+ bytes long",
        )
        .env("ORDERS_API_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "error")
        .envs(vars.iter().map(|(name, value)| (name, value.as_ref())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary runs");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if child.try_wait().expect("the child's status").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{binary} with {vars:?} started instead of exiting");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("the child's output");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_bad_variable_exits_2_naming_it() {
    let cases: [(&str, &str); 14] = [
        ("REDIS_URL", "not a url"),
        ("REDIS_URL", ""),
        ("DATABASE_URL", " "),
        ("REDIS_URL", "http://127.0.0.1:6379/"),
        ("DATABASE_URL", "postgres://db.example/orders"),
        ("ORDERS_API_ADDR", "localhost"),
        ("ORDERS_API_JWT_SECRET", "short"),
        ("ORDERS_API_ACCESS_TTL", "0"),
        ("ORDERS_API_HEADER_TIMEOUT", "0"),
        ("ORDERS_API_IDLE_TIMEOUT", "forever"),
        ("ORDERS_API_BODY_TIMEOUT", "3601"),
        ("ORDERS_API_MAX_CONNECTIONS", "0"),
        ("ORDERS_API_LOGIN_LIMIT_IP", "20"),
        ("ORDERS_API_LOGIN_LIMIT_EMAIL", "0/60"),
    ];
    for (name, binary) in BINARIES {
        for (variable, value) in cases {
            let (code, stderr) = run(binary, &[(variable, value)]);
            assert_eq!(code, Some(2), "{name} {variable}={value:?}: {stderr}");
            assert!(
                stderr.contains(variable),
                "{name} {variable}={value:?}: the message does not name it: {stderr}"
            );
        }
    }
}

#[test]
fn a_redis_password_is_not_printed() {
    let (code, stderr) = run(
        BINARIES[0].1,
        &[("REDIS_URL", "redis://user:hunter2@[::1:6379/")],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("REDIS_URL"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_store_that_cannot_be_reached_exits_1_naming_its_variable() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let unreachable_redis = ("REDIS_URL", "redis://127.0.0.1:1/");
    let missing_directory = (
        "DATABASE_URL",
        "/nonexistent-directory-of-the-exit-code-test/orders.sqlite",
    );
    for (name, binary) in BINARIES {
        for (variable, value) in [unreachable_redis, missing_directory] {
            let (code, stderr) = run(binary, &[(variable, value)]);
            assert_eq!(code, Some(1), "{name} {variable}={value:?}: {stderr}");
            assert!(
                stderr.contains(variable),
                "{name} {variable}={value:?}: the message does not name it: {stderr}"
            );
        }
    }
}

/// A value that is not UTF-8 is refused, never read as "unset" (which would turn
/// an unreadable `REDIS_URL` into in-memory stores, or a secret into a random
/// key).
#[cfg(unix)]
#[test]
fn a_value_that_is_not_utf8_exits_2_naming_it() {
    use std::os::unix::ffi::OsStrExt as _;
    let garbage = std::ffi::OsStr::from_bytes(b"\xff\xfe");
    for (name, binary) in BINARIES {
        for variable in [
            "REDIS_URL",
            "DATABASE_URL",
            "ORDERS_API_JWT_SECRET",
            "ORDERS_API_ADDR",
        ] {
            let (code, stderr) = run(binary, &[(variable, garbage)]);
            assert_eq!(code, Some(2), "{name} {variable}: {stderr}");
            assert!(stderr.contains(variable), "{name} {variable}: {stderr}");
        }
    }
}

/// A roles file the service cannot use stops the start (exit code 2, as it would
/// be refused again), with every problem at its file, line and column.
#[test]
fn a_bad_roles_file_exits_2_naming_its_line() {
    let directory = std::env::temp_dir().join(format!("orders-roles-{}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("a temporary directory");
    let write = |name: &str, text: &str| {
        let path = directory.join(name);
        std::fs::write(&path, text).expect("the roles file is written");
        path
    };
    let shipped = include_str!("../roles.toml");
    let cases = [
        (
            write(
                "unknown-permission.toml",
                &shipped.replace(
                    r#"permissions = ["orders.create","#,
                    r#"permissions = ["orders.craete","#,
                ),
            ),
            ":19:16: role `customer` lists unknown permission `orders.craete` (did you mean `orders.create`?)",
        ),
        (
            write(
                "cycle.toml",
                &shipped.replace(
                    "[roles.customer]\n",
                    "[roles.customer]\ninherits = [\"admin\"]\n",
                ),
            ),
            "roles inherit in a cycle: `customer` → `admin` → `manager` → `customer`",
        ),
        (
            write("duplicate.toml", &format!("{shipped}\n[roles.admin]\n")),
            ":30:8: duplicate key `admin`",
        ),
        (
            // Valid, but without the `admin` role that `role(Admin)` gates name.
            write(
                "no-admin.toml",
                "[roles.customer]\n[roles.manager]\ninherits = [\"customer\"]\n",
            ),
            "requires role `admin`, which the roles file",
        ),
        (
            directory.join("missing.toml"),
            "missing.toml: the roles file cannot be read",
        ),
    ];
    for (name, binary) in BINARIES {
        for (path, expected) in &cases {
            let (code, stderr) = run(binary, &[("ORDERS_API_ROLES_FILE", path)]);
            assert_eq!(code, Some(2), "{name} {path:?}: {stderr}");
            assert!(
                stderr.contains("ORDERS_API_ROLES_FILE"),
                "{name} {path:?}: {stderr}"
            );
            assert!(
                stderr.contains(&path.display().to_string()),
                "{name} {path:?}: the message does not name the file: {stderr}"
            );
            assert!(stderr.contains(expected), "{name} {path:?}: {stderr}");
        }
    }
    let _ = std::fs::remove_dir_all(&directory);
}
