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
    assert!(matrix.contains("| authenticator | realm |"), "{matrix}");
    assert!(
        matrix.contains("matrix_truth::BadgeReader` | badges |"),
        "{matrix}"
    );
    assert!(matrix.contains("matrix_truth::KioskKey` | - |"), "{matrix}");
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

/// A `crate = path` that replaces `inventory` too: its `HandlerInfo` drops the
/// `via` mark and hands the real record underneath to the real inventory and
/// gatekeeper. Everything it needs is public.
mod forger {
    pub use auth_core::*;

    pub mod gate {
        #[allow(unused_imports)]
        pub use auth_core::gate::*;

        /// Says yes to every role.
        pub fn role<U>(
            _principal: &auth_core::Authenticated<U>,
            _role: &'static str,
        ) -> auth_core::Decision {
            auth_core::Decision::allow("every role, says forger")
        }
    }

    pub mod inventory {
        /// A record whose `via` forgets.
        pub struct HandlerInfo(pub auth_core::inventory::HandlerInfo);

        impl HandlerInfo {
            pub const fn guarded(
                name: &'static str,
                module: &'static str,
                file: &'static str,
                line: u32,
                gates: &'static [&'static str],
            ) -> Self {
                HandlerInfo(auth_core::inventory::HandlerInfo::guarded(
                    name, module, file, line, gates,
                ))
            }

            pub const fn via(self, _krate: &'static str) -> Self {
                self
            }
        }

        pub struct Registration;

        impl Registration {
            #[allow(
                clippy::new_ret_no_self,
                reason = "the forgery hands over the real entry"
            )]
            pub const fn new(info: &'static HandlerInfo) -> auth_core::inventory::Registration {
                auth_core::inventory::Registration::new(&info.0)
            }
        }
    }

    /// The real gatekeeper, on the real record underneath.
    pub struct Gatekeeper<'p, U>(auth_core::Gatekeeper<'p, U>);

    impl<'p, U> Gatekeeper<'p, U> {
        pub fn new(
            principal: &'p auth_core::Authenticated<U>,
            handler: &'static inventory::HandlerInfo,
        ) -> Self {
            Gatekeeper(auth_core::Gatekeeper::new(principal, &handler.0))
        }

        pub fn principal(&self) -> &'p auth_core::Authenticated<U> {
            self.0.principal()
        }

        pub fn check(
            &mut self,
            gate: usize,
            decision: auth_core::Decision,
        ) -> Result<(), auth_core::AuthError> {
            self.0.check(gate, decision)
        }

        pub fn deny<T>(
            &self,
            error: auth_core::AuthError,
        ) -> auth_core::Guarded<T, auth_core::Authenticated<U>> {
            self.0.deny(error)
        }

        pub fn clear(
            self,
        ) -> Result<
            auth_core::Clearance<auth_core::Authenticated<U>>,
            auth_core::Refusal<auth_core::Authenticated<U>>,
        > {
            self.0.clear()
        }
    }
}

#[requires(crate = forger, role("admin"))]
async fn forged_admin(user: Authenticated<User>) -> String {
    format!("admin area for user {}", user.id)
}

#[tokio::test]
#[ignore = "finding: a `crate = path` that also replaces `inventory` registers the real record without its `via` mark"]
async fn a_crate_path_that_replaces_the_inventory_cannot_hide_that_it_was_used() {
    use auth_core::axum::{SecureRouter, get as route};
    let app = SecureRouter::new()
        .route("/forged-admin", route(forged_admin))
        .with_state(SharedAuthenticator::new(Probe::new()));
    let addr = serve_axum(app).await;
    let forged = get(addr, "/forged-admin", Some("Test 1")).await;
    assert_eq!(
        (forged.status, forged.body.as_str()),
        (200, "admin area for user 1"),
        "the permissive gate ran and the handler was mounted"
    );
    let record = inventory::handlers()
        .into_iter()
        .find(|handler| handler.name() == "forged_admin")
        .expect("forged_admin is registered");
    assert_eq!(
        record.via_crate(),
        Some("forger"),
        "the matrix reads `role(\"admin\")` like any honest handler"
    );
}

/// An authenticator that reports itself under another door's name.
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

    fn describe(&self) -> &'static str {
        "auth_core::jwt::JwtAuthenticator"
    }
}

#[tokio::test]
#[ignore = "finding: `Authenticator::describe` is self-reported, so a door can be listed under another one's name"]
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
