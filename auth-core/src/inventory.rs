//! The inventory of guarded and public handlers and of authenticators, for audit
//! and docs.
//!
//! Every function under [`#[requires]`](crate::requires) or
//! [`#[public]`](crate::public) registers a [`HandlerInfo`] at link time, whether
//! or not it is ever called. [`handlers`] lists them, [`authenticators`] lists the
//! authenticators the program has put to use, and [`Matrix`] prints both: the
//! authorization matrix of an application. With the `rbac` feature,
//! `Matrix::per_role` prints it per role of a roles file (what each role reaches),
//! and `Matrix::check_roles` refuses gates naming roles the file lacks.
//!
//! ```
//! use auth_core::{public, requires, Authenticated, HasRoles};
//!
//! struct User { admin: bool }
//! impl HasRoles for User {
//!     fn has_role(&self, role: &str) -> bool { role == "admin" && self.admin }
//! }
//!
//! #[public]
//! fn health() -> &'static str { "ok" }
//!
//! #[requires(role("admin"))]
//! fn list_users(user: Authenticated<User>) -> Vec<String> { vec![] }
//!
//! let matrix = auth_core::inventory::Matrix::collect().to_string();
//! assert!(matrix.contains("list_users"));
//! assert!(matrix.contains(r#"role("admin")"#));
//! assert!(matrix.contains("health"));
//! ```
//!
//! # A record is the door
//!
//! A handler's output can be mounted only with a [`Clearance`](crate::Clearance),
//! and a clearance is given only for a `HandlerInfo` found in this inventory: an
//! unregistered one is refused at run time with a 500 and an error event
//! ([`AuthError::Misconfigured`](crate::AuthError::Misconfigured)). So every way
//! to a mountable output, `#[public]` and hand-written gatekeepers alike, shows in
//! the matrix.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Whether a handler checks its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Access {
    /// `#[requires(..)]`: authentication and every listed gate.
    Guarded,
    /// `#[public]`: deliberately open to anyone.
    Public,
}

/// Not looked up yet / found in the inventory / not found.
const UNKNOWN: u8 = 0;
const REGISTERED: u8 = 1;
const UNREGISTERED: u8 = 2;

/// A guarded or public handler: where it is and what it checks.
///
/// The macros write one per handler, as a `static`, and register it with
/// [`Registration`]; a hand-written gatekeeper must do the same, or it gets no
/// clearance.
///
/// ```
/// use auth_core::inventory::{HandlerInfo, Registration};
///
/// static EXPORT: HandlerInfo =
///     HandlerInfo::guarded("export", module_path!(), file!(), line!(), &[r#"scope("export")"#]);
/// auth_core::inventory::submit!(Registration::new(&EXPORT));
///
/// assert!(EXPORT.is_registered());
/// ```
#[derive(Debug)]
pub struct HandlerInfo {
    name: &'static str,
    module: &'static str,
    file: &'static str,
    line: u32,
    gates: &'static [&'static str],
    access: Access,
    via: Option<&'static str>,
    registration: AtomicU8,
    /// Whether guests (`Mechanism::Guest`) may call the handler: `guests = true`.
    guests: bool,
    /// The leading function-level gates, to run before the handler's extractors.
    early: Option<EarlyGates>,
    /// The type name of a function nested in the handler's body (written by the
    /// macros): the handler's exact path, nesting functions and `impl` types
    /// included, which `module::name` is not.
    path: Option<fn() -> &'static str>,
    /// What a gatekeeper's record of allowed gates must equal to clear this
    /// handler: one bit per gate; 0 when nothing may clear it (a public record, or
    /// one with no gates or more than 64).
    clearing_mask: u64,
    /// `clearing_mask` once the record was found registered, 0 until then: the one
    /// load a clearance costs.
    armed: AtomicU64,
}

/// One bit per gate, for `gates` gates; 0 for none or more than 64.
const fn clearing_mask(gates: usize) -> u64 {
    if gates == 0 || gates > 64 {
        0
    } else {
        u64::MAX >> (64 - gates)
    }
}

