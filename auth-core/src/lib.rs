//! Authenticated, then authorized: as a compile-time fact.
//!
//! `auth-core` turns the two questions every request must answer into types:
//!
//! - **Who are you?** An [`Authenticated<U>`] proves a credential was verified. It
//!   only comes out of an [`Authenticator`] run by [`authenticate`]; failure is a
//!   401 with an RFC 6750 challenge.
//! - **May you do *this*?** A [`Permit<'p, A, R>`](Permit) proves *the* [`Policy`]
//!   of action `A` on `R` allowed this very resource value, for the authenticated
//!   principal it borrows; failure is a 403 (or a 404 when the policy hides that
//!   the resource exists).
//!
//! Neither can be forged: no public constructors, no `Default`, no `Deserialize`,
//! no conversions. There is one policy per (action, resource), written where one of
//! them is defined, so no other crate can add a rule that mints your permits, and a
//! permit cannot outlive the principal it was minted for. Functions that need a
//! proof take it as a parameter, so the compiler refuses a call path that skipped
//! the check. `SECURITY.md` states what is guaranteed, under which assumptions,
//! and the known limits.
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
//! impl Policy<Order> for Delete {
//!     type Principal = User;
//!     type State = ();
//!
//!     fn decide(user: &Authenticated<User>, order: &Order, _: &()) -> Decision {
//!         Decision::allow_if(order.owner_id == user.id, "owner", "not the owner")
//!     }
//! }
//!
//! /// The data layer demands the proof.
//! fn delete_order(permit: &Permit<'_, Delete, Order>) { /* DELETE ... WHERE id = permit.id */ }
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
//! | credential → principal | [`Authenticator`], [`authenticate`] → [`Authenticated<U>`]; several at once through a [`Chain`] | 401 `invalid_token` / no `error` when nothing was sent, one challenge per [`Scheme`]; 400 for two credentials |
//! | principal → may call | gates: `authenticated`, `role`, `scope`, `permission`, `mechanism`, `check`, `any`/`all`/`not` ([`gate`]); guests refused unless `guests = true` | 403 (`insufficient_scope` for scopes) |
//! | principal → authenticated strongly or recently enough | step-up gates `mfa`, `amr`, `acr`, `fresh(max_age = ..)` ([`gate`]) | 401 `insufficient_user_authentication` (RFC 9470) |
//! | principal's plan → may call, within its quota | [`limit`]: `check(limit::within_plan)`, GCRA in memory or Redis | 403 for a plan without access; 429 with `Retry-After` and rate-limit headers |
//! | key → resource | one [`Load`] per resource type, run by the library after the function-level gates ([`load`]) | 404 when absent, 503 when the loader fails |
//! | principal + resource → permit | [`Policy`] / [`AsyncPolicy`] → [`Permit<'p, A, R>`](Permit) | 403, or 404 ([`Decision::not_found`]) |
//! | any of the above cannot decide | [`Decision::unavailable`], a store error | 503, never an allow |
//! | permit → data | your functions take `&Permit<A, R>` | does not compile |
//!
//! [`AuthError::response`] is the one mapping from any failure to a status and a
//! `WWW-Authenticate` challenge. Every decision is an audit event ([`audit`]).
//!
//! # Deny by default
//!
//! [`#[requires]`](requires) and [`#[public]`](public) make a handler function return
//! [`Guarded<R, C>`](Guarded); the secure mount points ([`mount`], and the framework
//! adapters) accept nothing else, so a forgotten check is a compile error. A
//! `Guarded` with a value needs a [`Clearance`], given only for a handler record
//! registered in the [`inventory`] after every gate allowed (or for a registered
//! `#[public]` opt-out), so [`inventory::Matrix`] lists every door: each handler
//! with its gates, and the authenticators in use. The mount points authenticate
//! the caller before any of the handler's extractors run: 401 always comes first.
//!
//! # Features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `jwt` | yes | `auth_core::jwt`: bearer JWT verification and issuance on `jsonwebtoken` |
//! | `aws_lc_rs` / `rust_crypto` | `aws_lc_rs` | `jsonwebtoken`'s crypto backend; `jwt` needs one (a build without one stops with a `compile_error!`) |
//! | `jwks` | no | remote JWK Sets over HTTPS, cached and refreshed |
//! | `session` | no | `auth_core::session`: server-side sessions in a `__Host-` cookie (CSRF tokens, rotation, idle and absolute timeouts), in memory or, with `redis`, in Redis |
//! | `api-key` | no | `auth_core::api_key`: API keys in the `X-API-Key` header, created with least privilege, stored hashed, revocable |
//! | `totp` | no | `auth_core::mfa`: a TOTP second factor (RFC 6238) for step-up: enrolment, replay refusal, attempt limits; in Redis too with `redis` |
//! | `redis` | no | Redis revocation and refresh-token stores and the rate-limit store, shared by every instance (and the session, API key and TOTP stores, with their features) |
//! | `axum` | no | `auth_core::axum`: extractor, responses, `SecureRouter`, the coverage middleware (`auth_core::coverage`) |
//! | `actix-web` | no | `auth_core::actix`: extractor, responses, `SecureScope`, the coverage middleware (`auth_core::coverage`) |
//! | `tower` | no | `auth_core::tower`: `AuthLayer`, authentication for any tower stack (hyper, tonic, axum), the outcome recorded in the request |
//! | `tonic` | no | `auth_core::tonic`: gRPC status mapping, `#[service]` for guarded tonic methods, `SecureServer` (enables `tower`) |
//! | `rbac` | no | `auth_core::rbac`: roles, permissions and inheritance from a TOML file validated at start (`rbac::RoleTable`), typed role names generated at build time, the matrix per role |
//! | `casbin` | no | `auth_core::casbin`: a Casbin model and policy (files or any casbin adapter) behind `Policy`, with the matched rule as evidence, lists as filters, reloads without a lock on the hot path |
//! | `utoipa` | no | `auth_core::openapi`: the OpenAPI document's security schemes, per-operation security requirements and error responses, written from the gates of a `SecureRouter` (utoipa 6), and a check that a served document matches them |
//! | `cedar` | no | `auth_core::cedar`: Cedar policies and a schema from files, validated at start, deciding the domain's policies (allow, deny, unavailable, with the determining policy ids) and answering lists as filters (type-aware partial evaluation) |
//! | `spicedb` | no | `auth_core::spicedb`: SpiceDB (relationships, Zanzibar-style) behind a policy: a gRPC client (checks, `LookupResources` pages, writes returning ZedTokens) that fails closed |
//! | `testing` | no | [`Authenticated::for_testing`], a door for tests, and `auth_core::testing` (a table-driven policy harness, an access matrix kept as a snapshot). Enable it in `[dev-dependencies]` only: Cargo unifies features, so enabling it in `[dependencies]` opens the door in production builds. |
//! | `fuzzing` | no | internal parsers exposed, unstable and hidden, for the harnesses in `fuzz/`. Not a door (nothing in it makes a principal or a permit), but not an API either: never enable it outside `fuzz/`. |
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "actix-web")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix-web")))]
pub mod actix;
pub mod audit;
mod authn;
mod authz;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
#[cfg(feature = "casbin")]
#[cfg_attr(docsrs, doc(cfg(feature = "casbin")))]
#[path = "engine/casbin/mod.rs"]
pub mod casbin;
#[cfg(feature = "cedar")]
#[cfg_attr(docsrs, doc(cfg(feature = "cedar")))]
#[path = "engine/cedar/mod.rs"]
pub mod cedar;
#[cfg(any(feature = "axum", feature = "actix-web"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "axum", feature = "actix-web"))))]
pub mod coverage;
pub mod engine;
mod error;
pub mod inventory;
pub mod mount;
#[cfg(feature = "utoipa")]
#[cfg_attr(docsrs, doc(cfg(feature = "utoipa")))]
pub mod openapi;
pub mod revocation;
#[cfg(feature = "spicedb")]
#[cfg_attr(docsrs, doc(cfg(feature = "spicedb")))]
#[path = "engine/spicedb/mod.rs"]
pub mod spicedb;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
pub mod tonic;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;

