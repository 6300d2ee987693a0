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
//! | `jwt` | yes | `auth_core::jwt`: bearer JWT verification and issuance on `jsonwebtoken` |
//! | `aws_lc_rs` / `rust_crypto` | `aws_lc_rs` | `jsonwebtoken`'s crypto backend; `jwt` needs one (a build without one stops with a `compile_error!`) |
//! | `jwks` | no | remote JWK Sets over HTTPS, cached and refreshed |
//! | `redis` | no | Redis revocation and refresh-token stores, shared by every instance |
//! | `axum` | no | `auth_core::axum`: extractor, responses, `SecureRouter` |
//! | `actix-web` | no | `auth_core::actix`: extractor, responses, `SecureScope` |
//! | `testing` | no | [`Authenticated::for_testing`], a door for tests. Enable it in `[dev-dependencies]` only: Cargo unifies features, so enabling it in `[dependencies]` opens the door in production builds. |
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod action;
#[cfg(feature = "actix-web")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix-web")))]
pub mod actix;
pub mod audit;
mod authenticated;
mod authenticator;
mod authorize;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
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

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[path = "fuzz.rs"]
pub mod __fuzz;

pub use crate::action::Action;
pub use crate::authenticated::{AuthInfo, Authenticated, Identity, Mechanism, Scopes};
pub use crate::authenticator::{Authenticator, SharedAuthenticator, authenticate};
pub use crate::authorize::{Clearance, Gatekeeper, ResourceCheck};
pub use crate::decision::{All, Any, Decision, Outcome};
pub use crate::error::{AuthError, ErrorResponse, TokenError};
pub use crate::guarded::{Guarded, Rejection};
pub use crate::permit::Permit;
pub use crate::policy::{AsyncPolicy, HasPermissions, HasRoles, Policy};
pub use crate::resource::Resource;

/// Guards a function: its body runs only after authentication and every gate.
///
/// ```
/// use auth_core::{requires, Authenticated, Permit};
/// # use auth_core::{Action, Decision, HasRoles, Policy, Resource};
/// # #[derive(Action)] pub struct Update;
/// # pub struct User; pub struct Order; pub struct Db;
/// # impl HasRoles for User { fn has_role(&self, _: &str) -> bool { true } }
/// # impl Resource for Order { const KIND: &'static str = "order"; fn id(&self) -> impl std::fmt::Display + '_ { 1 } }
/// # impl Policy<Order, User, Db> for Update { fn decide(_: &Authenticated<User>, _: &Order, _: &Db) -> Decision { Decision::allow("x") } }
/// # fn save(_: &Permit<Update, Order>, _: &Db) {}
///
/// #[requires(role("customer"), scope("orders:write"), Update(order), state = db)]
/// async fn update_order(user: Authenticated<User>, db: Db, order: Order) -> &'static str {
///     save(&order, &db); // `order` is a `Permit<Update, Order>` here
///     "updated"
/// }
/// ```
///
/// # Gates
///
/// Several gates in one attribute are all required, checked in the order written;
/// the first denial answers.
///
/// | gate | allows when | denial |
/// |---|---|---|
/// | `authenticated` | always (the `Authenticated` parameter is the check) | — |
/// | `role("admin")` | the principal [`HasRoles`] `admin` | 403 |
/// | `scope("orders:write")` | the credential grants the scope | 403 `insufficient_scope`, `scope="orders:write"` |
/// | `permission("orders.delete")` | the principal [`HasPermissions`] it | 403 |
/// | `check(path::to::predicate)` | `predicate(&user)` (or `predicate(&user, &state)` with `state = ..`) returns an allowing [`Decision`]; it may be `async` in an `async fn` | its decision |
/// | `any(g, ..)` | some gate allows (the first allow decides) | the strongest denial; missing scopes are merged |
/// | `all(g, ..)` | every gate allows | the first denial |
/// | `not(g)` | the gate denies | 403 |
/// | `Action(param)` | [`Policy<R, U, S>`](Policy) for `Action` allows on the value of `param` | 403, or 404 when the policy hides the resource |
///
/// After `Action(param)` the body sees `param` as a [`Permit<Action, R>`](Permit)
/// holding the checked value. Resource gates stand at the top level only: an
/// alternative such as an admin override belongs inside the policy, so a permit
/// always comes from its own policy. `any()` and `all()` of nothing, an unknown
/// or duplicated gate, and a resource gate naming no parameter are compile
/// errors that say what to write.
///
/// # Options
///
/// - `state = expr`: what resource policies (`S`) and `check` predicates read.
///   `expr` is usually a parameter (`state = db`) or a field (`state =
///   self.limits`); the policy reads `&T` whether `expr` is a `T` or a `&T`.
///   Without it, policies are asked for `S = ()`.
/// - `crate = path`: where `auth_core` is, for crates that re-export it.
///
/// # What it does to the function
///
/// The function must take one `Authenticated<_>` (or `&Authenticated<_>`)
/// parameter, by any name; that is who the gates check.
///
/// - **A function without `self`** (a handler) returns [`Guarded<R>`] where it
///   declared `R`: the denial travels in the output, and the secure mount points
///   ([`mount`], the framework adapters) accept only `Guarded` outputs. `R` may be
///   anything: `impl Trait`, `Result<T, E>` (no bound on `E`), `()`. The body moves
///   into a closure (or an `async move` block), so its own `return` and `?` keep
///   their meaning.
/// - **A method** (`&self`, `&mut self`, `self`) keeps its signature, because
///   trait impls must: it returns the denial as `Err(E::from(AuthError))`, so it
///   must return `Result<T, E>` with `E: From<AuthError>` (or `Guarded<T>`). This
///   covers trait impls, native `async fn` in traits, and `#[async_trait]` impls.
///
/// `sync` and `async fn`, generics and where-clauses are supported. `const fn`,
/// `extern` functions and trait declarations without a body are errors.
///
/// # Other attributes
///
/// Attributes apply top-down, so an attribute *above* `#[requires]` sees the
/// function as you wrote it, and one *below* sees the guarded one:
/// `#[tracing::instrument(err)]` reads the declared `Result`, so put it above;
/// `#[axum::debug_handler]` and `#[utoipa::path(..)]` work in either place.
///
/// # Expansion
///
/// The generated code calls only public, safe API of this crate ([`Gatekeeper`],
/// [`Guarded`], [`gate`]); `tests/expand/*.expanded.rs` in the repository shows
/// it for three representative functions.
pub use auth_macros::requires;

/// Marks a handler that deliberately needs no authentication: the one explicit
/// opt-out of deny-by-default.
///
/// Like [`requires`], it makes a function without `self` return [`Guarded<R>`],
/// so the handler can be mounted on a secure mount point, and it records the
/// handler in the [`inventory`] as public, so the authorization matrix shows it.
/// A `#[public]` handler cannot take an `Authenticated<_>` (that would be
/// `#[requires(authenticated)]` in disguise); it may take
/// `Option<Authenticated<_>>` for optional sign-in.
///
/// ```
/// use auth_core::public;
///
/// #[public]
/// async fn health() -> &'static str {
///     "ok"
/// }
/// ```
pub use auth_macros::public;

/// Declares an action type. See [`Action`](trait@Action).
pub use auth_macros::Action;

/// The README's code, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
