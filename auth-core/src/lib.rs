//! Authenticated, then authorized: as a compile-time fact.
//!
//! `auth-core` turns the two questions every request must answer into types:
//!
//! - **Who are you?** An [`Authenticated<U>`] proves a credential was verified. It
//!   only comes out of an [`Authenticator`] run by [`authenticate`]; failure is a
//!   401 with an RFC 6750 challenge.
//! - **May you do *this*?** A [`Permit<A, R>`] proves a [`Policy`] allowed action
//!   `A` on this very resource value `R`, for an authenticated principal; failure
//!   is a 403 (or a 404 when the policy hides that the resource exists).
//!
//! Neither can be forged: no public constructors, no `Default`, no `Deserialize`,
//! no conversions. Functions that need a proof take it as a parameter, so the
//! compiler refuses a call path that skipped the check.
//!
//! ```
//! use auth_core::{requires, Action, Authenticated, Decision, Permit, Policy, Resource};
//!
//! #[derive(Action)]
//! pub struct Delete;
//!
//! pub struct User { id: u64 }
//! pub struct Order { id: u64, owner_id: u64 }
//!
//! impl Resource for Order {
//!     const KIND: &'static str = "order";
//!     fn id(&self) -> impl std::fmt::Display + '_ { self.id }
//! }
//!
//! impl Policy<Order, User> for Delete {
//!     fn decide(user: &Authenticated<User>, order: &Order, _: &()) -> Decision {
//!         Decision::allow_if(order.owner_id == user.id, "owner", "not the owner")
//!     }
//! }
//!
//! /// The data layer demands the proof.
//! fn delete_order(permit: &Permit<Delete, Order>) { /* DELETE ... WHERE id = permit.id */ }
//!
//! /// The body runs only for a caller the policy allowed to delete *this* order.
//! #[requires(Delete(order))]
//! async fn delete(user: Authenticated<User>, order: Order) -> &'static str {
//!     delete_order(&order); // `order` is now a `Permit<Delete, Order>`
//!     "deleted"
//! }
//! ```
//!
//! # Layers
//!
//! | layer | type | fails with |
//! |---|---|---|
//! | credential → principal | [`Authenticator`], [`authenticate`] → [`Authenticated<U>`] | 401 `invalid_token` / no `error` when nothing was sent |
//! | principal → may call | gates: `authenticated`, `role`, `scope`, `permission`, `check`, `any`/`all`/`not` ([`gate`]) | 403 (`insufficient_scope` for scopes) |
//! | principal + resource → permit | [`Policy`] / [`AsyncPolicy`] → [`Permit<A, R>`] | 403, or 404 ([`Decision::not_found`]) |
//! | permit → data | your functions take `&Permit<A, R>` | does not compile |
//!
//! [`AuthError::response`] is the one mapping from any failure to a status and a
//! `WWW-Authenticate` challenge. Every decision is an audit event ([`audit`]).
//!
//! # Deny by default
//!
//! [`#[requires]`](requires) and [`#[public]`](public) make a handler function return
//! [`Guarded<R>`]; the secure mount points ([`mount`], and the framework
//! adapters) accept nothing else, so a forgotten check is a compile error.
//! [`inventory::Matrix`] lists every handler with its gates.
//!
//! # Features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `testing` | no | [`Authenticated::for_testing`], a door for tests. Enable it in `[dev-dependencies]` only: Cargo unifies features, so enabling it in `[dependencies]` opens the door in production builds. |
//! | `jwt` | yes | [`jwt::JwtAuthenticator`]: bearer JWT verification on `jsonwebtoken`. Needs a crypto backend: `aws_lc_rs` (default) or `rust_crypto`; without one the build fails with a message naming both. |
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod action;
pub mod audit;
mod authenticated;
mod authenticator;
mod authorize;
mod decision;
mod error;
pub mod gate;
mod guarded;
pub mod inventory;
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub mod jwt;
pub mod mount;
mod permit;
mod policy;
mod resource;
pub mod revocation;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use crate::action::Action;
pub use crate::authenticated::{AuthInfo, Authenticated, Identity, Mechanism, Scopes};
pub use crate::authenticator::{Authenticator, authenticate};
pub use crate::authorize::{Clearance, Gatekeeper, ResourceCheck};
pub use crate::decision::{All, Any, Decision, Outcome};
pub use crate::error::{AuthError, ErrorResponse, TokenError};
pub use crate::guarded::{Guarded, Rejection};
pub use crate::permit::Permit;
pub use crate::policy::{AsyncPolicy, HasPermissions, HasRoles, Policy};
pub use crate::resource::Resource;

/// Guards a function: its body runs only after authentication and every gate.
///
/// See the [crate documentation](crate) and the README for the full grammar.
pub use auth_macros::requires;

/// Marks a handler that deliberately needs no authentication: the one explicit
/// opt-out of deny-by-default.
pub use auth_macros::public;

/// Declares an action type. See [`Action`](trait@Action).
pub use auth_macros::Action;
