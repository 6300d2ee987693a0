//! G6 and G11, the matrix tells the whole truth: every door shows in it.
//!
//! The attacks: resolve a handler's gates through `crate = fake`, where `fake`
//! re-exports `auth_core` but swaps `gate::role` for one that allows everyone, and
//! hope the matrix still reads `role("admin")` like any other handler; and mint
//! principals with an authenticator of one's own, and hope the audit never sees
//! it. The record must say the gates went through `crate = fake`, and every
//! authenticator put to use must be listed.

use auth_adversarial::{Probe, get, serve_axum};
use auth_core::inventory::{self, Matrix};
use auth_core::{
    AuthError, Authenticated, Authenticator, Identity, Mechanism, SharedAuthenticator, requires,
};
use auth_tests::User;
use http::request::Parts;

/// Re-exports `auth_core`, but its `role` gate lets everyone in.
mod fake {
    pub use auth_core::*;

    pub mod gate {
        #[allow(unused_imports)]
        pub use auth_core::gate::*;

        /// Says yes to every role.
        pub fn role<U>(
            _principal: &auth_core::Authenticated<U>,
            _role: &'static str,
        ) -> auth_core::Decision {
            auth_core::Decision::allow("every role, says fake")
        }
    }
}

#[requires(crate = fake, role("admin"))]
async fn fake_admin(user: Authenticated<User>) -> String {
    format!("admin area for user {}", user.id)
}

#[requires(role("admin"))]
async fn real_admin(user: Authenticated<User>) -> String {
    format!("admin area for user {}", user.id)
}

fn line_of<'a>(matrix: &'a str, handler: &str) -> &'a str {
    let needle = format!("::{handler}` |");
    matrix
        .lines()
        .find(|line| line.contains(&needle))
        .unwrap_or_else(|| panic!("no line for {handler} in\n{matrix}"))
}

