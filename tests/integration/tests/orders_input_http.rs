//! What `orders-api` (axum) and `orders-actix` accept, over real HTTP on
//! loopback: every rejection is the service's JSON error and never repeats the
//! request; bodies, fields, pages and orders per user are bounded; the last
//! administrator cannot be demoted, even by two concurrent requests on two
//! instances sharing one database.
//!
//! Every test that can runs on both frameworks. Guarded routes are called by an
//! authorized caller, so the rejections tested here do not depend on the order of
//! the gates.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_integration::client::{self as http, Request, Response};
use examples::config::Config;
use serde_json::{Value, json};

/// Planted in every malicious input: no response and no log line may carry it.
const MARKER: &str = "MARKER-5f3a9c";

mod orders_support;
use orders_support::{BOTH, Framework, config};

/// Starts the service on `framework` (with the log capture on) and waits until
/// it answers.
async fn start(framework: Framework, config: Config) -> SocketAddr {
    log_capture();
    orders_support::start(framework, &config).await
}

async fn login(addr: SocketAddr, who: &str) -> String {
    let body =
        json!({ "email": format!("{who}@example.com"), "password": format!("{who}-password") });
    let response = http::call(addr, "POST", "/auth/login", None, Some(body)).await;
    assert_eq!(response.status, 200, "login of {who}: {}", response.body);
    response.json()["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// A request with a raw body (not necessarily JSON) and its content type.
async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<String>,
    content_type: Option<&str>,
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

/// The service's JSON error with `status` and `error`, and nothing of the
/// request in it.
fn assert_json_error(response: &Response, status: u16, error: &str, what: &str) {
    assert_eq!(response.status, status, "{what}: {}", response.body);
    assert_eq!(
        response.header("content-type"),
        Some("application/json"),
        "{what}"
    );
    let body = response.json();
    let fields: Vec<&String> = body.as_object().expect("an object").keys().collect();
    assert_eq!(fields, ["error", "error_description"], "{what}: {body}");
    assert_eq!(body["error"], error, "{what}: {body}");
    assert!(body["error_description"].is_string(), "{what}: {body}");
    for (name, value) in &response.headers {
        assert!(
            !value.contains(MARKER),
            "{what}: header {name} echoes input"
        );
    }
    assert!(
        !response.body.contains(MARKER),
        "{what} echoes input: {}",
        response.body
    );
    assert!(
        !response.body.chars().any(char::is_control),
        "{what} carries control characters: {:?}",
        response.body
    );
}

// --- every rejection is the service's JSON error -----------------------------------

/// A request that must be refused, and the status and `error` it gets.
struct Refused<'a> {
    what: &'static str,
    method: &'static str,
    path: String,
    bearer: Option<&'a str>,
    body: Option<String>,
    content_type: Option<&'static str>,
    status: u16,
    error: &'static str,
}

impl<'a> Refused<'a> {
    fn new(what: &'static str, method: &'static str, path: impl Into<String>) -> Self {
        Refused {
            what,
            method,
            path: path.into(),
            bearer: None,
            body: None,
            content_type: None,
            status: 400,
            error: "invalid_request",
        }
    }

    fn by(self, bearer: &'a str) -> Self {
        Refused {
            bearer: Some(bearer),
            ..self
        }
    }

    fn body(self, body: impl Into<String>, content_type: Option<&'static str>) -> Self {
        Refused {
            body: Some(body.into()),
            content_type,
            ..self
        }
    }

    fn answer(self, status: u16, error: &'static str) -> Self {
        Refused {
            status,
            error,
            ..self
        }
    }
}

/// Every kind of rejection, each with the marker (and control characters where
/// the request can carry them) in the part the framework would quote.
fn refused<'a>(alice: &'a str, carol: &'a str) -> Vec<Refused<'a>> {
    let login = json!({"email": "alice@example.com", "password": MARKER}).to_string();
    let oversized = json!({"email": MARKER, "password": "x".repeat(64 * 1024)}).to_string();
    vec![
        Refused::new(
            "JSON syntax error, control characters",
            "POST",
            "/auth/login",
        )
        .body(format!("{{\"email\":\"{MARKER}\u{1b}[31m\u{7}\u{0}"), None),
        Refused::new("an unknown field (axum: 422 quoting it)", "POST", "/orders")
            .by(alice)
            .body(
                json!({"item": "mug", "amount": 900, format!("{MARKER}\u{1b}"): 1}).to_string(),
                None,
            ),
        Refused::new(
            "a mistyped field (serde quotes the value)",
            "POST",
            "/orders",
        )
        .by(alice)
        .body(
            json!({"item": "mug", "amount": format!("{MARKER}\u{1b}[2J")}).to_string(),
            None,
        ),
        Refused::new("a field breaking its rule", "POST", "/orders")
            .by(alice)
            .body(
                json!({"item": format!("{MARKER}\u{1b}[2J"), "amount": 900}).to_string(),
                None,
            ),
        Refused::new("a body declared text/plain", "POST", "/auth/login")
            .body(login.clone(), Some("text/plain"))
            .answer(415, "unsupported_media_type"),
        Refused::new("a body without a content type", "POST", "/auth/login")
            .body(login, Some(""))
            .answer(415, "unsupported_media_type"),
        Refused::new("a body over the limit", "POST", "/auth/login")
            .body(oversized, None)
            .answer(413, "payload_too_large"),
        Refused::new(
            "an order id not an integer",
            "GET",
            format!("/orders/{MARKER}%1B%5B31m"),
        )
        .by(alice),
        Refused::new(
            "a user id not an integer",
            "PUT",
            format!("/admin/users/{MARKER}%07/roles"),
        )
        .by(carol)
        .body(json!({"roles": ["customer"]}).to_string(), None),
        Refused::new(
            "a query value that does not parse",
            "GET",
            format!("/orders?limit={MARKER}%1B"),
        )
        .by(alice),
        Refused::new(
            "an unknown query parameter",
            "GET",
            format!("/orders?{MARKER}%00=1"),
        )
        .by(alice),
        Refused::new("an unknown route", "GET", format!("/{MARKER}%1B%5B31m"))
            .answer(404, "not_found"),
        Refused::new("a wrong method", "PATCH", "/orders")
            .by(alice)
            .answer(405, "method_not_allowed"),
    ]
}

async fn rejections_are_json_errors_that_never_echo_input(framework: Framework) {
    let addr = start(framework, config(&[])).await;
    let alice = login(addr, "alice").await;
    let carol = orders_support::stepped_up(addr, &login(addr, "carol").await).await;
    for case in refused(&alice, &carol) {
        let what = format!("{framework:?}: {}", case.what);
        let response = raw(
            addr,
            case.method,
            &case.path,
            case.bearer,
            case.body,
            case.content_type,
        )
        .await;
        assert_json_error(&response, case.status, case.error, &what);
        if case.status == 405 {
            let allow = response.header("allow").unwrap_or_default();
            assert!(
                allow.contains("GET") && allow.contains("POST"),
                "{what}: allow {allow:?}"
            );
        }
    }
    // Nothing was created by the refused bodies.
    let orders = http::get(addr, "/orders", Some(&alice)).await.json();
    assert_eq!(orders["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_are_json_errors_that_never_echo_input_on_axum() {
    rejections_are_json_errors_that_never_echo_input(Framework::Axum).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_are_json_errors_that_never_echo_input_on_actix() {
    rejections_are_json_errors_that_never_echo_input(Framework::Actix).await;
}

// --- no log line carries a request body ----------------------------------------------

/// Every log line of this test binary, at `TRACE`, through the binaries' filter.
fn log_capture() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    Arc::clone(LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(examples::logging::with_rejections_off(
                tracing_subscriber::EnvFilter::new("trace"),
            ))
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&sink)))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        log
    }))
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut log) = self.0.lock() {
            log.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_input_never_reaches_the_log() {
    let log = log_capture();
    let addr = start(Framework::Axum, config(&[])).await;
    let alice = login(addr, "alice").await;
    for body in [
        format!("{{\"item\":\"{MARKER}"),
        json!({"item": "mug", "amount": 1, MARKER: 1}).to_string(),
        json!({"item": "mug", "amount": MARKER}).to_string(),
    ] {
        let response = raw(addr, "POST", "/orders", Some(&alice), Some(body), None).await;
        assert_eq!(response.status, 400);
    }
    // What axum itself logs when it renders a rejection: the filter drops it.
    tracing::trace!(target: "axum::rejection", body = MARKER, "rejecting request");
    // The capture works: an event of another target is there.
    tracing::trace!(target: "orders_input_http", "capture-check");
    let text = String::from_utf8_lossy(&log.lock().expect("the log")).into_owned();
    assert!(text.contains("capture-check"), "nothing was captured");
    assert!(
        !text.contains(MARKER),
        "a log line carries a request body: {}",
        text.lines()
            .filter(|line| line.contains(MARKER))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// --- bounded fields ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_are_bounded_in_length() {
    for framework in BOTH {
        let addr = start(framework, config(&[])).await;
        let alice = login(addr, "alice").await;
        let carol = orders_support::stepped_up(addr, &login(addr, "carol").await).await;
        let longest = "é".repeat(examples::limits::MAX_ITEM_CHARS);
        let created = http::call(
            addr,
            "POST",
            "/orders",
            Some(&alice),
            Some(json!({"item": longest, "amount": 900})),
        )
        .await;
        assert_eq!(created.status, 201, "{framework:?}: {}", created.body);
        assert_eq!(created.json()["item"], json!(longest));
        let refused: [(&str, &str, Option<&str>, Value); 7] = [
            (
                "POST",
                "/orders",
                Some(&alice),
                json!({"item": "a".repeat(examples::limits::MAX_ITEM_CHARS + 1), "amount": 900}),
            ),
            (
                "POST",
                "/orders",
                Some(&alice),
                json!({"item": "mug", "amount": 0}),
            ),
            (
                "POST",
                "/orders",
                Some(&alice),
                json!({"item": "mug", "amount": examples::limits::MAX_AMOUNT_CENTS + 1}),
            ),
            (
                "POST",
                "/auth/login",
                None,
                json!({"email": format!("{}@example.com", "a".repeat(250)), "password": "x"}),
            ),
            (
                "POST",
                "/auth/login",
                None,
                json!({"email": "alice@example.com", "password": "x".repeat(1025)}),
            ),
            (
                "PUT",
                "/admin/users/2/roles",
                Some(&carol),
                json!({"roles": ["customer", "customer"]}),
            ),
            (
                "PUT",
                "/admin/users/2/roles",
                Some(&carol),
                json!({"roles": ["customer", "admin", "customer"]}),
            ),
        ];
        for (method, path, caller, body) in refused {
            let what = format!("{framework:?}: {method} {path} {:.60}", body.to_string());
            let response = http::call(addr, method, path, caller, Some(body)).await;
            assert_json_error(&response, 400, "invalid_request", &what);
        }
        let orders = http::get(addr, "/orders", Some(&alice)).await.json();
        assert_eq!(
            orders["items"].as_array().map(Vec::len),
            Some(3),
            "{framework:?}: only the valid order was created"
        );
    }
}

// --- paginated listings --------------------------------------------------------------

/// Follows `next` from the first page of `path` (`limit` each) to the last.
async fn every_page(addr: SocketAddr, path: &str, token: &str, limit: u32) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut after: Option<i64> = None;
    loop {
        let url = match after {
            None => format!("{path}?limit={limit}"),
            Some(after) => format!("{path}?limit={limit}&after={after}"),
        };
        let response = http::get(addr, &url, Some(token)).await;
        assert_eq!(response.status, 200, "{url}: {}", response.body);
        let page = response.json();
        let items = page["items"].as_array().expect("items").clone();
        assert!(items.len() <= limit as usize, "{url}: a page too long");
        pages.push(items);
        match page["next"].as_i64() {
            Some(next) => after = Some(next),
            None => break,
        }
        assert!(pages.len() < 100, "{path}: the cursor does not advance");
    }
    pages
}

fn ids(pages: &[Vec<Value>]) -> Vec<i64> {
    pages
        .iter()
        .flatten()
        .map(|row| row["id"].as_i64().expect("an id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_are_paginated_with_a_cursor_and_a_maximum_page_size() {
    for framework in BOTH {
        let addr = start(framework, config(&[("ORDERS_API_MAX_PAGE_SIZE", "10")])).await;
        let alice = login(addr, "alice").await;
        let bob = login(addr, "bob").await;
        let carol = login(addr, "carol").await;
        for (token, item) in [(&alice, "a"), (&bob, "b"), (&alice, "c"), (&alice, "d")] {
            let created = http::call(
                addr,
                "POST",
                "/orders",
                Some(token),
                Some(json!({"item": item, "amount": 100})),
            )
            .await;
            assert_eq!(created.status, 201, "{framework:?}: {}", created.body);
        }
        // Alice's five orders in pages of two, her own only, in id order.
        let pages = every_page(addr, "/orders", &alice, 2).await;
        assert_eq!(
            pages.iter().map(Vec::len).collect::<Vec<_>>(),
            [2, 2, 1],
            "{framework:?}"
        );
        assert_eq!(ids(&pages), [1, 2, 5, 7, 8], "{framework:?}");
        assert!(
            pages.iter().flatten().all(|order| order["owner_id"] == 1),
            "{framework:?}: only alice's orders"
        );
        // The admin sees all eight; without `limit`, the default page (capped at
        // the configured maximum, 10) holds them all.
        let all = http::get(addr, "/orders", Some(&carol)).await.json();
        assert_eq!(all["items"].as_array().map(Vec::len), Some(8));
        assert_eq!(all["next"], Value::Null);
        // Users (the five seeded): the same cursor.
        let users = every_page(addr, "/admin/users", &carol, 3).await;
        assert_eq!(ids(&users), [1, 2, 3, 4, 5], "{framework:?}");
        // A page size out of range is refused, not silently clamped.
        for query in ["limit=0", "limit=11", "limit=-1", "after=x"] {
            let response = http::get(addr, &format!("/orders?{query}"), Some(&alice)).await;
            assert_json_error(
                &response,
                400,
                "invalid_request",
                &format!("{framework:?} {query}"),
            );
        }
    }
}

// --- orders per user -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_per_user_are_capped() {
    for framework in BOTH {
        let addr = start(
            framework,
            config(&[("ORDERS_API_MAX_ORDERS_PER_USER", "3")]),
        )
        .await;
        let alice = login(addr, "alice").await;
        let bob = login(addr, "bob").await;
        let order = || Some(json!({"item": "mug", "amount": 900}));
        // Alice has two seeded orders: one more, then no more.
        assert_eq!(
            http::call(addr, "POST", "/orders", Some(&alice), order())
                .await
                .status,
            201
        );
        let refused = http::call(addr, "POST", "/orders", Some(&alice), order()).await;
        assert_json_error(&refused, 409, "conflict", &format!("{framework:?}"));
        // The cap is per user: Bob still may.
        assert_eq!(
            http::call(addr, "POST", "/orders", Some(&bob), order())
                .await
                .status,
            201
        );
        // After a delete, Alice may again.
        assert_eq!(
            http::call(addr, "DELETE", "/orders/1", Some(&alice), None)
                .await
                .status,
            204
        );
        assert_eq!(
            http::call(addr, "POST", "/orders", Some(&alice), order())
                .await
                .status,
            201
        );
    }
}

// --- the last administrator -------------------------------------------------------------

async fn set_roles(addr: SocketAddr, token: &str, id: i64, roles: &[&str]) -> Response {
    http::call(
        addr,
        "PUT",
        &format!("/admin/users/{id}/roles"),
        Some(token),
        Some(json!({ "roles": roles })),
    )
    .await
}

async fn admins(addr: SocketAddr, token: &str) -> Vec<i64> {
    let users = http::get(addr, "/admin/users", Some(token)).await;
    assert_eq!(users.status, 200, "{}", users.body);
    users.json()["items"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|user| {
            user["roles"]
                .as_array()
                .is_some_and(|roles| roles.contains(&json!("admin")))
        })
        .map(|user| user["id"].as_i64().expect("an id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_admin_cannot_demote_themselves() {
    for framework in BOTH {
        let addr = start(framework, config(&[])).await;
        let carol = orders_support::stepped_up(addr, &login(addr, "carol").await).await;
        // Dave (4) may lose the role: Carol (3) keeps it.
        assert_eq!(set_roles(addr, &carol, 4, &["customer"]).await.status, 200);
        // Carol is the last one now.
        let refused = set_roles(addr, &carol, 3, &["customer"]).await;
        assert_json_error(&refused, 409, "conflict", &format!("{framework:?}"));
        assert_eq!(
            admins(addr, &carol).await,
            [3],
            "{framework:?}: nothing changed"
        );
        // Adding a role to the last admin is no demotion.
        let both = set_roles(addr, &carol, 3, &["customer", "admin"]).await;
        assert_eq!(both.status, 200, "{framework:?}: {}", both.body);
        // Carol's older tokens died with the change; a new one still works.
        let carol = login(addr, "carol").await;
        assert_eq!(admins(addr, &carol).await, [3], "{framework:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_demotions_of_the_last_two_admins_leave_one() {
    for framework in BOTH {
        let addr = start(framework, config(&[])).await;
        let carol = orders_support::stepped_up(addr, &login(addr, "carol").await).await;
        let dave = orders_support::stepped_up(addr, &login(addr, "dave").await).await;
        // Each demotes themselves, at the same time.
        let (one, two) = tokio::join!(
            set_roles(addr, &carol, 3, &["customer"]),
            set_roles(addr, &dave, 4, &["customer"]),
        );
        let mut statuses = [one.status, two.status];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 409],
            "{framework:?}: {} {}",
            one.body,
            two.body
        );
        let survivor = login(addr, if one.status == 409 { "carol" } else { "dave" }).await;
        assert_eq!(admins(addr, &survivor).await.len(), 1, "{framework:?}");
    }
}

/// Two instances on one `SQLite` file: each has its own connection, so only the
/// database's transaction keeps the check and the update together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_demotions_on_two_instances_sharing_a_database_leave_one() {
    for round in 0..3 {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let db = std::env::temp_dir().join(format!(
            "orders-input-test-{}-{nanos}-{round}.db",
            std::process::id()
        ));
        let db = db.to_string_lossy().into_owned();
        let shared = [("DATABASE_URL", db.as_str())];
        let one = start(Framework::Axum, config(&shared)).await;
        let two = start(Framework::Actix, config(&shared)).await;
        let carol = orders_support::stepped_up(one, &login(one, "carol").await).await;
        let dave = orders_support::stepped_up(two, &login(two, "dave").await).await;
        // Each demotes themselves, on a different instance, at the same time.
        let (first, second) = tokio::join!(
            set_roles(one, &carol, 3, &["customer"]),
            set_roles(two, &dave, 4, &["customer"]),
        );
        let mut statuses = [first.status, second.status];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 409],
            "round {round}: {} {}",
            first.body,
            second.body
        );
        let survivor = if first.status == 409 {
            login(one, "carol").await
        } else {
            login(two, "dave").await
        };
        assert_eq!(admins(one, &survivor).await.len(), 1, "round {round}");
        tokio::time::sleep(Duration::from_millis(10)).await;
        let _ = std::fs::remove_file(&db);
    }
}
