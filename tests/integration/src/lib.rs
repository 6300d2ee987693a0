//! Support for the integration tests: a small HTTP client for real requests over
//! loopback, a real `redis-server` per test, and the Python modules the interop
//! tests run.
//!
//! The integration tests live in their own package, apart from the compile-fail
//! suite in `tests/`: trybuild builds every dependency of the package it runs in,
//! and these tests need many (AWS-LC, `SQLite`, Redis, the example services).

pub mod client;
pub mod python;
#[cfg(unix)]
pub mod redis_server;
pub mod spicedb_server;
