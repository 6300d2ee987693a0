//! [`Chain`]: one route, several ways in.

use std::fmt;

use http::request::Parts;

use crate::{AuthError, Authenticator, Identity, Scheme, SharedAuthenticator};

/// Several authenticators of one principal type, for routes that accept several
/// kinds of credential (a bearer token, a session cookie, an API key).
///
/// A request is handed to the one authenticator whose credential it carries,
/// found by each authenticator's [`schemes`](Authenticator::schemes) without
/// verifying anything:
///
/// - **none** carried: 401 with no `error`, and one `WWW-Authenticate` challenge
///   per scheme of the chain, so the client learns every way in;
/// - **one**: that authenticator decides, alone. A credential it refuses is a
///   401 (an outage a 503): the chain never falls back to another scheme, nor
///   to a guest;
/// - **two or more** (say a session cookie *and* an API key): 400
///   `invalid_request`. Which one should win is a guess an attacker could steer
///   (a stolen low-privilege key beside a victim's cookie), so neither does.
///
/// Guests are not a fallback either: a guest holds a credential of its own
/// (a guest token) and is authenticated like anyone else, as
/// [`Mechanism::Guest`](crate::Mechanism::Guest).
///
/// ```
/// use auth_core::{AuthError, Authenticator, Chain, Identity, Mechanism, Scheme};
/// use http::request::Parts;
///
/// struct Keys;
/// impl Authenticator for Keys {
///     type User = String;
///     async fn authenticate(&self, request: &Parts) -> Result<Identity<String>, AuthError> {
///         let _key = request.headers.get("x-api-key").ok_or(AuthError::MissingCredentials)?;
///         Ok(Identity::new("robot".to_owned(), "robot", Mechanism::ApiKey))
///     }
///     fn schemes(&self) -> Vec<Scheme> {
///         vec![Scheme::header(http::HeaderName::from_static("x-api-key"))]
///     }
/// }
///
/// struct Tokens;
/// impl Authenticator for Tokens {
///     type User = String;
///     async fn authenticate(&self, _: &Parts) -> Result<Identity<String>, AuthError> {
///         Ok(Identity::new("alice".to_owned(), "alice", Mechanism::BearerToken))
///     }
/// }
///
/// let chain = Chain::new(Tokens).or(Keys)?;
/// assert_eq!(chain.schemes().len(), 2);
///
/// # tokio_test(async {
/// let both = http::Request::builder()
///     .header("authorization", "Bearer x")
///     .header("x-api-key", "oak_y")
///     .body(())
///     .unwrap()
///     .into_parts()
///     .0;
/// let refused = chain.authenticate(&both).await.unwrap_err();
/// assert_eq!(refused.status().as_u16(), 400);
/// # });
/// # fn tokio_test(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// # Ok::<(), auth_core::OverlappingSchemes>(())
/// ```
pub struct Chain<U> {
    members: Vec<Member<U>>,
}

struct Member<U> {
    authenticator: SharedAuthenticator<U>,
    schemes: Vec<Scheme>,
}

/// Why [`Chain::or`] refused an authenticator: it reads a scheme an earlier
/// member already reads, so every such credential would be two credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "two authenticators of a chain read the same credential ({scheme:?}): give each its own scheme"
)]
pub struct OverlappingSchemes {
    /// The scheme both read.
    pub scheme: Scheme,
}

impl<U: Send + Sync + 'static> Chain<U> {
    /// A chain of one authenticator.
    pub fn new<A>(first: A) -> Self
    where
        A: Authenticator<User = U> + 'static,
    {
        Chain {
            members: vec![Member::new(first)],
        }
    }

    /// Adds `next`, which must read schemes no earlier member reads.
    ///
    /// # Errors
    /// [`OverlappingSchemes`] when `next` reads a scheme of an earlier member (two
    /// bearer authenticators, say): such a request could not be told apart, and
    /// would always be a 400.
    pub fn or<A>(mut self, next: A) -> Result<Self, OverlappingSchemes>
    where
        A: Authenticator<User = U> + 'static,
    {
        let member = Member::new(next);
        for scheme in &member.schemes {
            let taken = self
                .members
                .iter()
                .flat_map(|member| &member.schemes)
                .any(|known| known == scheme);
            if taken {
                return Err(OverlappingSchemes {
                    scheme: scheme.clone(),
                });
            }
        }
        self.members.push(member);
        Ok(self)
    }
}

impl<U: Send + Sync + 'static> Member<U> {
    fn new<A>(authenticator: A) -> Self
    where
        A: Authenticator<User = U> + 'static,
    {
        let schemes = authenticator.schemes();
        Member {
            authenticator: SharedAuthenticator::new(authenticator),
            schemes,
        }
    }

    fn is_presented(&self, request: &Parts) -> bool {
        self.schemes
            .iter()
            .any(|scheme| scheme.is_presented(request))
    }
}

impl<U: Send + Sync + 'static> Authenticator for Chain<U> {
    type User = U;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<U>, AuthError> {
        let mut presented = self
            .members
            .iter()
            .filter(|member| member.is_presented(request));
        let Some(member) = presented.next() else {
            return Err(AuthError::MissingCredentials);
        };
        if presented.next().is_some() {
            return Err(AuthError::invalid_request(
                "the request carries more than one credential; send one",
            ));
        }
        member.authenticator.authenticate(request).await
    }

    fn schemes(&self) -> Vec<Scheme> {
        self.members
            .iter()
            .flat_map(|member| member.schemes.iter().cloned())
            .collect()
    }
}

impl<U> fmt::Debug for Chain<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.members.iter().map(|member| &member.authenticator))
            .finish()
    }
}