impl HandlerInfo {
    /// Describes a `#[requires]` handler: `gates` as written, in order.
    pub const fn guarded(
        name: &'static str,
        module: &'static str,
        file: &'static str,
        line: u32,
        gates: &'static [&'static str],
    ) -> Self {
        HandlerInfo {
            name,
            module,
            file,
            line,
            gates,
            access: Access::Guarded,
            via: None,
            registration: AtomicU8::new(UNKNOWN),
            guests: false,
            early: None,
            path: None,
            clearing_mask: clearing_mask(gates.len()),
            armed: AtomicU64::new(0),
        }
    }

    /// Describes a `#[public]` handler.
    pub const fn public(
        name: &'static str,
        module: &'static str,
        file: &'static str,
        line: u32,
    ) -> Self {
        HandlerInfo {
            name,
            module,
            file,
            line,
            gates: &[],
            access: Access::Public,
            via: None,
            registration: AtomicU8::new(UNKNOWN),
            guests: false,
            early: None,
            path: None,
            clearing_mask: 0,
            armed: AtomicU64::new(0),
        }
    }

    /// Records that the gates were resolved through `krate` (`crate = path` in the
    /// attribute) rather than `::auth_core`. The matrix shows it: whatever that
    /// path re-exports is what the gates ran.
    #[must_use]
    pub const fn via(mut self, krate: &'static str) -> Self {
        self.via = Some(krate);
        self
    }

    /// Lets guests ([`Mechanism::Guest`](crate::Mechanism::Guest)) call the
    /// handler: `guests = true` in `#[requires]`. Without it a
    /// [`Gatekeeper`](crate::Gatekeeper) refuses a guest with a 403 before any
    /// gate runs.
    #[must_use]
    pub const fn accepting_guests(mut self) -> Self {
        self.guests = true;
        self
    }

    /// Whether guests may call the handler.
    pub fn accepts_guests(&self) -> bool {
        self.guests
    }

    /// Attaches the handler's leading function-level gates, written by
    /// `#[requires]` so that a secure mount can run them before the handler's
    /// extractors (403 before 400 or 422). Only a denial counts: an early allow
    /// proves nothing, and the handler's body checks every gate again.
    #[doc(hidden)]
    #[must_use]
    pub const fn early(mut self, gates: EarlyGates) -> Self {
        self.early = Some(gates);
        self
    }

    /// Records where the handler is, exactly: `path` returns the type name of a
    /// function nested in the handler's body (`core::any::type_name_of_val` of
    /// itself), written by the macros. A secure mount finds a handler's early
    /// gates by it.
    #[doc(hidden)]
    #[must_use]
    pub const fn at(mut self, path: fn() -> &'static str) -> Self {
        self.path = Some(path);
        self
    }

    /// Whether this is the record of the function item whose type name is
    /// `path`: by its exact path when the macros wrote one, else by
    /// `module::name` (which a function nested in a function `outer` shares with
    /// a function of a module `outer`, and an associated function with a free
    /// one).
    #[cfg_attr(
        not(any(feature = "axum", feature = "actix-web")),
        allow(dead_code, reason = "only the secure mounts look records up")
    )]
    fn describes(&self, path: &str) -> bool {
        match self.path {
            Some(here) => {
                // `handler::__auth_path`, or `handler::{{closure}}::__auth_path`
                // in an `async fn`'s body.
                let Some(mut here) = here().strip_suffix("::__auth_path") else {
                    return false;
                };
                while let Some(outer) = here.strip_suffix("::{{closure}}") {
                    here = outer;
                }
                here == path
            }
            None => path
                .strip_prefix(self.module)
                .and_then(|rest| rest.strip_prefix("::"))
                .is_some_and(|name| name == self.name),
        }
    }

    /// The function's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The module path it is defined in.
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// The source file.
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The line of the attribute.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The gates, as written in the attribute.
    pub fn gates(&self) -> &'static [&'static str] {
        self.gates
    }

    /// Guarded or public.
    pub fn access(&self) -> Access {
        self.access
    }

    /// The `crate = path` the gates were resolved through, if not `::auth_core`.
    pub fn via_crate(&self) -> Option<&'static str> {
        self.via
    }

    /// The text of gate number `index`, or `"?"` when out of range.
    pub fn gate(&self, index: usize) -> &'static str {
        self.gates.get(index).copied().unwrap_or("?")
    }

    /// Whether this very record was submitted to the inventory (with
    /// [`Registration`]). Looked up once, then remembered: one atomic load.
    #[inline]
    pub fn is_registered(&'static self) -> bool {
        match self.registration.load(Ordering::Relaxed) {
            REGISTERED => true,
            UNREGISTERED => false,
            _ => self.look_up(),
        }
    }

    #[cold]
    fn look_up(&'static self) -> bool {
        let found = ::inventory::iter::<Registration>
            .into_iter()
            .any(|registration| std::ptr::eq(registration.0, self));
        let state = if found { REGISTERED } else { UNREGISTERED };
        if found {
            self.armed.store(self.clearing_mask, Ordering::Relaxed);
        }
        self.registration.store(state, Ordering::Relaxed);
        found
    }

    /// The record of allowed gates that clears this handler (0: none does).
    #[inline]
    pub(crate) fn clearing_mask(&self) -> u64 {
        self.clearing_mask
    }

    /// Whether a gatekeeper that recorded `allowed` may clear this handler: every
    /// gate allowed, and the record registered. One load once the record was found.
    #[inline]
    pub(crate) fn clears(&'static self, allowed: u64) -> bool {
        let armed = self.armed.load(Ordering::Relaxed);
        if armed != 0 {
            return allowed == armed;
        }
        self.is_registered() && self.clearing_mask != 0 && allowed == self.clearing_mask
    }

    /// `module::name`, for events.
    pub(crate) fn qualified(&self) -> QualifiedName<'_> {
        QualifiedName(self)
    }
}

