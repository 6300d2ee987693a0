//! The handlers under measurement: the same checks written three ways.
//!
//! For each gate set (`authenticated`, a role, `not` of a role, a resource gate,
//! three gates):
//!
//! - `macro_*`: `#[requires(..)]`, what a user writes;
//! - `by_hand_*`: the very auth-core calls the macro writes (`Gatekeeper`, `gate::*`,
//!   `Guarded`), typed by hand, so any difference is the macro's own code;
//! - `plain_*`: no library at all, an `if user.roles.contains(..)` a user might write
//!   instead. It records no audit event and carries no proof.
//!
//! Included with `#[path]` (beside `poll.rs`) by the `guard` and `guard_callgrind`
//! benches and by the `guard_allocations` test, so all three measure the same code.

// Handlers are `async fn`, as axum handlers are, whether or not they await.
#![allow(clippy::unused_async)]

use auth_core::inventory::{HandlerInfo, Registration};
use auth_core::{
    Action, AuthError, Authenticated, Authenticator, Decision, Gatekeeper, Guarded, HasRoles,
    Identity, Mechanism, Policy, Resource, Scopes, gate, requires,
};
use http::StatusCode;

use crate::poll::poll_once;

/// The principal: an id and its roles.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub roles: Vec<&'static str>,
}

impl HasRoles for User {
    fn has_role(&self, role: &str) -> bool {
        self.roles.contains(&role)
    }
}

/// The resource: an order and its owner.
#[derive(Debug, Clone, Copy)]
pub struct Order {
    pub id: u64,
    pub owner_id: u64,
}

impl Resource for Order {
    const KIND: &'static str = "order";

    fn id(&self) -> impl std::fmt::Display + '_ {
        self.id
    }
}

/// Reading an order.
#[derive(Action)]
pub struct Read;

impl Policy<Order> for Read {
    type Principal = User;
    type State = ();

    fn decide(user: &Authenticated<User>, order: &Order, (): &()) -> Decision {
        Decision::allow_if(order.owner_id == user.id, "owner", "not the owner")
    }
}

/// Hands out one fixed principal: the sanctioned way to an `Authenticated` without
/// the `testing` feature.
struct Fixed(User);

impl Authenticator for Fixed {
    type User = User;

    async fn authenticate(&self, _: &http::request::Parts) -> Result<Identity<User>, AuthError> {
        Ok(Identity::new(self.0.clone(), "42", Mechanism::Test)
            .scopes(Scopes::from_space_separated("orders:read orders:write")))
    }
}

/// Customer 42 with scopes `orders:read orders:write`: every gate below allows it.
pub fn principal() -> Authenticated<User> {
    let user = User {
        id: 42,
        roles: vec!["customer", "admin"],
    };
    let (parts, ()) = http::Request::new(()).into_parts();
    match poll_once(auth_core::authenticate(&Fixed(user), &parts)) {
        Ok(principal) => principal,
        Err(error) => panic!("the fixed authenticator refused: {error}"),
    }
}

/// An order of customer 42.
pub fn own_order() -> Order {
    Order {
        id: 7,
        owner_id: 42,
    }
}

// --- authenticated ---------------------------------------------------------

#[requires(authenticated)]
pub async fn macro_authenticated(user: &Authenticated<User>) -> u64 {
    user.id
}

static BY_HAND_AUTHENTICATED: HandlerInfo = HandlerInfo::guarded(
    "by_hand_authenticated",
    module_path!(),
    file!(),
    line!(),
    &["authenticated"],
);
auth_core::inventory::submit!(Registration::new(&BY_HAND_AUTHENTICATED));

pub async fn by_hand_authenticated(
    user: &Authenticated<User>,
) -> Guarded<u64, Authenticated<User>> {
    let mut gatekeeper = Gatekeeper::new(user, &BY_HAND_AUTHENTICATED);
    let decision = gate::authenticated(gatekeeper.principal());
    if let Err(error) = gatekeeper.check(0, decision) {
        return gatekeeper.deny(error);
    }
    let clearance = match gatekeeper.clear() {
        Ok(clearance) => clearance,
        Err(refusal) => return refusal.into(),
    };
    Guarded::new(clearance, user.id)
}

pub async fn plain_authenticated(user: &User) -> Result<u64, StatusCode> {
    Ok(user.id)
}

// --- role("admin") ---------------------------------------------------------

#[requires(role("admin"))]
pub async fn macro_role(user: &Authenticated<User>) -> u64 {
    user.id
}

static BY_HAND_ROLE: HandlerInfo = HandlerInfo::guarded(
    "by_hand_role",
    module_path!(),
    file!(),
    line!(),
    &["role(\"admin\")"],
);
auth_core::inventory::submit!(Registration::new(&BY_HAND_ROLE));

pub async fn by_hand_role(user: &Authenticated<User>) -> Guarded<u64, Authenticated<User>> {
    let mut gatekeeper = Gatekeeper::new(user, &BY_HAND_ROLE);
    let decision = gate::role(gatekeeper.principal(), "admin");
    if let Err(error) = gatekeeper.check(0, decision) {
        return gatekeeper.deny(error);
    }
    let clearance = match gatekeeper.clear() {
        Ok(clearance) => clearance,
        Err(refusal) => return refusal.into(),
    };
    Guarded::new(clearance, user.id)
}

