//! [`Authenticated<U>`]: the proof that a credential was verified.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::SystemTime;

/// Proof that a request's credential was verified, carrying the principal `U`.
///
/// There is no public constructor, no `Default`, no `From<U>` and no `Deserialize`:
/// the only way to hold one is to run an [`Authenticator`](crate::Authenticator)
/// through [`authenticate`](crate::authenticate) (which framework adapters do for
/// you). Functions that must only run for a signed-in caller take it as a parameter,
/// and [`#[requires]`](crate::requires) demands one.
///
/// It dereferences to `U`, and [`info`](Self::info) tells how the caller
/// authenticated: subject, mechanism, token id, lifetimes, scopes, `amr`.
///
/// ```compile_fail
/// # struct User;
/// // A principal cannot be made up; it has to come out of an authenticator.
/// let forged: auth_core::Authenticated<User> = auth_core::Authenticated::from(User);
/// ```
#[derive(Clone)]
pub struct Authenticated<U> {
    user: U,
    info: AuthInfo,
}

impl<U> Authenticated<U> {
    /// Only [`crate::authenticate`] (and the `testing` constructor) may call this.
    pub(crate) fn from_identity(identity: Identity<U>) -> Self {
        Authenticated {
            user: identity.user,
            info: identity.info,
        }
    }

    /// The principal.
    pub fn user(&self) -> &U {
        &self.user
    }

    /// Gives up the proof and returns the principal.
    pub fn into_user(self) -> U {
        self.user
    }

    /// How the principal authenticated.
    pub fn info(&self) -> &AuthInfo {
        &self.info
    }

    /// The subject identifier (`sub` of a token, a session's user id, a key's owner).
    pub fn subject(&self) -> &str {
        &self.info.subject
    }

    /// The scopes the credential grants.
    pub fn scopes(&self) -> &Scopes {
        &self.info.scopes
    }

    /// The request this principal was authenticated for
    /// ([`AuthInfo::context`]): what attribute-based rules read besides the
    /// principal and the resource.
    pub fn context(&self) -> &crate::context::RequestContext {
        self.info.context()
    }

    /// A test-only door: wraps `identity` without running an authenticator.
    ///
    /// Available only with the `testing` feature. Enable it in
    /// `[dev-dependencies]`, never in `[dependencies]`: Cargo unifies features, so a
    /// crate that enables `testing` as a normal dependency turns this door on for
    /// every crate of the build that uses `auth-core`, including your service.
    /// A build can refuse it with a `cfg` check; see the crate docs.
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use auth_core::{Authenticated, Identity, Mechanism};
    ///
    /// let alice = Authenticated::for_testing(Identity::new("alice", "1", Mechanism::Test));
    /// assert_eq!(alice.subject(), "1");
    /// # }
    /// ```
    #[cfg(feature = "testing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
    pub fn for_testing(identity: Identity<U>) -> Self {
        Self::from_identity(identity)
    }

    /// Without the `testing` feature the door is shut: this stub exists only so
    /// that calling it explains which feature to enable. Its bound can never hold,
    /// so it can never be called.
    #[cfg(not(feature = "testing"))]
    #[doc(hidden)]
    pub fn for_testing(identity: Identity<U>) -> Self
    where
        U: testing_door::TestingFeatureEnabled,
    {
        <U as testing_door::TestingFeatureEnabled>::unreachable(identity)
    }
}

#[cfg(not(feature = "testing"))]
mod testing_door {
    use super::{Authenticated, Identity};

    /// Implemented for no type, and unnameable outside this crate.
    #[diagnostic::on_unimplemented(
        message = "`Authenticated::for_testing` needs the `testing` feature of auth-core",
        label = "the test door is shut in this build",
        note = "enable it for tests only: `[dev-dependencies] auth-core = {{ version = \"..\", features = [\"testing\"] }}`",
        note = "never in `[dependencies]`: Cargo unifies features, which would open the door in production builds"
    )]
    pub trait TestingFeatureEnabled: Sized {
        fn unreachable(identity: Identity<Self>) -> Authenticated<Self>;
    }
}

impl<U> Deref for Authenticated<U> {
    type Target = U;

    fn deref(&self) -> &U {
        &self.user
    }
}

impl<U: fmt::Debug> fmt::Debug for Authenticated<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticated")
            .field("user", &self.user)
            .field("info", &self.info)
            .finish()
    }
}

