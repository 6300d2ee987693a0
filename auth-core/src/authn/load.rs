//! [`LoadUser`]: the source of truth an authenticator re-reads the principal from.

use std::future::Future;
use std::sync::Arc;

use crate::AuthError;

/// Loads the principal for a subject from the source of truth, on every request.
///
/// The server-side credentials (sessions, API keys) remember *who*, never *what
/// they may do*: an authenticator that verified one asks this loader for the user
/// behind its subject each time, so a demoted admin or a deleted account loses
/// access at once, on every instance.
///
/// Answer `Ok(None)` for a subject that no longer exists (the request is a 401),
/// and [`AuthError::Unavailable`] when the store cannot answer (a 503, never an
/// allow).
///
/// ```
/// use std::collections::HashMap;
/// use auth_core::{AuthError, LoadUser};
///
/// #[derive(Clone)]
/// struct User { id: String, admin: bool }
///
/// struct Users(HashMap<String, User>);
///
/// impl LoadUser for Users {
///     type User = User;
///
///     async fn load(&self, subject: &str) -> Result<Option<User>, AuthError> {
///         Ok(self.0.get(subject).cloned())
///     }
/// }
/// ```
pub trait LoadUser: Send + Sync {
    /// The principal.
    type User: Send + Sync + 'static;

    /// The user known by `subject`, or `None` if there is none any more.
    fn load(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Option<Self::User>, AuthError>> + Send;

    /// The tenant `user` belongs to, in a multi-tenant service
    /// ([`AuthInfo::tenant`](crate::AuthInfo::tenant)): read from the user
    /// record just loaded, so a session or an API key is always in its user's
    /// current tenant. `None` (the default) for no tenant.
    fn tenant(user: &Self::User) -> Option<&str> {
        let _ = user;
        None
    }
}

impl<L: LoadUser + ?Sized> LoadUser for &L {
    type User = L::User;

    fn tenant(user: &Self::User) -> Option<&str> {
        L::tenant(user)
    }

    fn load(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Option<Self::User>, AuthError>> + Send {
        (**self).load(subject)
    }
}

impl<L: LoadUser + ?Sized> LoadUser for Box<L> {
    type User = L::User;

    fn tenant(user: &Self::User) -> Option<&str> {
        L::tenant(user)
    }

    fn load(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Option<Self::User>, AuthError>> + Send {
        (**self).load(subject)
    }
}

impl<L: LoadUser + ?Sized> LoadUser for Arc<L> {
    type User = L::User;

    fn tenant(user: &Self::User) -> Option<&str> {
        L::tenant(user)
    }

    fn load(
        &self,
        subject: &str,
    ) -> impl Future<Output = Result<Option<Self::User>, AuthError>> + Send {
        (**self).load(subject)
    }
}
