//! Red team (issue 13): attacks on the policy engines' fail-closed claims
//! (`auth_core::{casbin, cedar, spicedb}`). Each test fails if the hole it
//! names is open.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;
use std::time::Duration;

use auth_core::spicedb::{Consistency, SpiceDb, SpiceObject};

struct User;

impl SpiceObject for User {
    const TYPE: &'static str = "user";
    fn object_id(&self) -> Cow<'_, str> {
        Cow::Borrowed("alice")
    }
}

struct Doc;

impl SpiceObject for Doc {
    const TYPE: &'static str = "document";
    fn object_id(&self) -> Cow<'_, str> {
        Cow::Borrowed("1")
    }
}

/// A client whose timeout is "no timeout" (`Duration::MAX`, what one writes
/// for "wait as long as it takes") must not panic on its first call: tonic's
/// `Request::set_timeout` panics ("duration is unrealistically large") for a
/// deadline it cannot write in `grpc-timeout`. The builder refuses it, or the
/// call is unavailable; never a panic in the request's task.
#[tokio::test]
async fn a_timeout_too_large_for_grpc_is_refused_not_a_panic() {
    for timeout in [Duration::MAX, Duration::from_secs(u64::MAX / 2)] {
        let built = SpiceDb::builder("http://127.0.0.1:1", "key")
            .timeout(timeout)
            .retries(0)
            .build();
        let Ok(client) = built else {
            continue; // refused at build: the fix
        };
        let call = tokio::spawn(async move {
            client
                .check(&User, "view", &Doc, Consistency::fully_consistent())
                .await
        });
        let decision = call
            .await
            .unwrap_or_else(|_| panic!("a check with the timeout {timeout:?} panicked"));
        assert!(decision.is_unavailable(), "{decision:?}");
    }
}

/// A zero timeout would make every call a 503: refused at build, with a
/// typed error that says what to write.
#[tokio::test]
async fn a_zero_timeout_is_refused_at_build() {
    let built = SpiceDb::builder("http://127.0.0.1:1", "key")
        .timeout(Duration::ZERO)
        .build();
    let error = built.expect_err("a zero timeout is refused");
    assert!(error.to_string().contains("timeout"), "{error}");
}

/// documents-api's configuration holds SpiceDB's preshared key: its `Debug`
/// (what a `tracing::debug!(?config)` or a panic message prints) must not.
#[test]
fn the_documents_config_debug_does_not_print_the_preshared_key() {
    let config = examples::documents::Config::new("http://127.0.0.1:50051", "sekrit-preshared");
    let printed = format!("{config:?}");
    assert!(!printed.contains("sekrit-preshared"), "{printed}");
    assert!(printed.contains("127.0.0.1:50051"), "{printed}");
}
