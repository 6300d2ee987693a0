//! Shared by the `orders_*` and `blackbox_findings` tests: the example service's
//! configuration and its start on axum or actix-web, on a loopback port, once it
//! answers `/health`. Each test file uses part of it.
#![allow(dead_code, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use auth_integration::client as http;
use examples::config::Config;
use examples::service::Service;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The HS256 secret every test configuration signs with.
/// What follows the bearer challenge in every 401 of the example services: one
/// challenge per other way in (the session cookie, an API key), in the order of
/// the service's chain.
pub(crate) const OTHER_CHALLENGES: &str = r#"Cookie realm="orders-api", cookie-name="__Host-orders_session", ApiKey realm="orders-api", header="x-api-key""#;

pub(crate) const SECRET: &str = "orders test secret, at least 32 bytes long";

/// The web framework a test runs the service on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framework {
    Axum,
    Actix,
}

/// Both frameworks, for tests that run on each.
pub(crate) const BOTH: [Framework; 2] = [Framework::Axum, Framework::Actix];

/// Added to every configured timeout before a test gives up.
pub(crate) const SLACK: Duration = Duration::from_secs(5);

/// A valid configuration ([`SECRET`], a free port) with `extra` on top.
pub(crate) fn config(extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("ORDERS_API_JWT_SECRET".to_owned(), SECRET.to_owned()),
        ("ORDERS_API_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
    ]);
    for (name, value) in extra {
        vars.insert((*name).to_owned(), (*value).to_owned());
    }
    Config::from_lookup(|name| vars.get(name).cloned()).expect("a valid test configuration")
}

/// Starts the service on `framework` and returns its address once `/health`
/// answers 200.
pub(crate) async fn start(framework: Framework, config: &Config) -> SocketAddr {
    match framework {
        Framework::Axum => start_axum(config).await,
        Framework::Actix => start_actix(config).await,
    }
}

/// `orders-api` on the current runtime.
pub(crate) async fn start_axum(config: &Config) -> SocketAddr {
    let service: Arc<Service> = Service::start(config).await.expect("the service starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(examples::orders_api::serve(listener, service));
    wait_for_health(addr).await
}

/// `orders-actix` on a thread of its own (actix runs its own system).
pub(crate) async fn start_actix(config: &Config) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    let config = config.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let service = Service::start(&config).await.expect("the service starts");
            examples::orders_actix::serve(listener, service).await
        })
    });
    wait_for_health(addr).await
}

async fn wait_for_health(addr: SocketAddr) -> SocketAddr {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut stream) = TcpStream::connect(addr).await {
            let probe = b"GET /health HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n";
            let mut answer = Vec::new();
            if stream.write_all(probe).await.is_ok()
                && stream.read_to_end(&mut answer).await.is_ok()
                && answer.starts_with(b"HTTP/1.1 200")
            {
                return addr;
            }
        }
        assert!(Instant::now() < deadline, "the service did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads until the server closes the connection (EOF or reset), and returns what
/// it sent; panics if it is still open after `within`.
pub(crate) async fn closed_within(
    stream: &mut (impl AsyncReadExt + Unpin),
    within: Duration,
    what: &str,
) -> String {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0_u8; 1024];
    loop {
        let left = within.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(elapsed) => panic!("{what}: still open after {within:?} ({elapsed})"),
            Ok(Ok(0) | Err(_)) => return String::from_utf8_lossy(&received).into_owned(),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// `/health` answers while slow connections are open: several times, each on a
/// new connection.
pub(crate) async fn health_answers(addr: SocketAddr) {
    for _ in 0..3 {
        let response = http::get(addr, "/health", None).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.body, "ok");
    }
}

/// Writes a byte every 300 ms until told to stop or the socket fails: activity
/// that keeps an idle timer (and a per-chunk timer) from ever firing.
pub(crate) fn trickle(mut writer: tokio::net::tcp::OwnedWriteHalf, byte: u8) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    tokio::spawn(async move {
        while !stopped.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
        }
    });
    stop
}

