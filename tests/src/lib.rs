//! Shared fixtures for the workspace's behaviour and compile-fail tests.
//!
//! The principals here come out of a real [`Authenticator`] (the sanctioned path),
//! not out of the `testing` feature, so the compile-fail suite can prove that the
//! test door is closed when the feature is off.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use auth_core::{
    Action, AuthError, Authenticated, Authenticator, Decision, HasPermissions, HasRoles, Identity,
    Mechanism, Policy, Resource, Scopes, TokenError,
};
use http::request::Parts;

pub mod audit;

/// A principal with roles and permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user id; also the subject.
    pub id: u64,
    /// Roles, e.g. `admin`, `customer`.
    pub roles: Vec<&'static str>,
    /// Fine-grained permissions, e.g. `orders.delete`.
    pub permissions: Vec<&'static str>,
}

impl HasRoles for User {
    fn has_role(&self, role: &str) -> bool {
        self.roles.contains(&role)
    }
}

impl HasPermissions for User {
    fn has_permission(&self, permission: &str) -> bool {
        self.permissions.contains(&permission)
    }
}

/// An order owned by a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Order id.
    pub id: u64,
    /// The owning user's id.
    pub owner_id: u64,
}

impl Resource for Order {
    const KIND: &'static str = "order";

    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

/// An invoice: a second resource type, to prove permits do not mix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// Invoice id.
    pub id: u64,
    /// The owning user's id.
    pub owner_id: u64,
}

impl Resource for Invoice {
    const KIND: &'static str = "invoice";

    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

/// Read an order: owner or admin; others get 404 (existence is hidden).
#[derive(Action)]
pub struct Read;

/// Update an order: owner or admin; others 403.
#[derive(Action)]
pub struct Update;

/// Delete an order: owner or admin; others 403.
#[derive(Action)]
pub struct Delete;

/// An action with no policy for anything.
#[derive(Action)]
pub struct Archive;

/// Approve an invoice: a policy that awaits its state.
#[derive(Action)]
pub struct Approve;

fn owner_or_admin(user: &Authenticated<User>, owner_id: u64) -> Option<&'static str> {
    if user.has_role("admin") {
        Some("admin")
    } else if owner_id == user.id {
        Some("owner")
    } else {
        None
    }
}

impl Policy<Order> for Read {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, order: &Order, (): &()) -> Decision {
        match owner_or_admin(user, order.owner_id) {
            Some(rule) => Decision::allow(rule),
            None => Decision::not_found("not the owner of the order"),
        }
    }
}

impl Policy<Order> for Update {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, order: &Order, (): &()) -> Decision {
        match owner_or_admin(user, order.owner_id) {
            Some(rule) => Decision::allow(rule),
            None => Decision::deny("not the owner of the order"),
        }
    }
}

impl Policy<Order> for Delete {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, order: &Order, (): &()) -> Decision {
        match owner_or_admin(user, order.owner_id) {
            Some(rule) => Decision::allow(rule),
            None => Decision::deny("not the owner of the order"),
        }
    }
}

impl Policy<Invoice> for Read {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, invoice: &Invoice, (): &()) -> Decision {
        Decision::allow_if(invoice.owner_id == user.id, "owner", "not the owner")
    }
}

/// Runtime state for policies: approval limits, consulted asynchronously.
#[derive(Debug, Default)]
pub struct Limits {
    /// Ids of users allowed to approve invoices.
    pub approvers: Mutex<Vec<u64>>,
    /// How many times the store was consulted.
    pub lookups: AtomicUsize,
}

impl Limits {
    /// Whether `user` may approve.
    pub async fn may_approve(&self, user: u64) -> bool {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        self.approvers
            .lock()
            .is_ok_and(|approvers| approvers.contains(&user))
    }
}

impl auth_core::AsyncPolicy<Invoice> for Approve {
    type Principal = User;
    type State = Limits;

    async fn decide(user: &Authenticated<User>, _invoice: &Invoice, limits: &Limits) -> Decision {
        Decision::allow_if(
            limits.may_approve(user.id).await,
            "approver",
            "not an approver",
        )
    }
}

