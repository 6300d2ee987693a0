//! From verified claims to the application's user: [`ClaimsMapper`], with helpers
//! for the common shapes of roles, and [`HasSubject`], the one spelling of a
//! user's id.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

use super::Claims;
use crate::{AuthError, HasRoles};

/// A user's canonical subject: the one spelling of its id that revocation,
/// caching and the audit log key on.
///
/// A [`ClaimsMapper`] that *looks a user up* by `sub` may accept several spellings
/// of one id (`"1"`, `"01"`, `"+1"` all parse as the integer 1). Revocation keys
/// on a string, so a token spelled `"01"` would survive a "log out everywhere" of
/// `"1"`: a second identity for one user. The
/// [`JwtAuthenticator`](super::JwtAuthenticator) asks the user the mapper returned
/// for its canonical subject and refuses (401 `invalid_token`,
/// [`TokenError::InvalidClaim`](crate::TokenError::InvalidClaim)`("sub")`) a
/// token whose `sub` is not exactly that: every token it accepts has
/// `sub` = the canonical subject, so revocation, the cache and the audit log see
/// one identity per user.
///
/// Return the id the way your issuer writes it into `sub`: for the
/// [`TokenIssuer`](super::TokenIssuer), the `subject` you log users in with.
///
/// ```
/// use std::borrow::Cow;
/// use auth_core::jwt::HasSubject;
///
/// struct User { id: i64 }
///
/// impl HasSubject for User {
///     fn canonical_subject(&self) -> Cow<'_, str> {
///         Cow::Owned(self.id.to_string()) // "1", never "01" or "+1"
///     }
/// }
/// assert_eq!(User { id: 1 }.canonical_subject(), "1");
/// ```
///
/// A mapper whose user does not implement it does not compile:
///
/// ```compile_fail
/// use auth_core::jwt::{Claims, ClaimsMapper};
/// use auth_core::AuthError;
///
/// struct User { id: i64 }
/// struct Users;
///
/// impl ClaimsMapper for Users {
///     type User = User; // error: `User` does not name its canonical subject
///
///     async fn map(&self, _: &Claims<'_>) -> Result<User, AuthError> {
///         Ok(User { id: 1 })
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not name its canonical subject",
    label = "the user of a `ClaimsMapper` must implement `auth_core::jwt::HasSubject`",
    note = "implement `HasSubject` for `{Self}`: return the one spelling of its id that your issuer writes into `sub`, so that revocation sees one identity per user"
)]
pub trait HasSubject {
    /// The canonical spelling of this user's id.
    fn canonical_subject(&self) -> Cow<'_, str>;
}

impl<T: HasSubject + ?Sized> HasSubject for &T {
    fn canonical_subject(&self) -> Cow<'_, str> {
        (**self).canonical_subject()
    }
}

impl<T: HasSubject + ?Sized> HasSubject for Box<T> {
    fn canonical_subject(&self) -> Cow<'_, str> {
        (**self).canonical_subject()
    }
}

impl<T: HasSubject + ?Sized> HasSubject for Arc<T> {
    fn canonical_subject(&self) -> Cow<'_, str> {
        (**self).canonical_subject()
    }
}