pub(crate) async fn wrong_login(addr: SocketAddr, email: String) -> http::Response {
    http::call(
        addr,
        "POST",
        "/auth/login",
        None,
        Some(json!({ "email": email, "password": "wrong" })),
    )
    .await
}

/// The test of the same name, on `framework`.
pub(crate) async fn login_flood_from_one_client_gets_429(framework: Framework) {
    let config = config(&[("ORDERS_API_LOGIN_LIMIT_IP", "5/60")]);
    let addr = start(framework, &config).await;
    // Different emails: the client's limit is what acts.
    let flood = (0..12).map(|n| tokio::spawn(wrong_login(addr, format!("user{n}@example.com"))));
    let mut statuses = Vec::new();
    let mut refused = None;
    for request in flood.collect::<Vec<_>>() {
        let response = request.await.expect("the request task");
        statuses.push(response.status);
        if response.status == 429 {
            refused = Some(response);
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        7,
        "{statuses:?}"
    );
    let refused = refused.expect("a 429");
    let retry_after: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(refused.header("content-type"), Some("application/json"));
    assert_eq!(
        refused.json(),
        json!({"error": "too_many_requests", "error_description": "too many login attempts, retry later"})
    );
    // The right password is refused too while throttled: no guessing through.
    let right = http::call(
        addr,
        "POST",
        "/auth/login",
        None,
        Some(json!({"email": "alice@example.com", "password": "alice-password"})),
    )
    .await;
    assert_eq!(right.status, 429);
    health_answers(addr).await;
}

/// The test of the same name, on `framework`.
pub(crate) async fn email_limit_answers_alike_for_known_and_unknown_emails(framework: Framework) {
    let config = config(&[("ORDERS_API_LOGIN_LIMIT_EMAIL", "3/60")]);
    let addr = start(framework, &config).await;
    let mut answers = Vec::new();
    for email in ["alice@example.com", "nobody@example.com"] {
        let mut seen = Vec::new();
        for _ in 0..4 {
            let response = wrong_login(addr, email.to_owned()).await;
            seen.push((
                response.status,
                response.header("retry-after").is_some(),
                response.body,
            ));
        }
        answers.push(seen);
    }
    assert_eq!(
        answers[0], answers[1],
        "a known and an unknown email differ"
    );
    let statuses: Vec<u16> = answers[0].iter().map(|(status, ..)| *status).collect();
    assert_eq!(statuses, [400, 400, 400, 429]);
    // Another account is not affected.
    let bob = http::call(
        addr,
        "POST",
        "/auth/login",
        None,
        Some(json!({"email": "bob@example.com", "password": "bob-password"})),
    )
    .await;
    assert_eq!(bob.status, 200);
}

/// A token of the admin whose `access` token this is, after a TOTP step-up
/// (`PUT /admin/users/{id}/roles` asks for one within five minutes): enrolls a
/// factor first, unless the account has one (dave's is seeded with
/// `DAVE_TOTP_SECRET`), then proves it at `POST /auth/mfa/verify`.
pub(crate) async fn stepped_up(addr: SocketAddr, access: &str) -> String {
    use auth_core::mfa::TotpSecret;
    let now = std::time::SystemTime::now();
    let enroll = http::call(addr, "POST", "/auth/mfa/totp/enroll", Some(access), None).await;
    let code = if enroll.status == 200 {
        let secret = enroll.json()["secret"]
            .as_str()
            .and_then(TotpSecret::from_base32)
            .expect("a base32 secret");
        let confirm = http::call(
            addr,
            "POST",
            "/auth/mfa/totp/confirm",
            Some(access),
            Some(json!({ "code": secret.code_at(now) })),
        )
        .await;
        assert_eq!(confirm.status, 204, "confirm: {}", confirm.body);
        // The confirmation used this step's code: the next step's is still in
        // the window, and not a replay.
        secret.code_at(now + Duration::from_secs(30))
    } else {
        assert_eq!(
            enroll.status, 401,
            "an enrolled account needs a step-up to re-enroll"
        );
        TotpSecret::from_base32(examples::service::DAVE_TOTP_SECRET)
            .expect("the seeded secret")
            .code_at(now)
    };
    let verify = http::call(
        addr,
        "POST",
        "/auth/mfa/verify",
        Some(access),
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(verify.status, 200, "verify: {}", verify.body);
    verify.json()["access_token"]
        .as_str()
        .expect("a stepped-up access token")
        .to_owned()
}

// --- a client of the ways in besides bearer tokens (sessions, keys) -----------------

/// A request with any headers (a cookie, a CSRF token, `Sec-Fetch-Site`, a key).
pub(crate) async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<serde_json::Value>,
) -> http::Response {
    http::send(
        addr,
        http::Request {
            method,
            path,
            json: body.map(|body| body.to_string()),
            headers: headers
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned()))
                .collect(),
            ..http::Request::default()
        },
    )
    .await
}

