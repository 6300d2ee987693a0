//! The incident behind the connection limits, replayed on the real binary: with
//! few file descriptors (`ulimit -n 64`), many silent connections make `accept`
//! fail with `EMFILE`. The server must log it, pause (not spin), keep running, and
//! answer `/health` once the silent connections have timed out.
#![cfg(unix)]
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HEADER_TIMEOUT: u64 = 2;

fn health(port: u16, within: Duration) -> Option<String> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    stream.set_read_timeout(Some(within)).ok()?;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n")
        .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

#[test]
fn accept_survives_running_out_of_file_descriptors() {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new("sh")
        .args(["-c", "ulimit -n 64 && exec \"$0\""])
        .arg(env!("CARGO_BIN_EXE_orders-api"))
        .env(
            "ORDERS_API_JWT_SECRET",
            "file descriptor test secret, 32+ bytes",
        )
        .env("ORDERS_API_ADDR", format!("127.0.0.1:{port}"))
        .env("ORDERS_API_HEADER_TIMEOUT", HEADER_TIMEOUT.to_string())
        .env("RUST_LOG", "error")
        .env_remove("REDIS_URL")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");

    let started = Instant::now();
    while health(port, Duration::from_secs(5)).is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "orders-api did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // Twice as many silent connections as there are descriptors.
    let silent: Vec<TcpStream> = (0..128)
        .filter_map(|_| TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok())
        .collect();
    assert!(
        silent.len() > 64,
        "only {} connections opened",
        silent.len()
    );

    // Served once the silent connections time out, in waves of ~50.
    let answer = health(port, Duration::from_secs(4 * HEADER_TIMEOUT + 20))
        .expect("/health answers after the silent connections time out");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        child.try_wait().expect("the child's status").is_none(),
        "the server exited"
    );
    drop(silent);

    let _ = child.kill();
    let output = child.wait_with_output().expect("the child's output");
    let log = String::from_utf8_lossy(&output.stdout);
    let failures = log.matches("accept failed").count();
    assert!(failures >= 1, "EMFILE was never hit:\n{log}");
    // A pause of up to a second after each failure: a spinning loop would log
    // thousands of lines in these seconds.
    assert!(
        failures < 200,
        "{failures} accept failures logged: spinning?"
    );
}
