//! What only a browser enforces, in a real one: headless Chromium, driven by
//! `chromedriver` over the W3C `WebDriver` HTTP protocol, signs in on the
//! reference service's own page (`GET /`) and uses the session; then pages of
//! another origin try to use it.
//!
//! It proves that the session cookie is stored `HttpOnly` (the page's script
//! cannot read it), `Secure`, `SameSite=Lax`, host-only with `Path=/` (what
//! `__Host-` demands, accepted over plain http on `localhost`, a secure context);
//! that the page's own requests pass with the CSRF token and fail without it;
//! and that a same-site page on another port (the cookie goes along) cannot make
//! a state-changing request, neither by an auto-submitting form nor by a
//! `no-cors` `fetch`, while a cross-site page (`127.0.0.1` against `localhost`)
//! does not even get the `Lax` cookie sent on its `POST`. On the server, the
//! TOTP enrolment the page left pending is still the one pending afterwards:
//! none of the refused requests was served.
//!
//! `http://localhost` and `http://127.0.0.1` are both secure contexts in
//! Chromium (W3C Secure Contexts: loopback is potentially trustworthy), so the
//! `Secure` `__Host-` cookie is stored over plain http on either (checked at
//! the end, with Chromium 156). They are different *sites*, though: which is
//! what the cross-site case uses.
//!
//! Needs `chromedriver` and Chromium (`apt-get install chromium chromium-driver`).
//! Without them the test prints why and passes, except in CI (`CI=true`), where
//! it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod orders_support;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use auth_core::mfa::TotpSecret;
use auth_integration::client::{self as http, Request};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The bound on every wait for the browser: its start, a page, a script, a
/// navigation. Generous: starting Chromium while the rest of the test suite
/// compiles and runs on two cores has taken more than 10 s.
const WAIT: Duration = Duration::from_secs(60);

/// The cookie the service's sessions live in.
const COOKIE: &str = "__Host-orders_session";

