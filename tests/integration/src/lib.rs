//! Support for the integration tests: a small HTTP client for real requests over
//! loopback, and a real `redis-server` per test.
//!
//! The integration tests live in their own package, apart from the compile-fail
//! suite in `tests/`: trybuild builds every dependency of the package it runs in,
//! and these tests need many (AWS-LC, `SQLite`, Redis, the example services).

pub mod client;
#[cfg(unix)]
pub mod redis_server;