/// A handler's leading function-level gates, run on the principal (an
/// `&Authenticated<U>` as `&dyn Any`; another type is not checked) before its
/// extractors. `Err` is the first denial, audited as the body would.
#[doc(hidden)]
pub type EarlyGates =
    fn(&'static HandlerInfo, &(dyn std::any::Any + Send + Sync)) -> Result<(), crate::AuthError>;

/// The early gates of the handler whose function item is `H`, found once when a
/// secure mount is built: the registered `#[requires]` record whose exact path
/// ([`HandlerInfo::at`]) is `H`'s type name. None when no record or more than one
/// matches (a generic function, two versions of one crate, a nested function
/// whose path prints as a module's function's does): the handler then
/// answers its extractors' rejections before its gates, as an unmounted one does.
///
/// An early check only ever refuses earlier. The body still runs every gate, so a
/// record found wrongly could cost a wrong 403, never an allow.
#[cfg_attr(
    not(any(feature = "axum", feature = "actix-web")),
    allow(dead_code, reason = "only the secure mounts look records up")
)]
pub(crate) fn early_gates_of<H>() -> Option<(&'static HandlerInfo, EarlyGates)> {
    let path = std::any::type_name::<H>();
    let mut records = ::inventory::iter::<Registration>
        .into_iter()
        .map(Registration::info)
        .filter(|info| info.describes(path));
    // Every record that could be `H`'s counts, with early gates or not: one
    // without them may be `H`'s own.
    let info = records.next()?;
    if records.next().is_some() {
        return None;
    }
    info.early.map(|early| (info, early))
}

/// The registered record of the handler whose function item is `H`, found by its
/// exact path as [`early_gates_of`] finds it: for the OpenAPI document of a
/// secure router.
#[cfg(all(feature = "axum", feature = "utoipa"))]
pub(crate) fn entry_of<H>() -> Result<Entry, crate::openapi::HandlerLookup> {
    let path = std::any::type_name::<H>();
    let mut records = ::inventory::iter::<Registration>
        .into_iter()
        .map(Registration::info)
        .filter(|info| info.describes(path));
    let info = records
        .next()
        .ok_or(crate::openapi::HandlerLookup::NoRecord)?;
    if records.any(|other| !std::ptr::eq(other, info)) {
        return Err(crate::openapi::HandlerLookup::Ambiguous);
    }
    Ok(Entry(info))
}

/// `module::name` of a handler, formatted when read.
pub(crate) struct QualifiedName<'a>(&'a HandlerInfo);

impl fmt::Display for QualifiedName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.0.module, self.0.name)
    }
}