/// A user that *is* its subject: the string itself is canonical.
impl HasSubject for String {
    fn canonical_subject(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

/// Turns verified [`Claims`] into the application's user type.
///
/// It runs after the signature, the claims and the revocation check passed, on every
/// request (a cached token included). The user reports its canonical subject
/// ([`HasSubject`]); a token whose `sub` is spelled otherwise is refused, so that
/// one user is one identity to revocation. Build the user from the claims, or — for roles
/// that must not be stale, like a demoted admin's — reload the principal from your
/// user store, the source of truth, keyed by [`Claims::subject`]. Return
/// [`TokenError::UnknownSubject`](crate::TokenError::UnknownSubject) when the
/// subject no longer exists, and [`AuthError::Unavailable`] when the store cannot be
/// reached (the request then fails closed with a 503).
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::RwLock;
///
/// use auth_core::jwt::{Claims, ClaimsMapper};
/// use auth_core::{AuthError, TokenError};
///
/// #[derive(Clone)]
/// struct User { id: String, admin: bool }
///
/// impl auth_core::jwt::HasSubject for User {
///     fn canonical_subject(&self) -> std::borrow::Cow<'_, str> {
///         self.id.as_str().into()
///     }
/// }
///
/// /// Reloads users on every request: a role change applies at once.
/// struct UserStore { users: RwLock<HashMap<String, User>> }
///
/// impl ClaimsMapper for UserStore {
///     type User = User;
///
///     async fn map(&self, claims: &Claims<'_>) -> Result<User, AuthError> {
///         let users = self
///             .users
///             .read()
///             .map_err(|_| AuthError::unavailable("user store", "lock poisoned"))?;
///         users.get(claims.subject()).cloned().ok_or(TokenError::UnknownSubject.into())
///     }
/// }
/// ```
pub trait ClaimsMapper: Send + Sync {
    /// The principal this mapper produces, which knows its canonical subject.
    type User: HasSubject + Send + Sync + 'static;

    /// Builds (or loads) the user the verified `claims` are about.
    fn map(
        &self,
        claims: &Claims<'_>,
    ) -> impl Future<Output = Result<Self::User, AuthError>> + Send;
}

impl<M: ClaimsMapper + ?Sized> ClaimsMapper for &M {
    type User = M::User;

    fn map(
        &self,
        claims: &Claims<'_>,
    ) -> impl Future<Output = Result<Self::User, AuthError>> + Send {
        (**self).map(claims)
    }
}

impl<M: ClaimsMapper + ?Sized> ClaimsMapper for Box<M> {
    type User = M::User;

    fn map(
        &self,
        claims: &Claims<'_>,
    ) -> impl Future<Output = Result<Self::User, AuthError>> + Send {
        (**self).map(claims)
    }
}

impl<M: ClaimsMapper + ?Sized> ClaimsMapper for Arc<M> {
    type User = M::User;

    fn map(
        &self,
        claims: &Claims<'_>,
    ) -> impl Future<Output = Result<Self::User, AuthError>> + Send {
        (**self).map(claims)
    }
}

/// A [`ClaimsMapper`] from a synchronous function of the claims; see [`from_fn`].
#[derive(Debug, Clone, Copy)]
pub struct FnMapper<F>(F);

/// A [`ClaimsMapper`] that builds the user from the claims alone.
///
/// ```
/// use auth_core::jwt::{self, Claims, HasSubject, RolesClaim};
/// use auth_core::AuthError;
///
/// struct User { id: String, roles: Vec<String> }
///
/// impl HasSubject for User {
///     fn canonical_subject(&self) -> std::borrow::Cow<'_, str> {
///         self.id.as_str().into()
///     }
/// }
///
/// let mapper = jwt::from_fn(|claims: &Claims<'_>| -> Result<User, AuthError> {
///     Ok(User {
///         id: claims.subject().to_owned(),
///         roles: claims.roles(&RolesClaim::keycloak_realm())?,
///     })
/// });
/// # let _ = mapper;
/// ```
pub fn from_fn<F, U>(map: F) -> FnMapper<F>
where
    F: Fn(&Claims<'_>) -> Result<U, AuthError> + Send + Sync,
    U: HasSubject + Send + Sync + 'static,
{
    FnMapper(map)
}

impl<F, U> ClaimsMapper for FnMapper<F>
where
    F: Fn(&Claims<'_>) -> Result<U, AuthError> + Send + Sync,
    U: HasSubject + Send + Sync + 'static,
{
    type User = U;

    fn map(&self, claims: &Claims<'_>) -> impl Future<Output = Result<U, AuthError>> + Send {
        std::future::ready((self.0)(claims))
    }
}

/// Where a token carries roles: a claim path, one member name per segment.
///
/// ```
/// use auth_core::jwt::RolesClaim;
///
/// let keycloak = RolesClaim::path("realm_access.roles");
/// let client = RolesClaim::keycloak_client("orders-api"); // resource_access.orders-api.roles
/// let flat = RolesClaim::top_level("roles");
/// # let _ = (keycloak, client, flat);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolesClaim {
    segments: Vec<String>,
}

impl RolesClaim {
    /// A top-level claim, e.g. `roles` or `groups`. Dots are part of the name.
    pub fn top_level(name: impl Into<String>) -> Self {
        RolesClaim {
            segments: vec![name.into()],
        }
    }

    /// A dotted path of nested members, e.g. `realm_access.roles`.
    pub fn path(dotted: &str) -> Self {
        RolesClaim {
            segments: dotted.split('.').map(str::to_owned).collect(),
        }
    }

    /// A path given segment by segment, for member names that contain dots.
    pub fn segments<I, S>(segments: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RolesClaim {
            segments: segments.into_iter().map(Into::into).collect(),
        }
    }

    /// Keycloak's realm roles: `realm_access.roles`.
    pub fn keycloak_realm() -> Self {
        RolesClaim::path("realm_access.roles")
    }

    /// Keycloak's roles of one client: `resource_access.<client_id>.roles`.
    pub fn keycloak_client(client_id: impl Into<String>) -> Self {
        RolesClaim::segments([
            "resource_access".to_owned(),
            client_id.into(),
            "roles".to_owned(),
        ])
    }

    pub(crate) fn segments_iter(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().map(String::as_str)
    }
}

/// A ready-made user: the subject and its roles, read from the token.
///
/// Roles read from a token are as old as the token; use your own [`ClaimsMapper`]
/// that reloads the user when a demotion must take effect before the token expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    subject: String,
    roles: Vec<String>,
}

impl Principal {
    /// The subject (`sub`).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The roles, in token order.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }
}

/// The subject is the token's `sub`, as it was: canonical by construction.
impl HasSubject for Principal {
    fn canonical_subject(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.subject)
    }
}

impl HasRoles for Principal {
    fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// Maps claims to a [`Principal`], reading roles at a [`RolesClaim`] if one is set.
///
/// ```
/// use auth_core::jwt::{PrincipalMapper, RolesClaim};
///
/// let mapper = PrincipalMapper::new().roles(RolesClaim::keycloak_realm());
/// # let _ = mapper;
/// ```
#[derive(Debug, Clone, Default)]
pub struct PrincipalMapper {
    roles: Option<RolesClaim>,
}

impl PrincipalMapper {
    /// A mapper that reads the subject only.
    pub fn new() -> Self {
        PrincipalMapper::default()
    }

    /// Also reads roles at `claim`.
    #[must_use]
    pub fn roles(mut self, claim: RolesClaim) -> Self {
        self.roles = Some(claim);
        self
    }
}

impl ClaimsMapper for PrincipalMapper {
    type User = Principal;

    fn map(
        &self,
        claims: &Claims<'_>,
    ) -> impl Future<Output = Result<Principal, AuthError>> + Send {
        let principal = match &self.roles {
            Some(at) => claims.roles(at),
            None => Ok(Vec::new()),
        }
        .map(|roles| Principal {
            subject: claims.subject().to_owned(),
            roles,
        })
        .map_err(AuthError::from);
        std::future::ready(principal)
    }
}