/// What an authenticator learned about a credential, besides the principal.
///
/// Policies read it for step-up checks (`auth_time`, `amr`) or token-bound limits
/// (`scopes`). It holds no secret: no token bytes, no key material.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth_core::{Identity, Mechanism, Scopes};
///
/// // What an authenticator returns; `Authenticated::info` gives the same view.
/// let identity = Identity::new("alice", "user-1", Mechanism::BearerToken)
///     .scopes(Scopes::from_space_separated("orders:read"))
///     .amr(["pwd", "otp"])
///     .auth_time(SystemTime::now() - Duration::from_secs(60));
/// let info = identity.info();
/// assert_eq!(info.subject(), "user-1");
/// assert_eq!(info.mechanism(), Mechanism::BearerToken);
/// assert!(info.scopes().contains("orders:read"));
/// assert_eq!(info.amr(), ["pwd", "otp"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthInfo {
    subject: String,
    mechanism: Mechanism,
    token_id: Option<String>,
    issued_at: Option<SystemTime>,
    expires_at: Option<SystemTime>,
    auth_time: Option<SystemTime>,
    scopes: Scopes,
    amr: Vec<String>,
    acr: Option<String>,
    tenant: Option<String>,
    context: Option<Arc<crate::context::RequestContext>>,
    memo: crate::authz::memo::Memo,
    realm: Option<Arc<str>>,
}

impl AuthInfo {
    /// The subject identifier.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Which kind of credential was verified.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The credential's unique id (`jti`), if it has one.
    pub fn token_id(&self) -> Option<&str> {
        self.token_id.as_deref()
    }

    /// When the credential was issued (`iat`).
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.issued_at
    }

    /// When the credential stops being valid (`exp`).
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// When the user last actively authenticated (`auth_time`), for step-up checks.
    pub fn auth_time(&self) -> Option<SystemTime> {
        self.auth_time
    }

    /// The scopes the credential grants.
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    /// Authentication methods used (`amr`, RFC 8176), e.g. `["pwd", "otp"]`.
    pub fn amr(&self) -> &[String] {
        &self.amr
    }

    /// The authentication context class (`acr`, `OpenID Connect` Core §2), e.g.
    /// a value naming multi-factor authentication, if the credential states one.
    pub fn acr(&self) -> Option<&str> {
        self.acr.as_deref()
    }

    /// The tenant the principal belongs to, in a multi-tenant service: from a
    /// verified claim (the JWT authenticator's
    /// [`tenant_claim`](crate::jwt::JwtAuthenticatorBuilder::tenant_claim)) or
    /// from the user record a session or an API key names
    /// ([`LoadUser::tenant`](crate::LoadUser::tenant)). A resource that declares
    /// a tenant ([`Resource::TENANT`](crate::Resource::TENANT)) is refused (404)
    /// to a principal of another tenant or of none.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    pub(crate) fn memo(&self) -> &crate::authz::memo::Memo {
        &self.memo
    }

    /// The request the principal was authenticated for: when, by which method
    /// on which route, from which client address ([`crate::context`]). A
    /// principal made without a request (a test) has an empty context: no
    /// address, no route, received at the Unix epoch.
    pub fn context(&self) -> &crate::context::RequestContext {
        self.context
            .as_deref()
            .unwrap_or(&crate::authz::context::NO_CONTEXT)
    }

    /// The protection space the credential was verified for, named in the
    /// challenges of later denials; empty when none was set.
    pub fn realm(&self) -> &str {
        self.realm.as_deref().unwrap_or("")
    }

    pub(crate) fn realm_arc(&self) -> Option<Arc<str>> {
        self.realm.clone()
    }
}

/// The kind of credential behind an [`Authenticated`].
///
/// A handler or policy reads it from [`AuthInfo::mechanism`]; the gate
/// `mechanism("api_key")` (or `not(mechanism("api_key"))`) refuses by it:
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use auth_core::{Authenticated, Identity, Mechanism, requires};
///
/// /// Keys must not mint keys.
/// #[requires(authenticated, not(mechanism("api_key")))]
/// async fn create_api_key(user: Authenticated<String>) -> &'static str {
///     "created"
/// }
///
/// let script = Authenticated::for_testing(Identity::new("robot".to_owned(), "1", Mechanism::ApiKey));
/// assert_eq!(script.info().mechanism(), Mechanism::ApiKey);
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// assert_eq!(create_api_key(script).await.into_result().unwrap_err().status(), 403);
/// # });
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// A bearer token (RFC 6750), e.g. a JWT access token.
    BearerToken,
    /// A server-side session, e.g. from a cookie.
    Session,
    /// An API key.
    ApiKey,
    /// A guest: a credential issued to someone who did not sign in, with its own
    /// subject. `#[requires]` handlers refuse guests (403) unless they opt in.
    Guest,
    /// Made by a test through the `testing` feature, or by a test authenticator.
    Test,
}

