//! `orders-api` against hostile clients, over real TCP on loopback: slow headers,
//! slow bodies, idle keep-alive connections, more connections than the cap, and a
//! login flood.
//!
//! Timeouts are configured in seconds (1 to 3 here) so the tests are quick. No
//! test measures speed: a connection must be closed by the server *within its
//! timeout plus generous slack*, and `/health` must answer meanwhile.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use auth_integration::client as http;
use examples::config::Config;
use examples::service::Service;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod orders_support;
use orders_support::{SLACK, closed_within, config, health_answers, trickle, wrong_login};

/// Added to every configured timeout before a test gives up: a loaded CI
/// machine is slow, and these tests are about *whether* the server closes.
async fn start(config: &Config) -> (SocketAddr, Arc<Service>) {
    let service = Service::start(config).await.expect("the service starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(examples::orders_api::serve(listener, Arc::clone(&service)));
    (addr, service)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_headers_are_cut_off_at_the_header_timeout() {
    // Idle longer than the header timeout: the header timeout must be what acts.
    let config = config(&[
        ("ORDERS_API_HEADER_TIMEOUT", "2"),
        ("ORDERS_API_IDLE_TIMEOUT", "60"),
    ]);
    let (addr, _service) = start(&config).await;
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(b"GET /health HTTP/1.1\r\nhost: test\r\nx-slow: ")
        .await
        .expect("a partial head");
    // A header that never ends, a byte at a time.
    let stop = trickle(writer, b'a');
    health_answers(addr).await;

    let sent = closed_within(
        &mut reader,
        config.connections.header_timeout + SLACK,
        "a trickled head",
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    // Closed, perhaps after a 408: either way the request never got through.
    assert!(
        !sent.contains("200 OK"),
        "the trickled request was answered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_closed() {
    let config = config(&[("ORDERS_API_HEADER_TIMEOUT", "2")]);
    let (addr, _service) = start(&config).await;
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    health_answers(addr).await;
    let sent = closed_within(
        &mut silent,
        config.connections.header_timeout + SLACK,
        "a connection that sent nothing",
    )
    .await;
    assert!(!sent.contains("200 OK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_at_the_idle_timeout() {
    // Header timeout far longer: only the idle timeout can close it in time.
    let config = config(&[
        ("ORDERS_API_HEADER_TIMEOUT", "60"),
        ("ORDERS_API_IDLE_TIMEOUT", "1"),
    ]);
    let (addr, _service) = start(&config).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .expect("a request");
    // The response, kept alive (no `connection: close`): then silence.
    let mut buf = [0_u8; 512];
    let n = tokio::time::timeout(SLACK, stream.read(&mut buf))
        .await
        .expect("a response in time")
        .expect("a response");
    let head = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("connection: close"));
    health_answers(addr).await;
    let after = closed_within(
        &mut stream,
        config.connections.idle_timeout + SLACK,
        "an idle keep-alive connection",
    )
    .await;
    assert_eq!(after, "", "nothing more was sent before closing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_is_refused_408_at_the_body_timeout() {
    // Idle and header timeouts longer than the body's: the body deadline acts,
    // although a byte arrives every 300 ms.
    let config = config(&[
        ("ORDERS_API_HEADER_TIMEOUT", "60"),
        ("ORDERS_API_IDLE_TIMEOUT", "60"),
        ("ORDERS_API_BODY_TIMEOUT", "2"),
    ]);
    let (addr, _service) = start(&config).await;
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(
            b"POST /auth/login HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n\
              content-length: 1000\r\n\r\n{\"email\": \"",
        )
        .await
        .expect("a head and part of a body");
    let stop = trickle(writer, b'a');
    health_answers(addr).await;

    let response = closed_within(
        &mut reader,
        config.connections.body_timeout + SLACK,
        "a trickled body",
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(
        response.contains(r#"{"error":"request_timeout","error_description":"#),
        "{response}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_and_health_answers_once_slow_ones_time_out() {
    let config = config(&[
        ("ORDERS_API_MAX_CONNECTIONS", "4"),
        ("ORDERS_API_HEADER_TIMEOUT", "3"),
        ("ORDERS_API_IDLE_TIMEOUT", "60"),
    ]);
    let (addr, _service) = start(&config).await;
    // More than the cap, sending half a head each and then nothing.
    let mut slow = Vec::new();
    for _ in 0..6 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /health HTTP/1.1\r\nhost: te")
            .await
            .expect("half a head");
        slow.push(stream);
    }
    // At the cap, a new client waits: not answered while the slots are held
    // (they are held for the 3 s header timeout; a second is far inside it).
    let started = Instant::now();
    let waiting = tokio::spawn(http::get(addr, "/health", None));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !waiting.is_finished() || started.elapsed() >= config.connections.header_timeout,
        "a connection beyond the cap was served while the cap was reached"
    );
    // Once the slow ones time out, it is served (within the client's own bound).
    let response = waiting.await.expect("the request task");
    assert_eq!(response.status, 200);
    for (n, stream) in slow.iter_mut().enumerate() {
        closed_within(
            stream,
            2 * config.connections.header_timeout + SLACK,
            &format!("slow connection {n}"),
        )
        .await;
    }
    health_answers(addr).await;
}

// --- logins -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_from_one_client_gets_429_with_retry_after() {
    orders_support::login_flood_from_one_client_gets_429(orders_support::Framework::Axum).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_email_limit_answers_alike_for_known_and_unknown_emails() {
    orders_support::email_limit_answers_alike_for_known_and_unknown_emails(
        orders_support::Framework::Axum,
    )
    .await;
}

/// Structural proof that Argon2 does not run on an async worker: on a runtime
/// with a *single* thread, which serves every connection, the test's own task
/// keeps running while password hashes are in progress. Were a hash computed on
/// that thread, nothing else could run until it ended.
#[tokio::test(flavor = "current_thread")]
async fn password_hashing_leaves_the_async_worker_free() {
    let config = config(&[]);
    let (addr, service) = start(&config).await;
    let slots = service.passwords.available();
    let logins: Vec<_> = (0..6)
        .map(|n| tokio::spawn(wrong_login(addr, format!("flood{n}@example.com"))))
        .collect();
    let (mut ticks_while_hashing, mut health_while_hashing) = (0_usize, 0_usize);
    let deadline = Instant::now() + Duration::from_secs(60);
    while logins.iter().any(|login| !login.is_finished()) {
        assert!(Instant::now() < deadline, "the logins did not finish");
        if service.passwords.available() < slots {
            ticks_while_hashing += 1;
            if health_while_hashing < 3 {
                // A whole request served on this very thread, mid-hash.
                let health = http::get(addr, "/health", None).await;
                assert_eq!(health.status, 200);
                health_while_hashing += 1;
            }
        }
        tokio::task::yield_now().await;
    }
    for login in logins {
        assert_eq!(login.await.expect("the login task").status, 400);
    }
    assert!(
        ticks_while_hashing >= 10,
        "the async thread ran only {ticks_while_hashing} times while hashes ran"
    );
    assert!(health_while_hashing >= 1, "no /health answered mid-hash");
}

/// With `REDIS_URL`, the login limits are counted by every instance together:
/// attempts on one instance are refused on the other. Needs `redis-server`
/// (always in CI).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_the_login_limits_are_shared_by_every_instance() {
    let Some(redis) = auth_integration::redis_server::RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let config = config(&[
        ("REDIS_URL", url.as_str()),
        ("ORDERS_API_LOGIN_LIMIT_EMAIL", "3/60"),
    ]);
    let (first, _one) = start(&config).await;
    let (second, _two) = start(&config).await;
    for addr in [first, second, first] {
        assert_eq!(
            wrong_login(addr, "alice@example.com".to_owned())
                .await
                .status,
            400
        );
    }
    let refused = wrong_login(second, "alice@example.com".to_owned()).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    let retry_after: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(refused.json()["error"], "too_many_requests");
    // A successful login gives its attempt back: bob signs in more often than
    // his limit.
    for _ in 0..5 {
        let bob = http::call(
            second,
            "POST",
            "/auth/login",
            None,
            Some(json!({"email": "bob@example.com", "password": "bob-password"})),
        )
        .await;
        assert_eq!(bob.status, 200, "{}", bob.body);
    }
}