#[cfg(any(feature = "rbac", feature = "utoipa"))]
mod gate_text;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[path = "fuzz.rs"]
pub mod __fuzz;

#[cfg(feature = "api-key")]
#[cfg_attr(docsrs, doc(cfg(feature = "api-key")))]
#[doc(inline)]
pub use crate::authn::api_key;
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
#[doc(inline)]
pub use crate::authn::jwt;
#[cfg(feature = "totp")]
#[cfg_attr(docsrs, doc(cfg(feature = "totp")))]
#[doc(inline)]
pub use crate::authn::mfa;
#[cfg(feature = "session")]
#[cfg_attr(docsrs, doc(cfg(feature = "session")))]
#[doc(inline)]
pub use crate::authn::session;
#[doc(inline)]
pub use crate::authz::context;
#[doc(inline)]
pub use crate::authz::filter;
#[doc(inline)]
pub use crate::authz::gate;
#[doc(inline)]
pub use crate::authz::limit;
#[doc(inline)]
pub use crate::authz::load;
#[doc(inline)]
pub use crate::authz::rbac;

pub use crate::authn::authenticated::{AuthInfo, Authenticated, Identity, Mechanism, Scopes};
pub use crate::authn::authenticator::{Authenticator, SharedAuthenticator, authenticate};
pub use crate::authn::chain::{Chain, OverlappingSchemes};
pub use crate::authn::load::LoadUser;
pub use crate::authn::scheme::Scheme;
pub use crate::authz::action::Action;
pub use crate::authz::authorize::{Clearance, Gatekeeper, Refusal, ResourceCheck};
pub use crate::authz::decision::{All, Any, Decision, Outcome};
pub use crate::authz::filter::{FilterPolicy, ListPermit};
pub use crate::authz::guarded::{Guarded, Rejection};
pub use crate::authz::load::{Load, LoadBy, LoadError, LoadRejection, Loaded, LoadedBy};
pub use crate::authz::permit::Permit;
pub use crate::authz::policy::{
    AsyncPolicy, AsyncPolicyFor, HasPermissions, HasRoles, Policy, PolicyFor,
};
pub use crate::authz::resource::Resource;
pub use crate::error::{AuthError, ErrorResponse, GrantError, TokenError};