/// A predicate for `check(..)`: the user id is even. Deterministic and silly, on purpose.
pub fn even_id(user: &Authenticated<User>) -> Decision {
    Decision::allow_if(user.id.is_multiple_of(2), "even id", "odd id")
}

/// A predicate that reads state: the user is an approver.
pub async fn is_approver(user: &Authenticated<User>, limits: &Limits) -> Decision {
    Decision::allow_if(
        limits.may_approve(user.id).await,
        "approver",
        "not an approver",
    )
}

/// The users [`TestAuthenticator`] knows.
pub fn directory() -> Vec<User> {
    vec![
        User {
            id: 1,
            roles: vec!["customer"],
            permissions: vec![],
        },
        User {
            id: 2,
            roles: vec!["customer"],
            permissions: vec!["orders.refund"],
        },
        User {
            id: 3,
            roles: vec!["admin"],
            permissions: vec!["orders.delete"],
        },
    ]
}

/// A real authenticator for tests: `Authorization: Test <id> [scope ...]`.
///
/// It verifies nothing cryptographic, but it goes through the sanctioned
/// [`Authenticator`] path like any production authenticator.
#[derive(Debug, Clone)]
pub struct TestAuthenticator {
    users: Arc<Vec<User>>,
}

impl Default for TestAuthenticator {
    fn default() -> Self {
        TestAuthenticator {
            users: Arc::new(directory()),
        }
    }
}

impl Authenticator for TestAuthenticator {
    type User = User;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<User>, AuthError> {
        let mut values = request.headers.get_all(http::header::AUTHORIZATION).iter();
        let Some(value) = values.next() else {
            return Err(AuthError::MissingCredentials);
        };
        if values.next().is_some() {
            return Err(AuthError::invalid_request("more than one credential"));
        }
        let value = value
            .to_str()
            .map_err(|_| AuthError::InvalidToken(TokenError::Malformed))?;
        let mut words = value.split(' ');
        if words.next() != Some("Test") {
            return Err(TokenError::Malformed.into());
        }
        let id: u64 = words
            .next()
            .and_then(|id| id.parse().ok())
            .ok_or(TokenError::Malformed)?;
        let user = self
            .users
            .iter()
            .find(|u| u.id == id)
            .cloned()
            .ok_or(TokenError::UnknownSubject)?;
        let scopes: Scopes = words.collect();
        Ok(Identity::new(user, id.to_string(), Mechanism::Test).scopes(scopes))
    }
}

/// A request head with `Authorization: Test <id> <scopes>`.
pub fn request_as(id: u64, scopes: &str) -> Parts {
    let value = if scopes.is_empty() {
        format!("Test {id}")
    } else {
        format!("Test {id} {scopes}")
    };
    let (parts, ()) = http::Request::builder()
        .header(http::header::AUTHORIZATION, value)
        .body(())
        .unwrap_or_default()
        .into_parts();
    parts
}

/// A request head with no credentials.
pub fn anonymous_request() -> Parts {
    http::Request::new(()).into_parts().0
}

/// Runs a future to completion on a fresh current-thread runtime.
///
/// # Panics
/// If the runtime cannot be built (tests only).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    #[allow(clippy::expect_used)]
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// Signs in user `id` with `scopes` through [`TestAuthenticator`].
///
/// # Panics
/// If the user does not exist (tests only).
pub fn sign_in(id: u64, scopes: &str) -> Authenticated<User> {
    #[allow(clippy::expect_used)]
    block_on(auth_core::authenticate(
        &TestAuthenticator::default(),
        &request_as(id, scopes),
    ))
    .expect("a known test user")
}

/// Counts how often a handler body ran: the side effect that must not happen on
/// a denial.
#[derive(Debug, Default)]
pub struct Counter(AtomicUsize);

impl Counter {
    /// A fresh counter at zero.
    pub const fn new() -> Self {
        Counter(AtomicUsize::new(0))
    }

    /// Records one run.
    pub fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    /// How many runs.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}