/// A program on `PATH`, or `None`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Chromium and chromedriver, or why not (a failure under `CI=true`).
fn browser_programs() -> Option<(PathBuf, PathBuf)> {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(on_path);
    match (browser, on_path("chromedriver")) {
        (Some(browser), Some(driver)) => Some((browser, driver)),
        (browser, driver) => {
            let reason = format!(
                "Chromium ({}) or chromedriver ({}) is not on PATH \
                 (apt-get install chromium chromium-driver)",
                browser.map_or("missing".into(), |p| p.display().to_string()),
                driver.map_or("missing".into(), |p| p.display().to_string()),
            );
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{reason} (CI=true: this test must run in CI)"
            );
            eprintln!("SKIPPED: {reason}");
            None
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// `chromedriver` on a loopback port and one browser session, both ended on
/// drop (the session first, so Chromium quits; then the driver is killed).
struct Driver {
    addr: SocketAddr,
    child: Child,
    session: Option<String>,
    profile: PathBuf,
}

impl Driver {
    async fn start(browser: &PathBuf, driver: &PathBuf) -> Self {
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        // A fresh profile, in memory when there is a tmpfs: Chromium writes
        // many small files there, and removing them from a busy disk took
        // seconds.
        let shm = PathBuf::from("/dev/shm");
        let temp = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        let profile = temp.join(format!("orders-browser-{}-{port}", std::process::id()));
        let mut this = Driver {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            child,
            session: None,
            profile,
        };
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = tokio::net::TcpStream::connect(this.addr).await.is_ok()
                && this.call("GET", "/status", None).await["ready"] == true;
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not get ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let created = this
            .call(
                "POST",
                "/session",
                Some(json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": browser,
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu",
                            "--disable-dev-shm-usage", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update",
                            format!("--user-data-dir={}", this.profile.display()),
                        ],
                    },
                    "timeouts": {"script": 30_000, "pageLoad": 30_000, "implicit": 0},
                }}})),
            )
            .await;
        this.session = Some(
            created["sessionId"]
                .as_str()
                .unwrap_or_else(|| panic!("no session: {created}"))
                .to_owned(),
        );
        this
    }

    /// A `WebDriver` command: its `value`, or a panic with the driver's error.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|body| body.to_string()).unwrap_or_default();
        let (status, answer) = tokio::time::timeout(WAIT, exchange(self.addr, method, path, &body))
            .await
            .unwrap_or_else(|_| panic!("{method} {path}: no answer within {WAIT:?}"));
        let mut answer: Value = serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {answer}"));
        let value = answer["value"].take();
        assert_eq!(status, 200, "{method} {path}: {value}");
        value
    }

    /// A command on the session: `/session/{id}{path}`.
    async fn session(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let id = self.session.as_deref().expect("a session");
        self.call(method, &format!("/session/{id}{path}"), body)
            .await
    }

    /// Opens `url` and waits for it to load.
    async fn open(&self, url: &str) {
        self.session("POST", "/url", Some(json!({ "url": url })))
            .await;
    }

    /// Runs `script` (a function body) in the page, with `args`.
    async fn run(&self, script: &str, args: Value) -> Value {
        self.session(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Awaits `expression` (a promise) in the page: its value, or the error's
    /// message as `"error: ..."`.
    async fn wait_for(&self, expression: &str) -> Value {
        let script = format!(
            "const done = arguments[arguments.length - 1];\n\
             Promise.resolve().then(() => {expression})\
             .then(done, (e) => done('error: ' + e));"
        );
        self.session(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// The browser's cookies for the current page.
    async fn cookies(&self) -> Vec<Value> {
        match self.session("GET", "/cookie", None).await {
            Value::Array(cookies) => cookies,
            other => panic!("cookies: {other}"),
        }
    }

    /// Waits until the page is a loaded document at `url`, and returns its
    /// text: after a navigation the test did not make itself (a form's).
    async fn text_once_at(&self, url: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let now_at = self.session("GET", "/url", None).await;
            if now_at == url {
                let state = self
                    .run(
                        "return [document.readyState, document.body ? document.body.innerText : ''];",
                        json!([]),
                    )
                    .await;
                if state[0] == "complete" {
                    return state[1].as_str().unwrap_or_default().to_owned();
                }
            }
            assert!(
                Instant::now() < deadline,
                "the browser never reached {url} (at {now_at})"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Quit the browser through the driver (a blocking best effort: this may
        // run while a failed test unwinds), then kill the driver.
        if let Some(id) = self.session.take() {
            let _ = delete_session(self.addr, &id);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn delete_session(addr: SocketAddr, id: &str) -> std::io::Result<()> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect_timeout(&addr, WAIT)?;
    stream.set_read_timeout(Some(WAIT))?;
    write!(
        stream,
        "DELETE /session/{id} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 0\r\n\r\n"
    )?;
    // The answer comes once the browser has quit.
    stream.read(&mut [0_u8; 1024]).map(drop)
}

/// One HTTP/1.1 exchange with chromedriver: the status and the body, read to
/// its `Content-Length` (chromedriver says `Connection: close` but leaves the
/// closing to the client).
async fn exchange(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to chromedriver");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write to chromedriver");
    let mut raw = Vec::new();
    let mut buf = [0_u8; 8192];
    loop {
        let n = stream.read(&mut buf).await.expect("read from chromedriver");
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw);
        if let Some((head, rest)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse::<usize>().ok());
            let status = head
                .split(' ')
                .nth(1)
                .and_then(|code| code.parse().ok())
                .expect("a status line");
            if n == 0 || length.is_some_and(|length| rest.len() >= length) {
                return (status, rest.to_owned());
            }
        }
        assert!(n > 0, "chromedriver closed mid-answer: {text}");
    }
}

/// A page on another origin: a tiny HTTP server on its own loopback port that
/// answers every request with `page(path)`.
async fn other_origin(page: impl Fn(&str) -> String + Send + Sync + 'static) -> u16 {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("a loopback port");
    let port = listener.local_addr().expect("an address").port();
    let page = std::sync::Arc::new(page);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let page = std::sync::Arc::clone(&page);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0_u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tokio::time::timeout(WAIT, stream.read(&mut buf)).await {
                        Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split(' ').nth(1).unwrap_or("/");
                let body = page(path);
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n\
                     cache-control: no-store\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    port
}

/// On the service's own page at `origin`: signs alice in, checks the cookie
/// the browser stored and what the page can see of it, and makes the page's
/// own writes. Returns the session id (read through the driver), the page's
/// CSRF token, and the TOTP secret of the enrolment the page left pending.
async fn own_page(driver: &Driver, origin: &str) -> (String, String, TotpSecret) {
    // --- the service's own page --------------------------------------------------
    driver.open(&format!("{origin}/")).await;
    assert_eq!(
        driver
            .run("return window.isSecureContext;", json!([]))
            .await,
        true,
        "http://localhost is a secure context"
    );
    assert_eq!(
        driver
            .wait_for(r#"signIn("alice@example.com", "alice-password")"#)
            .await,
        200
    );
    let cookies = driver.cookies().await;
    let [session] = cookies.as_slice() else {
        panic!("one cookie, the session's: {cookies:?}");
    };
    let id = session["value"]
        .as_str()
        .expect("the session id")
        .to_owned();
    assert_eq!(id.len(), 43, "{session}");
    let mut attributes = session.clone();
    attributes.as_object_mut().unwrap().remove("value");
    // Host-only: a `Domain` attribute would show as `.localhost`.
    assert_eq!(
        attributes,
        json!({
            "name": COOKIE, "domain": "localhost", "path": "/",
            "secure": true, "httpOnly": true, "sameSite": "Lax",
        })
    );
    let visible = driver.run("return document.cookie;", json!([])).await;
    assert_eq!(
        visible, "",
        "HttpOnly: the page's script cannot read the id"
    );

    // The page's own writes: refused without the token, served with it (the
    // cookie went along by itself: the page never saw it).
    assert_eq!(driver.wait_for("enroll(false)").await, 403);
    assert_eq!(driver.wait_for("enroll(true)").await, 200);
    // One more, the way `enroll` makes it, keeping the pending secret: it stays
    // pending only while no other enrolment replaces it.
    let pending = driver
        .wait_for(
            r#"fetch("/auth/mfa/totp/enroll", {method: "POST", headers: {"x-csrf-token": csrfToken}})
                .then((r) => r.json()).then((body) => [body.secret, csrfToken])"#,
        )
        .await;
    let secret =
        TotpSecret::from_base32(pending[0].as_str().expect("a secret")).expect("a base32 secret");
    let csrf = pending[1].as_str().expect("the page's token").to_owned();
    (id, csrf, secret)
}

/// Pages of another origin try the service's `enroll_url` with the session.
async fn other_origins(driver: &Driver, enroll_url: &str) {
    // --- a page of another origin, same site (another port of localhost) ---------
    let target = enroll_url.to_owned();
    let other = other_origin(move |path| {
        if path == "/form" {
            format!(
                r#"<!doctype html><form method="post" action="{target}"></form>
                <script>document.forms[0].submit();</script>"#
            )
        } else {
            "<!doctype html><p>another origin</p>".to_owned()
        }
    })
    .await;
    // (a) An auto-submitting form: a simple request, no preflight. The `Lax`
    // cookie is sent (same site), and the service refuses it: `Sec-Fetch-Site:
    // same-site`, and no token. Not 401: the session was there.
    driver.open(&format!("http://localhost:{other}/form")).await;
    let answer = driver.text_once_at(enroll_url).await;
    let answer: Value = serde_json::from_str(&answer)
        .unwrap_or_else(|e| panic!("the service's JSON ({e}): {answer:?}"));
    assert_eq!(answer["error"], "forbidden", "{answer}");

    // (b) A `no-cors` fetch with the cookie: sent, refused, and opaque to the page.
    driver.open(&format!("http://localhost:{other}/")).await;
    let fetched = driver
        .wait_for(&format!(
            r#"fetch("{enroll_url}", {{method: "POST", credentials: "include", mode: "no-cors"}})
                .then((r) => [r.type, r.status])"#
        ))
        .await;
    assert_eq!(fetched, json!(["opaque", 0]));

    // --- a cross-site page (127.0.0.1 is another site than localhost) -------------
    // `SameSite=Lax` keeps the cookie off a cross-site POST: the form arrives
    // without a session.
    driver.open(&format!("http://127.0.0.1:{other}/form")).await;
    let answer = driver.text_once_at(enroll_url).await;
    let answer: Value = serde_json::from_str(&answer)
        .unwrap_or_else(|e| panic!("the service's JSON ({e}): {answer:?}"));
    assert_eq!(answer["error"], "missing_credentials", "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_keeps_the_session_from_scripts_and_from_other_origins() {
    let Some((browser, driver)) = browser_programs() else {
        return;
    };
    let started = Instant::now();
    let service = orders_support::start_axum(&orders_support::config(&[])).await;
    let port = service.port();
    let origin = format!("http://localhost:{port}");
    let enroll_url = format!("{origin}/auth/mfa/totp/enroll");
    let driver = Driver::start(&browser, &driver).await;
    eprintln!("browser up after {:?}", started.elapsed());

    let (id, csrf, secret) = own_page(&driver, &origin).await;
    other_origins(&driver, &enroll_url).await;

    // --- on the server: none of those enrolled anew --------------------------------
    // The secret the page got last is still the pending one: a code of it
    // confirms. Any of the refused requests, served, would have replaced it.
    let confirm = http::send(
        service,
        Request {
            method: "POST",
            path: "/auth/mfa/totp/confirm",
            json: Some(json!({ "code": secret.code_at(SystemTime::now()) }).to_string()),
            headers: vec![
                ("cookie", format!("{COOKIE}={id}")),
                ("x-csrf-token", csrf),
                ("sec-fetch-site", "same-origin".to_owned()),
            ],
            ..Request::default()
        },
    )
    .await;
    assert_eq!(confirm.status, 204, "{}", confirm.body);

    // --- 127.0.0.1 is a secure context too: `__Host-` works there as well ---------
    driver.open(&format!("http://127.0.0.1:{port}/")).await;
    assert_eq!(
        driver
            .wait_for(r#"signIn("bob@example.com", "bob-password")"#)
            .await,
        200
    );
    let cookies = driver.cookies().await;
    let [session] = cookies.as_slice() else {
        panic!("one cookie for 127.0.0.1: {cookies:?}");
    };
    assert_eq!(
        (&session["name"], &session["domain"], &session["secure"]),
        (&json!(COOKIE), &json!("127.0.0.1"), &json!(true))
    );
    eprintln!("done after {:?}", started.elapsed());
}