/// Guards a function: its body runs only after authentication and every gate.
///
/// ```
/// use auth_core::{requires, Authenticated, Permit};
/// # use auth_core::{Action, Decision, HasRoles, Policy, Resource};
/// # #[derive(Action)] pub struct Update;
/// # pub struct User; pub struct Order; pub struct Db;
/// # impl HasRoles for User { fn has_role(&self, _: &str) -> bool { true } }
/// # impl Resource for Order { const KIND: &'static str = "order"; fn id(&self) -> impl std::fmt::Display + '_ { 1 } }
/// # impl Policy<Order> for Update { type Principal = User; type State = Db; fn decide(_: &Authenticated<User>, _: &Order, _: &Db) -> Decision { Decision::allow("x") } }
/// # fn save(_: &Permit<'_, Update, Order>, _: &Db) {}
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
/// Several gates in one attribute are all required. The function-level gates are
/// checked first, in the order written, then the resource gates, in the order
/// written; the first gate that does not allow answers. So a caller refused by a
/// role or a scope (403) never learns from a resource policy whether the resource
/// exists (404). A resource gate's parameter may be the resource itself or a
/// [`Loaded<R>`](Loaded) (in an `async fn`): the resource is then loaded right
/// before its policy, after every function-level gate allowed, so no such
/// resource (404) never answers before a 403 ([`load`]). (A hand-written
/// extractor that loads a resource itself runs before the gates that cannot run
/// early: see `SECURITY.md`, known limit 9.)
///
/// | gate | allows when | denial |
/// |---|---|---|
/// | `authenticated` | always (the `Authenticated` parameter is the check) | — |
/// | `role("admin")` | the principal [`HasRoles`] `admin` | 403 |
/// | `role(Admin)` | the same, for the role a type implementing [`rbac::RoleName`] names (generated from a roles file: a misspelled type does not compile); recorded as `role("admin")` | 403 |
/// | `scope("orders:write")` | the credential grants the scope | 403 `insufficient_scope`, `scope="orders:write"` |
/// | `permission("orders.delete")` | the principal [`HasPermissions`] it | 403 |
/// | `permission(OrdersDelete)` | the same, through [`rbac::PermissionName`] | 403 |
/// | `mechanism("api_key")` | the credential is of that [`Mechanism`] (`bearer_token`, `session`, `api_key`, `guest`, `test`; a typo does not compile) | 403 |
/// | `mfa` | the credential's `amr` names a second factor ([`gate::SECOND_FACTORS`]) | 401 step-up, `acr_values` = [`gate::ACR_MFA`] |
/// | `amr("otp")` | the credential's `amr` holds the method | 401 step-up |
/// | `acr("..")` | the credential's `acr` is that class | 401 step-up naming it in `acr_values` |
/// | `fresh(max_age = 300)` | the user authenticated (`auth_time`) at most that many seconds ago | 401 step-up with `max_age` |
/// | `check(path::to::predicate)` | `predicate(&user)` (or `predicate(&user, &state)` with `state = ..`) returns an allowing [`Decision`]; it may be `async` in an `async fn` | its decision |
/// | `any(g, ..)` | some gate allows (the first allow decides) | unavailable if a gate was, else the strongest denial; missing scopes are merged |
/// | `all(g, ..)` | every gate allows | the first gate that does not allow |
/// | `not(g)` | the gate denies | 403; 503 when `g` is unavailable |
/// | `Action(param)` | the [`Policy<R>`](Policy) of `Action` allows on the value of `param` (a `R`, or a [`Loaded<R>`](Loaded) loaded first) | 403, or 404 when the policy hides the resource; 404 when the loader finds none, 503 when it fails |
///
/// A gate that cannot decide (a predicate or policy returning
/// [`Decision::unavailable`]) answers 503 wherever it stands, `not(..)` included:
/// the truth tables are in [`Decision`]'s documentation.
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
/// - `state = expr`: what resource policies ([`Policy::State`]) and `check`
///   predicates read. `expr` names a parameter (`state = db`) or a field (`state =
///   self.limits`), nothing that computes: it is read only after the gates before
///   its first reader allowed. The policy reads `&T` whether `expr` is a `T` or a
///   `&T`. Without it, policies are asked for `State = ()`.
/// - `crate = path`: where `auth_core` is, for crates that re-export it. The gates
///   then run whatever that path re-exports; the [`inventory`] records the
///   indirection and the matrix shows it.
/// - `guests = true`: guests ([`Mechanism::Guest`]) may call the handler. Without
///   it the [`Gatekeeper`] refuses a guest with a 403 before any gate runs (and, on
///   the secure mount points, before any extractor).
/// - `early = false`: no *early gates*. By default the leading function-level
///   gates that need only the principal are also written as a function nested in
///   the handler, which `axum::SecureRouter` and `actix::SecureScope` run before
///   the handler's extractors (403 before 400, 404 or 422). A nested function
///   cannot name the type parameters of a generic `impl` around the handler, so a
///   handler there whose principal type or `check(..)` predicate names them needs
///   `early = false` (without it: E0401, "generic parameter used in this inner
///   function", at the attribute); its gates then all run in the body, after its
///   extractors.
///
/// # What it does to the function
///
/// The function must take one `Authenticated<_>` (or `&Authenticated<_>`)
/// parameter, by any name; that is who the gates check.
///
/// - **A function without `self`** (a handler) returns
///   [`Guarded<R, Authenticated<U>>`](Guarded) where it declared `R`: the denial
///   travels in the output, and the secure mount points ([`mount`], the framework
///   adapters) accept only `Guarded` outputs. `R` may be anything: `impl Trait`,
///   `Result<T, E>` (no bound on `E`), `()`. The body moves into a closure (or an
///   `async` block), so its own `return` and `?` keep their meaning.
/// - **A method** (`&self`, `&mut self`, `self`) keeps its signature, because
///   trait impls must: it returns the denial as `Err(E::from(AuthError))`, so it
///   must return `Result<T, E>` with `E: From<AuthError>`. This covers trait
///   impls, native `async fn` in traits, and `#[async_trait]` impls. A method
///   whose body is `Box::pin(async move { .. })` (how `#[async_trait]` writes it,
///   and how dyn-compatible async traits are written by hand) gets the gates
///   inside that block; a statement before it would run ungated, so it is a
///   compile error.
///
/// Nothing the function's author wrote runs before authentication and the gates
/// allowed: not the body, not `state = ..`. A permit borrows the principal, so the
/// body cannot move the principal out while it holds a permit.
///
/// `sync` and `async fn`, generics and where-clauses are supported. `const fn`,
/// `extern` functions and trait declarations without a body are errors.
///
/// # Other attributes
///
/// Attributes apply top-down, so an attribute *above* `#[requires]` sees the
/// function as you wrote it and wraps what runs after the gates, and one *below*
/// would wrap the guarded function, gates included. So attribute macros go above:
/// `#[tracing::instrument(..)]` there reads its fields after the gates, and below
/// it is a compile error. `#[axum::debug_handler]` and `#[utoipa::path(..)]` run
/// nothing at call time and work in either place, as do `doc` and lint
/// attributes.
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
/// Like [`requires`], it makes a function without `self` return
/// [`Guarded<R, ()>`](Guarded), so the handler can be mounted on a secure mount
/// point, and it records the handler in the [`inventory`] as public, so the
/// authorization matrix shows it. A `#[public]` handler cannot take an
/// `Authenticated<_>` (that would be `#[requires(authenticated)]` in disguise); it
/// may take `Option<Authenticated<U>>` for optional sign-in, and then returns
/// `Guarded<R, Option<Authenticated<U>>>`: the secure mount points authenticate
/// such a request first, so a bad credential is a 401 (an outage a 503), never a
/// silent guest, on every adapter. That spelling is the only way in: a principal
/// behind a type alias is a compile error, and on a secure mount point any other
/// way to a principal (a newtype, a tuple, a type parameter) is refused with a 500,
/// since the mount did not authenticate it first.
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
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
