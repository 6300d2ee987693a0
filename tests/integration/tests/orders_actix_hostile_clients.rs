//! `orders-actix` against hostile clients, over real TCP on loopback: the same
//! slow headers, slow bodies, connection cap and login flood as
//! `orders_api_hostile_clients.rs`, against actix-web's own settings
//! (`client_request_timeout`, `max_connections`, no keep-alive) and the
//! body-deadline middleware.
//!
//! No test measures speed: a connection must be closed by the server *within its
//! timeout plus generous slack*, and `/health` must answer meanwhile.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use auth_integration::client as http;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod orders_support;
use orders_support::{SLACK, closed_within, config, health_answers, start_actix as start, trickle};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_headers_are_cut_off_at_the_header_timeout() {
    // Idle longer than the header timeout: the header timeout must be what acts.
    let config = config(&[
        ("ORDERS_API_HEADER_TIMEOUT", "2"),
        ("ORDERS_API_IDLE_TIMEOUT", "60"),
    ]);
    let addr = start(&config).await;
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
    let addr = start(&config).await;
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

/// actix-web times out only a connection's first request head, so a second head
/// trickled on a kept-alive connection was never cut off (black-box finding B1,
/// `blackbox_findings.rs`): `orders-actix` keeps no connection alive. Its answer
/// says `connection: close`, and the connection is closed at once, even with long
/// timeouts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connection_is_closed_after_its_response() {
    let config = config(&[
        ("ORDERS_API_HEADER_TIMEOUT", "60"),
        ("ORDERS_API_IDLE_TIMEOUT", "60"),
    ]);
    let addr = start(&config).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .expect("a request");
    let mut buf = [0_u8; 512];
    let n = tokio::time::timeout(SLACK, stream.read(&mut buf))
        .await
        .expect("a response in time")
        .expect("a response");
    let head = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    let after = closed_within(&mut stream, SLACK, "a connection after its response").await;
    assert!(
        !after.contains("HTTP/1.1"),
        "nothing more was answered: {after}"
    );
    health_answers(addr).await;
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
    let addr = start(&config).await;
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
    let addr = start(&config).await;
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
    orders_support::login_flood_from_one_client_gets_429(orders_support::Framework::Actix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_email_limit_answers_alike_for_known_and_unknown_emails() {
    orders_support::email_limit_answers_alike_for_known_and_unknown_emails(
        orders_support::Framework::Actix,
    )
    .await;
}