impl Mechanism {
    /// A stable lowercase name, for logs and audit.
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::BearerToken => "bearer_token",
            Mechanism::Session => "session",
            Mechanism::ApiKey => "api_key",
            Mechanism::Guest => "guest",
            Mechanism::Test => "test",
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scopes a credential grants, as a normalized space-separated list.
///
/// ```
/// use auth_core::Scopes;
///
/// let scopes = Scopes::from_space_separated("orders:read  orders:write");
/// assert!(scopes.contains("orders:write"));
/// assert!(!scopes.contains("orders"));
/// assert_eq!(scopes.as_str(), "orders:read orders:write");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(String);

impl Scopes {
    /// No scopes.
    pub const fn none() -> Self {
        Scopes(String::new())
    }

    /// Parses an OAuth `scope` string (RFC 6749 §3.3): scopes separated by spaces.
    pub fn from_space_separated(scope: &str) -> Self {
        if is_normalized(scope) {
            // What the split and join below would rebuild, copied in one go.
            Scopes(scope.to_owned())
        } else {
            Scopes::joined(scope.split_ascii_whitespace())
        }
    }

    /// What [`FromIterator`] builds, in one allocation of the exact size: a first
    /// pass over the (cloned) iterator measures, the second copies.
    pub(crate) fn joined<'a, I>(scopes: I) -> Self
    where
        I: Iterator<Item = &'a str> + Clone,
    {
        let len = scopes
            .clone()
            .filter(|scope| Scopes::accepts(scope))
            .map(|scope| scope.len() + 1)
            .sum::<usize>();
        let mut joined = String::with_capacity(len.saturating_sub(1));
        Scopes::push_all(&mut joined, scopes);
        Scopes(joined)
    }

    /// A scope is a non-empty token without spaces; anything else is dropped.
    fn accepts(scope: &str) -> bool {
        !scope.is_empty() && !scope.contains(' ')
    }

    fn push_all<'a>(joined: &mut String, scopes: impl IntoIterator<Item = &'a str>) {
        for scope in scopes {
            if !Scopes::accepts(scope) {
                continue;
            }
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(scope);
        }
    }

    /// Whether `scope` is granted. Scopes compare exactly: `orders` does not grant
    /// `orders:read`.
    pub fn contains(&self, scope: &str) -> bool {
        self.iter().any(|granted| granted == scope)
    }

    /// Iterates the scopes.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split(' ').filter(|s| !s.is_empty())
    }

    /// The scopes joined by single spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether no scope is granted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether `scope` is already scopes joined by single spaces: no other whitespace, no
/// leading, trailing or doubled space.
fn is_normalized(scope: &str) -> bool {
    let bytes = scope.as_bytes();
    let mut previous = b' ';
    for &byte in bytes {
        if byte.is_ascii_whitespace() && (byte != b' ' || previous == b' ') {
            return false;
        }
        previous = byte;
    }
    previous != b' ' || bytes.is_empty()
}

impl<'a> FromIterator<&'a str> for Scopes {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut joined = String::new();
        Scopes::push_all(&mut joined, iter);
        Scopes(joined)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an [`Authenticator`](crate::Authenticator) returns after verifying a
/// credential: the principal and what it learned about the credential.
///
/// An `Identity` proves nothing by itself; only [`crate::authenticate`] turns it
/// into an [`Authenticated`], by running the authenticator that produced it.
///
/// ```
/// use auth_core::{Identity, Mechanism, Scopes};
///
/// let identity = Identity::new("alice", "user-1", Mechanism::BearerToken)
///     .token_id("3f1c")
///     .scopes(Scopes::from_space_separated("orders:read"));
/// assert_eq!(identity.info().subject(), "user-1");
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Identity<U> {
    user: U,
    info: AuthInfo,
}

impl<U> Identity<U> {
    /// The principal `user`, known by `subject`, verified through `mechanism`.
    pub fn new(user: U, subject: impl Into<String>, mechanism: Mechanism) -> Self {
        Identity {
            user,
            info: AuthInfo {
                subject: subject.into(),
                mechanism,
                token_id: None,
                issued_at: None,
                expires_at: None,
                auth_time: None,
                scopes: Scopes::none(),
                amr: Vec::new(),
                acr: None,
                tenant: None,
                context: None,
                memo: crate::authz::memo::Memo::default(),
                realm: None,
            },
        }
    }

