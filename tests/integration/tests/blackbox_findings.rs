//! Findings of the black-box test of the service after issue 14, one regression
//! test each. Every test here failed against the service as it was when the
//! finding was reported, and passes since its fix:
//!
//! - B1: on actix, a keep-alive connection whose *second* request head is
//!   trickled is never cut off (the header timeout only guards the first head):
//!   512 such connections keep `/health` from answering for as long as they last.
//!   Fixed: `orders-actix` keeps no connection alive.
//! - B2: a store outage on `/me` (revocation check) or `POST /auth/login` (login
//!   throttle) is a 503 without `Retry-After`, unlike `/auth/refresh`. Fixed: the
//!   JWT authenticator's store failures say `Retry-After: 1`, and so does every
//!   503 of the service.
//! - B3: an empty `REDIS_URL` or `DATABASE_URL` is taken as unset (in memory),
//!   while every other variable refuses an empty value with exit code 2. Fixed,
//!   and a value that is not UTF-8 is refused too (`examples/tests/exit_codes.rs`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use auth_integration::client as http;
use examples::config::Config;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod orders_support;
use orders_support::{SECRET, config, start_actix, start_axum};

const SLACK: Duration = Duration::from_secs(5);

// --- B1: a trickled second head on a keep-alive connection ---------------------------

/// Sends one whole request, reads its whole answer (`/health`: "ok"), then starts
/// the next head and trickles it a byte every 300 ms. Returns whether the server
/// closed the connection within `within`.
async fn trickled_second_head_is_closed(addr: SocketAddr, within: Duration) -> bool {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(b"GET /health HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .expect("a first request");
    let mut first = Vec::new();
    let mut buf = [0_u8; 1024];
    while !first.ends_with(b"\r\n\r\nok") {
        let n = tokio::time::timeout(Duration::from_secs(10), reader.read(&mut buf))
            .await
            .expect("the first answer in time")
            .expect("read");
        assert!(n > 0, "closed before the first answer");
        first.extend_from_slice(&buf[..n]);
    }
    writer
        .write_all(b"GET /health HTTP/1.1\r\nhost: test\r\nx-slow: ")
        .await
        .expect("a partial second head");
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    tokio::spawn(async move {
        while !stopped.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if writer.write_all(b"a").await.is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let closed = loop {
        let left = within.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, reader.read(&mut buf)).await {
            Err(_) => break false,
            Ok(Ok(0) | Err(_)) => break true,
            Ok(Ok(_)) => {} // a 408, then the close
        }
    };
    stop.store(true, Ordering::Relaxed);
    closed
}

fn short_timeouts() -> Config {
    config(&[
        ("ORDERS_API_HEADER_TIMEOUT", "2"),
        ("ORDERS_API_IDLE_TIMEOUT", "2"),
    ])
}

/// The control: axum cuts the trickled second head off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_cuts_off_a_trickled_second_head() {
    let config = short_timeouts();
    let addr = start_axum(&config).await;
    assert!(
        trickled_second_head_is_closed(addr, config.connections.header_timeout + SLACK).await,
        "axum: a trickled second head kept its connection open"
    );
}

/// B1 (fails): actix keeps the connection open as long as the bytes come.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_cuts_off_a_trickled_second_head() {
    let config = short_timeouts();
    let addr = start_actix(&config).await;
    assert!(
        trickled_second_head_is_closed(addr, config.connections.header_timeout + SLACK).await,
        "actix: a keep-alive connection whose second head is trickled is still open \
         after the header timeout (2 s) + 5 s: ORDERS_API_HEADER_TIMEOUT does not \
         apply to a connection's later requests"
    );
}

// --- B2: 503 without Retry-After on a store outage ---------------------------------

/// B2 (fails): while Redis hangs, `/me` and `POST /auth/login` are 503 without
/// `Retry-After` (README: "a store outage is 503 with `Retry-After`";
/// `/auth/refresh` has it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_outage_503s_carry_retry_after() {
    let Some(redis) = auth_integration::redis_server::RedisServer::start() else {
        return;
    };
    let addr = start_axum(&config(&[("REDIS_URL", redis.url().as_str())])).await;
    let login = || {
        http::call(
            addr,
            "POST",
            "/auth/login",
            None,
            Some(json!({"email": "alice@example.com", "password": "alice-password"})),
        )
    };
    let session = login().await;
    assert_eq!(session.status, 200, "{}", session.body);
    let access = session.json()["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();
    let refresh = session.json()["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();

    redis.signal("STOP");
    let me = http::get(addr, "/me", Some(&access)).await;
    let again = login().await;
    let refreshed = http::call(
        addr,
        "POST",
        "/auth/refresh",
        None,
        Some(json!({ "refresh_token": refresh })),
    )
    .await;
    redis.signal("CONT");

    let mut missing = Vec::new();
    for (what, response) in [
        ("GET /me", &me),
        ("POST /auth/login", &again),
        ("POST /auth/refresh", &refreshed),
    ] {
        assert_eq!(response.status, 503, "{what}: {}", response.body);
        if response.header("retry-after").is_none() {
            missing.push(what);
        }
    }
    assert!(
        missing.is_empty(),
        "503 without Retry-After during a store outage: {missing:?}"
    );
}

// --- B3: empty store URLs ----------------------------------------------------------

/// B3 (fails): `REDIS_URL=` (empty, as `REDIS_URL=${REDIS_URL}` gives when the
/// deployment forgot it) silently runs each instance on its own in-memory
/// revocation and refresh stores; `DATABASE_URL=` silently runs in memory. An
/// empty `ORDERS_API_ADDR`, `ORDERS_API_ACCESS_TTL` or login limit is refused.
#[test]
fn empty_store_urls_are_refused_like_every_other_empty_value() {
    let lookup = |name: &'static str| {
        move |var: &str| match var {
            "ORDERS_API_JWT_SECRET" => Some(SECRET.to_owned()),
            _ if var == name => Some(String::new()),
            _ => None,
        }
    };
    // The contrast: an empty address is refused, naming it.
    let refused = Config::from_lookup(lookup("ORDERS_API_ADDR")).expect_err("empty address");
    assert_eq!(refused.variable, "ORDERS_API_ADDR");
    for name in ["REDIS_URL", "DATABASE_URL"] {
        match Config::from_lookup(lookup(name)) {
            Err(error) => assert_eq!(error.variable, name),
            Ok(_) => panic!("{name}=\"\" was accepted as if unset (in memory)"),
        }
    }
}