#[tokio::test]
async fn a_handler_gated_through_a_permissive_crate_path_says_so_in_the_matrix() {
    use auth_core::axum::{SecureRouter, get as route};
    let app = SecureRouter::new()
        .route("/fake-admin", route(fake_admin))
        .route("/real-admin", route(real_admin))
        .with_state(SharedAuthenticator::new(Probe::new()));
    let addr = serve_axum(app).await;
    // The swap works: a customer passes `role("admin")` resolved through `fake`.
    let fake = get(addr, "/fake-admin", Some("Test 1")).await;
    assert_eq!(
        (fake.status, fake.body.as_str()),
        (200, "admin area for user 1")
    );
    assert_eq!(get(addr, "/real-admin", Some("Test 1")).await.status, 403);

    // So the record says where the gates came from, and the matrix shows it.
    let record = inventory::handlers()
        .into_iter()
        .find(|handler| handler.name() == "fake_admin")
        .expect("fake_admin is registered");
    assert_eq!(record.via_crate(), Some("fake"));
    assert_eq!(record.gates(), [r#"role("admin")"#]);
    let matrix = Matrix::collect().within(module_path!()).to_string();
    assert!(
        line_of(&matrix, "fake_admin")
            .contains(r#"`role("admin")` (gates resolved through `crate = fake`)"#),
        "{matrix}"
    );
    // And only there.
    assert!(
        !line_of(&matrix, "real_admin").contains("resolved through"),
        "{matrix}"
    );
}

/// An authenticator of one's own, wrapped for an adapter: a door.
struct BadgeReader;

impl Authenticator for BadgeReader {
    type User = User;

    async fn authenticate(&self, _request: &Parts) -> Result<Identity<User>, AuthError> {
        Err(AuthError::MissingCredentials)
    }
}

/// Another one, run by hand through `auth_core::authenticate`, never wrapped.
struct KioskKey;

impl Authenticator for KioskKey {
    type User = User;

    async fn authenticate(&self, _request: &Parts) -> Result<Identity<User>, AuthError> {
        let kiosk = User {
            id: 77,
            roles: vec!["admin"],
            permissions: vec![],
        };
        Ok(Identity::new(kiosk, "kiosk", Mechanism::ApiKey))
    }
}

fn listed(name: &str) -> Vec<Option<String>> {
    inventory::authenticators()
        .into_iter()
        .filter(|info| info.type_name().ends_with(name))
        .map(|info| info.realm().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn every_authenticator_put_to_use_is_listed_with_its_realm() {
    assert!(listed("::BadgeReader").is_empty());
    let _badges = SharedAuthenticator::new(BadgeReader).with_realm("badges");
    assert_eq!(
        listed("::BadgeReader"),
        [Some("badges".to_owned())],
        "wrapped, then named: listed once, with its realm"
    );

    assert!(listed("::KioskKey").is_empty(), "not used yet");
    let (head, ()) = http::Request::new(()).into_parts();
    let kiosk = auth_core::authenticate(&KioskKey, &head)
        .await
        .expect("the kiosk vouches for anyone");
    assert_eq!(kiosk.subject(), "kiosk");
    assert_eq!(listed("::KioskKey"), [None]);

    let matrix = Matrix::collect().to_string();
    assert!(
        matrix.contains("| authenticator | realm | credentials |"),
        "{matrix}"
    );
    // Each with the credentials it reads: here the default, a bearer token.
    assert!(
        matrix.contains("matrix_truth::BadgeReader` | badges | bearer token |"),
        "{matrix}"
    );
    assert!(
        matrix.contains("matrix_truth::KioskKey` | - | bearer token |"),
        "{matrix}"
    );
}

#[tokio::test]
async fn an_authenticator_used_by_an_adapter_only_is_listed() {
    // Wrapped in a `SharedAuthenticator` deep inside a router: still a door.
    let app = auth_core::axum::SecureRouter::new()
        .route("/real-admin", auth_core::axum::get(real_admin))
        .with_state(SharedAuthenticator::new(Probe::new()).with_realm("adapter-only"));
    let addr = serve_axum(app).await;
    assert_eq!(get(addr, "/real-admin", Some("Test 3")).await.status, 200);
    assert!(
        listed("::Probe").contains(&Some("adapter-only".to_owned())),
        "{:?}",
        inventory::authenticators()
    );
}

/// A chain lists every credential it accepts, and each member is listed too; a
/// route that refuses a mechanism says so in its gates; one that takes guests, in
/// its access column. Together: which ways in each route accepts.
#[tokio::test]
async fn the_matrix_shows_the_ways_in_of_a_chain_and_of_each_route() {
    struct KeyReader;
    impl Authenticator for KeyReader {
        type User = User;
        async fn authenticate(&self, _: &Parts) -> Result<Identity<User>, AuthError> {
            Err(AuthError::MissingCredentials)
        }
        fn schemes(&self) -> Vec<auth_core::Scheme> {
            vec![auth_core::Scheme::header(http::HeaderName::from_static(
                "x-badge-key",
            ))]
        }
    }
    // Its own types: the inventory is global, and another test checks that
    // `BadgeReader` is listed only once it is used.
    struct CardReader;
    impl Authenticator for CardReader {
        type User = User;
        async fn authenticate(&self, _: &Parts) -> Result<Identity<User>, AuthError> {
            Err(AuthError::MissingCredentials)
        }
    }
    let chain = auth_core::Chain::new(CardReader)
        .or(KeyReader)
        .expect("two schemes");
    let _shared = SharedAuthenticator::new(chain).with_realm("badge-chain");
    let matrix = Matrix::collect().to_string();
    assert!(
        matrix.contains("| badge-chain | bearer token, header `x-badge-key` |"),
        "{matrix}"
    );
    assert!(
        matrix.contains("::KeyReader` | - | header `x-badge-key` |"),
        "{matrix}"
    );
    assert!(
        matrix.contains(r#"| guarded | `not(mechanism("api_key"))` |"#),
        "{matrix}"
    );
    assert!(
        matrix.contains("| guarded, guests too | `authenticated` |"),
        "{matrix}"
    );
}

#[requires(not(mechanism("api_key")))]
async fn no_keys_here(user: Authenticated<User>) {}

#[requires(authenticated, guests = true)]
async fn guests_welcome(user: Authenticated<User>) {}

/// A door that vouches for anyone: the inventory must list it under its own name.
struct Sneaky;

impl Authenticator for Sneaky {
    type User = User;

    async fn authenticate(&self, _request: &Parts) -> Result<Identity<User>, AuthError> {
        let anyone = User {
            id: 1,
            roles: vec!["admin"],
            permissions: vec![],
        };
        Ok(Identity::new(anyone, "anyone", Mechanism::ApiKey))
    }
}

/// The name is the compiler's (`std::any::type_name`), not one the door reports.
#[tokio::test]
async fn an_authenticator_cannot_hide_under_another_name_in_the_matrix() {
    let _sneaky = SharedAuthenticator::new(Sneaky).with_realm("sneaky");
    let (head, ()) = http::Request::new(()).into_parts();
    let anyone = auth_core::authenticate(&Sneaky, &head)
        .await
        .expect("vouches for anyone");
    assert_eq!(anyone.subject(), "anyone");
    assert!(
        !listed("::Sneaky").is_empty(),
        "the door is listed as {:?}",
        inventory::authenticators()
    );
}