/// The entry that puts a [`HandlerInfo`] in the inventory:
/// `auth_core::inventory::submit!(Registration::new(&MY_HANDLER))`.
///
/// Making one registers nothing; submitting it does.
#[derive(Debug, Clone, Copy)]
pub struct Registration(&'static HandlerInfo);

impl Registration {
    /// The entry for `info`.
    pub const fn new(info: &'static HandlerInfo) -> Self {
        Registration(info)
    }

    /// The record. Not public: a record read back from the inventory would be a
    /// registered door any closure could use.
    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "read from the inventory by reference"
    )]
    fn info(&self) -> &'static HandlerInfo {
        self.0
    }
}

::inventory::collect!(Registration);

/// Registers a [`Registration`] at link time (the `inventory` crate's `submit!`).
pub use ::inventory::submit;

/// A handler of the inventory, as the matrix lists it: what it is and what it
/// checks. A view, not the record: a [`Gatekeeper`](crate::Gatekeeper) or
/// [`Clearance::public`](crate::Clearance::public) cannot be given one, so reading
/// the inventory opens no door.
#[derive(Debug, Clone, Copy)]
pub struct Entry(&'static HandlerInfo);

impl Entry {
    /// The function's name.
    pub fn name(&self) -> &'static str {
        self.0.name
    }

    /// The module path it is defined in.
    pub fn module(&self) -> &'static str {
        self.0.module
    }

    /// The source file.
    pub fn file(&self) -> &'static str {
        self.0.file
    }

    /// The line of the attribute.
    pub fn line(&self) -> u32 {
        self.0.line
    }

    /// The gates, as written in the attribute.
    pub fn gates(&self) -> &'static [&'static str] {
        self.0.gates
    }

    /// Guarded or public.
    pub fn access(&self) -> Access {
        self.0.access
    }

    /// The `crate = path` the gates were resolved through, if not `::auth_core`.
    pub fn via_crate(&self) -> Option<&'static str> {
        self.0.via
    }

    /// Whether guests may call the handler (`guests = true`).
    pub fn accepts_guests(&self) -> bool {
        self.0.guests
    }
}

/// Every handler of the program, sorted by module, then name.
pub fn handlers() -> Vec<Entry> {
    let mut all: Vec<&'static HandlerInfo> = ::inventory::iter::<Registration>
        .into_iter()
        .map(Registration::info)
        .collect();
    all.sort_by_key(|h| (h.module, h.name, h.line));
    all.dedup_by(|a, b| std::ptr::eq(*a, *b));
    all.into_iter().map(Entry).collect()
}

/// An authenticator the program has put to use: its Rust type, and the realm its
/// challenges name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuthenticatorInfo {
    type_name: &'static str,
    realm: Option<String>,
    /// Where its credentials travel ([`Scheme`](crate::Scheme)s, as displayed).
    schemes: Vec<String>,
}

impl AuthenticatorInfo {
    /// The authenticator's type, as `std::any::type_name` spells it.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The realm of its `SharedAuthenticator`, if it was wrapped in one.
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    /// The credentials it reads (its [`Authenticator::schemes`](crate::Authenticator::schemes)),
    /// e.g. `bearer token`, ``cookie `__Host-session` ``, ``header `x-api-key` ``.
    pub fn schemes(&self) -> &[String] {
        &self.schemes
    }
}

static AUTHENTICATORS: Mutex<BTreeSet<AuthenticatorInfo>> = Mutex::new(BTreeSet::new());

/// Records that an authenticator of type `type_name` is in use, in `realm` when
/// known. An entry without a realm stands only until one with a realm arrives.
pub(crate) fn record_authenticator(
    type_name: &'static str,
    realm: Option<&str>,
    schemes: &[crate::Scheme],
) {
    let realm = realm.filter(|r| !r.is_empty()).map(str::to_owned);
    let schemes: Vec<String> = schemes.iter().map(ToString::to_string).collect();
    let mut known = AUTHENTICATORS
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if realm.is_some() {
        known.remove(&AuthenticatorInfo {
            type_name,
            realm: None,
            schemes: schemes.clone(),
        });
    } else if known.iter().any(|a| a.type_name == type_name) {
        return;
    }
    known.insert(AuthenticatorInfo {
        type_name,
        realm,
        schemes,
    });
}