    /// Sets the credential's unique id (`jti`).
    pub fn token_id(mut self, id: impl Into<String>) -> Self {
        self.info.token_id = Some(id.into());
        self
    }

    /// Sets when the credential was issued.
    pub fn issued_at(mut self, at: SystemTime) -> Self {
        self.info.issued_at = Some(at);
        self
    }

    /// Sets when the credential expires.
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.info.expires_at = Some(at);
        self
    }

    /// Sets when the user last actively authenticated.
    pub fn auth_time(mut self, at: SystemTime) -> Self {
        self.info.auth_time = Some(at);
        self
    }

    /// Sets the granted scopes.
    pub fn scopes(mut self, scopes: Scopes) -> Self {
        self.info.scopes = scopes;
        self
    }

    /// Sets the authentication methods (`amr`).
    pub fn amr<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.info.amr = methods.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the authentication context class (`acr`).
    pub fn acr(mut self, acr: impl Into<String>) -> Self {
        self.info.acr = Some(acr.into());
        self
    }

    /// Sets the request context ([`AuthInfo::context`]): for tests, and for
    /// authenticators that know better than the request head.
    /// [`authenticate`](crate::authenticate) records one for every principal
    /// whose authenticator did not.
    pub fn context(mut self, context: crate::context::RequestContext) -> Self {
        self.info.context = Some(Arc::new(context));
        self
    }

    pub(crate) fn has_context(&self) -> bool {
        self.info.context.is_some()
    }

    /// Gives the principal a fresh per-request memo ([`Policy::MEMO`](crate::Policy::MEMO)).
    pub(crate) fn with_memo(mut self) -> Self {
        self.info.memo = crate::authz::memo::Memo::new();
        self
    }

    /// Sets the tenant the principal belongs to ([`AuthInfo::tenant`]). Only
    /// from a verified source: a signed claim, or the user record the
    /// credential names.
    /// An empty tenant is no tenant: it reaches no tenant's resources.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        let tenant = tenant.into();
        self.info.tenant = (!tenant.is_empty()).then_some(tenant);
        self
    }

    /// Sets the realm later challenges name. [`SharedAuthenticator`] sets its own
    /// when the authenticator did not.
    ///
    /// [`SharedAuthenticator`]: crate::SharedAuthenticator
    pub fn realm(mut self, realm: impl Into<Arc<str>>) -> Self {
        self.info.realm = Some(realm.into());
        self
    }

    pub(crate) fn has_realm(&self) -> bool {
        self.info.realm.is_some()
    }

    /// The principal.
    pub fn user(&self) -> &U {
        &self.user
    }

    /// Replaces the principal, keeping what was learned about the credential.
    ///
    /// Authenticators use it to swap claims for a user reloaded from the source
    /// of truth. It is on `Identity`, not on `Authenticated`, so it cannot
    /// change who a proven principal is.
    pub fn map_user<V>(self, f: impl FnOnce(U) -> V) -> Identity<V> {
        Identity {
            user: f(self.user),
            info: self.info,
        }
    }

    /// What is known about the credential.
    pub fn info(&self) -> &AuthInfo {
        &self.info
    }
}

#[cfg(test)]
mod scope_tests {
    use super::*;

    #[test]
    fn every_way_to_build_scopes_normalizes_alike() {
        let inputs = [
            "",
            " ",
            "a",
            "a b",
            "a  b",
            " a b",
            "a b ",
            "a\tb",
            "a\nb\r\n",
            "orders:read orders:write",
            "é ü",
        ];
        for input in inputs {
            let pieces = input.split_ascii_whitespace();
            let by_iterator: Scopes = pieces.clone().collect();
            assert_eq!(
                Scopes::from_space_separated(input),
                by_iterator,
                "{input:?}"
            );
            assert_eq!(Scopes::joined(pieces), by_iterator, "{input:?}");
        }
        let skipped: Scopes = ["a", "", "b c", "d"].into_iter().collect();
        assert_eq!(skipped.as_str(), "a d");
        assert_eq!(Scopes::joined(["a", "", "b c", "d"].into_iter()), skipped);
    }
}