/// A signed-in browser: `name=value` of its cookie, the bare id, its CSRF token.
pub(crate) struct Browser {
    pub(crate) cookie: String,
    pub(crate) id: String,
    pub(crate) csrf: String,
}

impl Browser {
    /// What its page sends with an unsafe request: the cookie, the token, and
    /// the `Sec-Fetch-Site` a browser adds.
    pub(crate) fn headers(&self) -> Vec<(&str, &str)> {
        vec![
            ("cookie", self.cookie.as_str()),
            ("x-csrf-token", self.csrf.as_str()),
            ("sec-fetch-site", "same-origin"),
        ]
    }
}

/// The cookie a `Set-Cookie` sets, as a browser sends it back.
pub(crate) fn cookie_of(response: &http::Response) -> String {
    let set = response.header("set-cookie").expect("a Set-Cookie");
    set.split(';').next().expect("name=value").to_owned()
}

/// `who` signs in at `POST /auth/session`.
pub(crate) async fn session(addr: SocketAddr, who: &str) -> Browser {
    let response = send(
        addr,
        "POST",
        "/auth/session",
        &[],
        Some(
            json!({ "email": format!("{who}@example.com"), "password": format!("{who}-password") }),
        ),
    )
    .await;
    assert_eq!(response.status, 200, "session of {who}: {}", response.body);
    let cookie = cookie_of(&response);
    Browser {
        id: cookie
            .split_once('=')
            .map(|(_, id)| id.to_owned())
            .expect("name=value"),
        cookie,
        csrf: response.json()["csrf_token"]
            .as_str()
            .expect("a CSRF token")
            .to_owned(),
    }
}

/// `who`'s access token from `POST /auth/login`, with `scope` when given.
pub(crate) async fn bearer(addr: SocketAddr, who: &str, scope: Option<&str>) -> String {
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

/// Signs `who` in on `service` without HTTP, as the extractors would.
pub(crate) async fn signed_in(
    service: &Service,
    who: &str,
) -> auth_core::Authenticated<examples::domain::User> {
    let tokens = service
        .login(
            None,
            &examples::service::LoginRequest {
                email: format!("{who}@example.com"),
                password: format!("{who}-password"),
                scope: None,
            },
        )
        .await
        .expect("a login");
    let (parts, ()) = ::http::Request::builder()
        .header("authorization", format!("Bearer {}", tokens.access_token))
        .body(())
        .expect("a request")
        .into_parts();
    auth_core::authenticate(&service.authenticator, &parts)
        .await
        .expect("authenticated")
}

/// A scratch file under the temporary directory, named for this process and
/// thread, removed when dropped.
pub(crate) struct Scratch(pub(crate) std::path::PathBuf);

impl Scratch {
    /// The path `name` will have; nothing is there yet.
    pub(crate) fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!(
            "orders-test-{}-{:?}-{name}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_file(&path);
        Scratch(path)
    }

    /// A file `name` holding `text`.
    pub(crate) fn with(name: &str, text: &str) -> Scratch {
        let scratch = Scratch::new(name);
        std::fs::write(&scratch.0, text).expect("written");
        scratch
    }

    pub(crate) fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