/// Every authenticator the program has wrapped in a
/// [`SharedAuthenticator`](crate::SharedAuthenticator) or run through
/// [`authenticate`](crate::authenticate) so far: each is a door that mints
/// principals (see `SECURITY.md`), so an audit should see them all. Built at run
/// time, so collect it after the service is configured.
pub fn authenticators() -> Vec<AuthenticatorInfo> {
    AUTHENTICATORS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .cloned()
        .collect()
}

/// The authorization matrix: one line per handler with its gates, then the
/// authenticators in use. Its [`Display`](fmt::Display) is Markdown.
///
/// Print it at start (the reference service's `--matrix`), or keep it in a test
/// so that a new door shows up in review:
///
/// ```
/// use auth_core::inventory::Matrix;
/// use auth_core::{Authenticated, HasRoles, public, requires};
///
/// struct User;
/// impl HasRoles for User {
///     fn has_role(&self, role: &str) -> bool { role == "admin" }
/// }
///
/// #[public]
/// async fn health() -> &'static str { "ok" }
///
/// #[requires(role("admin"))]
/// async fn purge(_user: Authenticated<User>) -> &'static str { "purged" }
///
/// let text = Matrix::collect().within(module_path!()).to_string();
/// assert!(text.contains("| PUBLIC | `-` |"), "{text}");
/// assert!(text.contains(r#"| guarded | `role("admin")` |"#), "{text}");
/// ```
#[derive(Debug, Clone)]
pub struct Matrix {
    handlers: Vec<Entry>,
    authenticators: Vec<AuthenticatorInfo>,
}

impl Matrix {
    /// Collects every handler of the program and the authenticators in use now.
    pub fn collect() -> Self {
        Matrix {
            handlers: handlers(),
            authenticators: authenticators(),
        }
    }

    /// Only the handlers of module `module` and the modules inside it
    /// (`app::admin` keeps `app::admin::users`, not `app::administration`).
    #[must_use]
    pub fn within(mut self, module: &str) -> Self {
        self.handlers.retain(|h| {
            h.module()
                .strip_prefix(module)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        });
        self
    }

    /// The handlers in the matrix.
    pub fn handlers(&self) -> &[Entry] {
        &self.handlers
    }

    /// The authenticators in the matrix.
    pub fn authenticators(&self) -> &[AuthenticatorInfo] {
        &self.authenticators
    }
}

/// `text` made safe inside a Markdown table cell: a `|` would end the cell, a line
/// break the row.
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['|', '\n', '\r']) {
        std::borrow::Cow::Owned(text.replace('|', "\\|").replace(['\n', '\r'], " "))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

impl fmt::Display for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "| handler | access | gates | source |")?;
        writeln!(f, "|---|---|---|---|")?;
        for entry in &self.handlers {
            let h = entry.0;
            let access = match h.access {
                Access::Guarded if h.guests => "guarded, guests too",
                Access::Guarded => "guarded",
                Access::Public => "PUBLIC",
            };
            let gates = if h.gates.is_empty() {
                "-".to_owned()
            } else {
                h.gates.join(", ")
            };
            let via = match h.via {
                Some(krate) => format!(" (gates resolved through `crate = {krate}`)"),
                None => String::new(),
            };
            writeln!(
                f,
                "| `{}::{}` | {access} | `{}`{} | {}:{} |",
                h.module,
                h.name,
                cell(&gates),
                cell(&via),
                cell(h.file),
                h.line
            )?;
        }
        if !self.authenticators.is_empty() {
            writeln!(f)?;
            writeln!(f, "| authenticator | realm | credentials |")?;
            writeln!(f, "|---|---|---|")?;
            for a in &self.authenticators {
                let schemes = if a.schemes.is_empty() {
                    "-".to_owned()
                } else {
                    a.schemes.join(", ")
                };
                writeln!(
                    f,
                    "| `{}` | {} | {} |",
                    cell(a.type_name),
                    cell(a.realm().unwrap_or("-")),
                    cell(&schemes)
                )?;
            }
        }
        Ok(())
    }
}