pub async fn plain_role(user: &User) -> Result<u64, StatusCode> {
    if user.roles.contains(&"admin") {
        Ok(user.id)
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

// --- not(role("suspended")) -------------------------------------------------

#[requires(not(role("suspended")))]
pub async fn macro_not_role(user: &Authenticated<User>) -> u64 {
    user.id
}

static BY_HAND_NOT_ROLE: HandlerInfo = HandlerInfo::guarded(
    "by_hand_not_role",
    module_path!(),
    file!(),
    line!(),
    &["not(role(\"suspended\"))"],
);
auth_core::inventory::submit!(Registration::new(&BY_HAND_NOT_ROLE));

pub async fn by_hand_not_role(user: &Authenticated<User>) -> Guarded<u64, Authenticated<User>> {
    let mut gatekeeper = Gatekeeper::new(user, &BY_HAND_NOT_ROLE);
    let decision = Decision::negate(gate::role(gatekeeper.principal(), "suspended"));
    if let Err(error) = gatekeeper.check(0, decision) {
        return gatekeeper.deny(error);
    }
    let clearance = match gatekeeper.clear() {
        Ok(clearance) => clearance,
        Err(refusal) => return refusal.into(),
    };
    Guarded::new(clearance, user.id)
}

pub async fn plain_not_role(user: &User) -> Result<u64, StatusCode> {
    if user.roles.contains(&"suspended") {
        Err(StatusCode::FORBIDDEN)
    } else {
        Ok(user.id)
    }
}

// --- Read(order) -----------------------------------------------------------

#[requires(Read(order))]
pub async fn macro_resource(user: &Authenticated<User>, order: Order) -> u64 {
    let _ = user;
    order.id
}

static BY_HAND_RESOURCE: HandlerInfo = HandlerInfo::guarded(
    "by_hand_resource",
    module_path!(),
    file!(),
    line!(),
    &["Read(order)"],
);
auth_core::inventory::submit!(Registration::new(&BY_HAND_RESOURCE));

pub async fn by_hand_resource(
    user: &Authenticated<User>,
    order: Order,
) -> Guarded<u64, Authenticated<User>> {
    let mut gatekeeper = Gatekeeper::new(user, &BY_HAND_RESOURCE);
    let order = match gatekeeper
        .resource(0, order, &())
        .authorize_async::<Read>()
        .await
    {
        Ok(permit) => permit,
        Err(error) => return gatekeeper.deny(error),
    };
    let clearance = match gatekeeper.clear() {
        Ok(clearance) => clearance,
        Err(refusal) => return refusal.into(),
    };
    Guarded::new(clearance, order.id)
}

pub async fn plain_resource(user: &User, order: Order) -> Result<u64, StatusCode> {
    if order.owner_id == user.id {
        Ok(order.id)
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

// --- role("customer"), scope("orders:read"), Read(order) --------------------

#[requires(role("customer"), scope("orders:read"), Read(order))]
pub async fn macro_three(user: &Authenticated<User>, order: Order) -> u64 {
    let _ = user;
    order.id
}

static BY_HAND_THREE: HandlerInfo = HandlerInfo::guarded(
    "by_hand_three",
    module_path!(),
    file!(),
    line!(),
    &[
        "role(\"customer\")",
        "scope(\"orders:read\")",
        "Read(order)",
    ],
);
auth_core::inventory::submit!(Registration::new(&BY_HAND_THREE));

pub async fn by_hand_three(
    user: &Authenticated<User>,
    order: Order,
) -> Guarded<u64, Authenticated<User>> {
    let mut gatekeeper = Gatekeeper::new(user, &BY_HAND_THREE);
    let decision = gate::role(gatekeeper.principal(), "customer");
    if let Err(error) = gatekeeper.check(0, decision) {
        return gatekeeper.deny(error);
    }
    let decision = gate::scope(gatekeeper.principal(), "orders:read");
    if let Err(error) = gatekeeper.check(1, decision) {
        return gatekeeper.deny(error);
    }
    let order = match gatekeeper
        .resource(2, order, &())
        .authorize_async::<Read>()
        .await
    {
        Ok(permit) => permit,
        Err(error) => return gatekeeper.deny(error),
    };
    let clearance = match gatekeeper.clear() {
        Ok(clearance) => clearance,
        Err(refusal) => return refusal.into(),
    };
    Guarded::new(clearance, order.id)
}

pub async fn plain_three(user: &User, scopes: &str, order: Order) -> Result<u64, StatusCode> {
    if !user.roles.contains(&"customer") {
        return Err(StatusCode::FORBIDDEN);
    }
    if !scopes.split(' ').any(|scope| scope == "orders:read") {
        return Err(StatusCode::FORBIDDEN);
    }
    if order.owner_id != user.id {
        return Err(StatusCode::FORBIDDEN);
    }
    Ok(order.id)
}
