//! The [`Authenticator`] trait: how a credential becomes an [`Authenticated`].

use std::future::Future;
use std::sync::Arc;

use http::request::Parts;

use crate::audit;
use crate::{AuthError, Authenticated, Identity, Scheme};

/// Verifies the credential of a request.
///
/// Implement it to plug a credential kind into the library: the JWT bearer
/// authenticator (`auth_core::jwt`) is one, and framework adapters run whichever you
/// configure. It receives the request head only (method, URI, headers, and the
/// framework's request extensions where it has them: axum's, not actix-web's),
/// never the body.
///
/// Implementing this trait is the one sanctioned way to vouch for a principal, and
/// it is a real door: whatever [`Identity`] an implementation returns becomes an
/// [`Authenticated`] principal, which every gate and policy then trusts. Treat an
/// implementation as security code: return [`AuthError::MissingCredentials`] when
/// no credential was sent, [`AuthError::InvalidToken`] when one was sent and
/// failed, [`AuthError::Unavailable`] when a store it needs did not answer, and an
/// [`Identity`] only after verifying it. The
/// [authorization matrix](crate::inventory::Matrix) lists every authenticator
/// the program puts to use, so an audit sees each door (`SECURITY.md` says more).
///
/// ```
/// use auth_core::{authenticate, AuthError, Authenticator, Identity, Mechanism, TokenError};
/// use http::request::Parts;
///
/// /// Accepts one fixed API key. (A real one compares in constant time and hashes keys.)
/// struct OneKey;
///
/// impl Authenticator for OneKey {
///     type User = String;
///
///     async fn authenticate(&self, request: &Parts) -> Result<Identity<String>, AuthError> {
///         match request.headers.get("x-api-key") {
///             None => Err(AuthError::MissingCredentials),
///             Some(key) if key == "k-123" => {
///                 Ok(Identity::new("robot".to_owned(), "robot", Mechanism::ApiKey))
///             }
///             Some(_) => Err(TokenError::InvalidSignature.into()),
///         }
///     }
/// }
///
/// # tokio_test(async {
/// let (parts, ()) = http::Request::builder()
///     .header("x-api-key", "k-123")
///     .body(())
///     .unwrap()
///     .into_parts();
/// let robot = authenticate(&OneKey, &parts).await.unwrap();
/// assert_eq!(robot.subject(), "robot");
/// # });
/// # fn tokio_test(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub trait Authenticator: Send + Sync {
    /// The principal this authenticator produces.
    type User: Send + Sync + 'static;

    /// Verifies the request's credential.
    fn authenticate(
        &self,
        request: &Parts,
    ) -> impl Future<Output = Result<Identity<Self::User>, AuthError>> + Send;

    /// Where the credentials it reads travel: one `WWW-Authenticate` challenge
    /// each in its 401s, and what a [`Chain`](crate::Chain) looks for to pick
    /// the one authenticator a request is for. [`Scheme::Bearer`] unless
    /// overridden.
    fn schemes(&self) -> Vec<Scheme> {
        vec![Scheme::Bearer]
    }
}

impl<A: Authenticator + ?Sized> Authenticator for &A {
    type User = A::User;

    fn authenticate(
        &self,
        request: &Parts,
    ) -> impl Future<Output = Result<Identity<Self::User>, AuthError>> + Send {
        (**self).authenticate(request)
    }

    fn schemes(&self) -> Vec<Scheme> {
        (**self).schemes()
    }
}

impl<T: Authenticator + ?Sized> Authenticator for Box<T> {
    type User = T::User;

    fn authenticate(
        &self,
        request: &Parts,
    ) -> impl Future<Output = Result<Identity<Self::User>, AuthError>> + Send {
        (**self).authenticate(request)
    }

    fn schemes(&self) -> Vec<Scheme> {
        (**self).schemes()
    }
}

impl<T: Authenticator + ?Sized> Authenticator for Arc<T> {
    type User = T::User;

    fn authenticate(
        &self,
        request: &Parts,
    ) -> impl Future<Output = Result<Identity<Self::User>, AuthError>> + Send {
        (**self).authenticate(request)
    }

    fn schemes(&self) -> Vec<Scheme> {
        (**self).schemes()
    }
}

/// Runs `authenticator` on `request`: the one way to obtain an [`Authenticated`].
///
/// Framework adapters call it for you; call it yourself from anything that has an
/// [`http::request::Parts`] (hyper, tonic, lambda, a test). Each outcome is
/// recorded as an audit event ([`crate::audit`]).
///
/// ```
/// use auth_core::jwt::{HmacAlgorithm, JwtAuthenticator, KeySet, PrincipalMapper, VerifyingKey};
/// use auth_core::revocation::MemoryRevocationStore;
/// use auth_core::{AuthError, authenticate};
///
/// let keys = KeySet::single(VerifyingKey::hmac(HmacAlgorithm::HS256, b"an example secret of 32 bytes...")?);
/// let jwt = JwtAuthenticator::builder(keys, PrincipalMapper::new())
///     .revocation(MemoryRevocationStore::new())
///     .build()?;
///
/// // A request without a credential: 401, with the challenge of each scheme.
/// let (request, ()) = http::Request::get("/orders").body(())?.into_parts();
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let refused = authenticate(&jwt, &request).await.unwrap_err();
/// assert!(matches!(refused, AuthError::MissingCredentials));
/// assert_eq!(refused.status(), 401);
/// # });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// Whatever the authenticator answered: [`AuthError::MissingCredentials`] when no
/// credential was sent, [`AuthError::InvalidToken`] when it failed verification,
/// [`AuthError::InvalidRequest`] when the request was malformed, and
/// [`AuthError::Unavailable`] when a store it needs could not be reached.
pub async fn authenticate<A>(
    authenticator: &A,
    request: &Parts,
) -> Result<Authenticated<A::User>, AuthError>
where
    A: Authenticator + ?Sized,
{
    record_in_inventory(std::any::type_name::<A>(), || authenticator.schemes());
    match authenticator.authenticate(request).await {
        Ok(mut identity) => {
            identity = identity.with_memo();
            if !identity.has_context() {
                identity = identity.context(crate::context::RequestContext::of(
                    request,
                    &crate::context::TrustedProxies::none(),
                ));
            }
            audit::authenticated(identity.info());
            Ok(Authenticated::from_identity(identity))
        }
        Err(error) => {
            audit::authentication_failed(&error);
            Err(error)
        }
    }
}

/// Adds the authenticator type `name` to the inventory, once per thread and name:
/// a scan of a few names on every request, a lock only the first time. The name
/// is the compiler's, so a door cannot list itself as another; a
/// `SharedAuthenticator` was listed under the type it wraps when it was made.
fn record_in_inventory(name: &'static str, schemes: impl FnOnce() -> Vec<Scheme>) {
    if is_shared(name) {
        return;
    }
    thread_local! {
        static SEEN: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let first = SEEN.with(|seen| {
        let Ok(mut seen) = seen.try_borrow_mut() else {
            return false;
        };
        if seen.contains(&name) {
            false
        } else {
            seen.push(name);
            true
        }
    });
    if first {
        crate::inventory::record_authenticator(name, None, &schemes());
    }
}

/// Whether `name` is a `SharedAuthenticator` itself, or a reference, `Box` or
/// `Arc` of one: the type it wraps is what the inventory lists. Anything else
/// (a composite over a shared authenticator, say) is a door of its own.
fn is_shared(name: &str) -> bool {
    let mut name = name;
    loop {
        name = name.trim_start_matches('&').trim_start_matches("mut ");
        match name
            .strip_prefix("alloc::boxed::Box<")
            .or_else(|| name.strip_prefix("alloc::sync::Arc<"))
        {
            Some(inner) => name = inner,
            None => break,
        }
    }
    // The compiler's own spelling, not a literal: `type_name` names the module that
    // defines the type (`auth_core::authn::authenticator`), not the public path, so
    // a literal would silently stop matching when the module moves.
    let shared = std::any::type_name::<SharedAuthenticator<()>>();
    let shared = shared.strip_suffix("<()>").unwrap_or(shared);
    name.strip_prefix(shared)
        .is_some_and(|rest| rest.starts_with('<'))
}

/// A cloneable, type-erased [`Authenticator`] with the realm its challenges name:
/// what framework adapters keep in application state.
///
/// Each `SharedAuthenticator` made by [`new`](Self::new) (or renamed by
/// [`with_realm`](Self::with_realm)) is its own authenticator for the adapters'
/// per-request cache: a principal it verified is reused only by its clones, never
/// by another `SharedAuthenticator` of the same user type, however routers, layers
/// and scopes nest.
///
/// ```
/// # use auth_core::{AuthError, Authenticator, Identity};
/// # struct Jwt;
/// # impl Authenticator for Jwt {
/// #     type User = ();
/// #     async fn authenticate(&self, _: &http::request::Parts) -> Result<Identity<()>, AuthError> {
/// #         Err(AuthError::MissingCredentials)
/// #     }
/// # }
/// use auth_core::SharedAuthenticator;
///
/// let authenticator = SharedAuthenticator::new(Jwt).with_realm("orders-api");
/// assert_eq!(authenticator.realm(), "orders-api");
/// ```
pub struct SharedAuthenticator<U> {
    inner: Arc<dyn ErasedAuthenticator<U>>,
    realm: Arc<str>,
    /// What the wrapped authenticator's [`Authenticator::schemes`] said when
    /// it was wrapped.
    schemes: Arc<[Scheme]>,
    /// Which authenticator this is, for the adapters' per-request cache.
    id: u64,
    name: &'static str,
    /// Whose `X-Forwarded-For` the request context believes.
    proxies: Arc<crate::context::TrustedProxies>,
}

/// A fresh identity for a `SharedAuthenticator`: never zero, never reused.
fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

type IdentityFuture<'a, U> =
    std::pin::Pin<Box<dyn Future<Output = Result<Identity<U>, AuthError>> + Send + 'a>>;

trait ErasedAuthenticator<U>: Send + Sync {
    fn authenticate_boxed<'a>(&'a self, request: &'a Parts) -> IdentityFuture<'a, U>;
}

impl<A: Authenticator> ErasedAuthenticator<A::User> for A {
    fn authenticate_boxed<'a>(&'a self, request: &'a Parts) -> IdentityFuture<'a, A::User> {
        Box::pin(self.authenticate(request))
    }
}

impl<U: Send + Sync + 'static> SharedAuthenticator<U> {
    /// Wraps `authenticator`. The realm is empty (left out of challenges) until
    /// [`with_realm`](Self::with_realm) names one.
    pub fn new<A>(authenticator: A) -> Self
    where
        A: Authenticator<User = U> + 'static,
    {
        let name = std::any::type_name::<A>();
        let schemes = authenticator.schemes();
        if !is_shared(name) {
            crate::inventory::record_authenticator(name, None, &schemes);
        }
        SharedAuthenticator {
            schemes: schemes.into(),
            inner: Arc::new(authenticator),
            realm: Arc::from(""),
            id: next_id(),
            name,
            proxies: Arc::default(),
        }
    }

    /// Names the protection space in `WWW-Authenticate` challenges, e.g. the
    /// service name. The result is another authenticator for the adapters'
    /// per-request cache: principals carry the realm they were verified for.
    #[must_use]
    pub fn with_realm(mut self, realm: impl Into<Arc<str>>) -> Self {
        self.realm = realm.into();
        self.id = next_id();
        if !is_shared(self.name) {
            crate::inventory::record_authenticator(self.name, Some(&self.realm), &self.schemes);
        }
        self
    }

    /// Believes the `X-Forwarded-For` of requests whose TCP peer is one of
    /// `proxies`, for the client address of the request context
    /// ([`RequestContext::client`](crate::context::RequestContext::client)).
    /// By default no proxy is trusted: the client is the peer.
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: crate::context::TrustedProxies) -> Self {
        self.proxies = Arc::new(proxies);
        self
    }

    /// The realm challenges name.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The `WWW-Authenticate` challenges of `error` for `request`: one per
    /// [`Scheme`] the authenticator reads, in its realm, the `error` attributes
    /// on the scheme(s) the request presented. Empty when `error` calls for no
    /// challenge (a 403, a 503). Framework adapters send each as a header of its
    /// own.
    ///
    /// ```
    /// # use auth_core::{AuthError, Authenticator, Identity, Scheme, SharedAuthenticator};
    /// struct KeyOrBearer;
    /// impl Authenticator for KeyOrBearer {
    ///     type User = ();
    ///     async fn authenticate(&self, _: &http::request::Parts) -> Result<Identity<()>, AuthError> {
    ///         Err(AuthError::MissingCredentials)
    ///     }
    ///     fn schemes(&self) -> Vec<Scheme> {
    ///         vec![Scheme::Bearer, Scheme::header(http::HeaderName::from_static("x-api-key"))]
    ///     }
    /// }
    ///
    /// let shared = SharedAuthenticator::new(KeyOrBearer).with_realm("api");
    /// let (request, ()) = http::Request::new(()).into_parts();
    /// assert_eq!(
    ///     shared.challenges(&AuthError::MissingCredentials, &request),
    ///     [r#"Bearer realm="api""#, r#"ApiKey realm="api", header="x-api-key""#],
    /// );
    /// ```
    pub fn challenges(&self, error: &AuthError, request: &Parts) -> Vec<String> {
        if error.challenge(&self.realm).is_none() {
            return Vec::new();
        }
        crate::authn::scheme::challenges(&self.schemes, &self.realm, error, request)
    }

    #[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
    pub(crate) fn realm_arc(&self) -> Arc<str> {
        Arc::clone(&self.realm)
    }

    /// Which authenticator this is: shared by clones, distinct for every `new`
    /// and `with_realm`.
    #[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl<U> Clone for SharedAuthenticator<U> {
    fn clone(&self) -> Self {
        SharedAuthenticator {
            inner: Arc::clone(&self.inner),
            realm: Arc::clone(&self.realm),
            schemes: Arc::clone(&self.schemes),
            id: self.id,
            name: self.name,
            proxies: Arc::clone(&self.proxies),
        }
    }
}

impl<U> std::fmt::Debug for SharedAuthenticator<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedAuthenticator")
            .field("authenticator", &self.name)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl<U: Send + Sync + 'static> Authenticator for SharedAuthenticator<U> {
    type User = U;

    fn schemes(&self) -> Vec<Scheme> {
        self.schemes.to_vec()
    }

    async fn authenticate(&self, request: &Parts) -> Result<Identity<U>, AuthError> {
        let mut identity = self.inner.authenticate_boxed(request).await?;
        if !identity.has_context() {
            identity = identity.context(crate::context::RequestContext::of(request, &self.proxies));
        }
        if identity.has_realm() || self.realm.is_empty() {
            Ok(identity)
        } else {
            Ok(identity.realm(Arc::clone(&self.realm)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{SharedAuthenticator, is_shared};
    use std::any::type_name;
    use std::sync::Arc;

    /// The inventory skips a `SharedAuthenticator` (and a reference, `Box` or `Arc`
    /// of one) by the name the compiler gives its type: pinned here, so that moving
    /// the module cannot make every shared authenticator a door of its own.
    #[test]
    fn a_shared_authenticator_is_recognised_by_its_type_name() {
        assert!(is_shared(type_name::<SharedAuthenticator<u8>>()));
        assert!(is_shared(type_name::<&SharedAuthenticator<u8>>()));
        assert!(is_shared(type_name::<Box<SharedAuthenticator<u8>>>()));
        assert!(is_shared(type_name::<Arc<SharedAuthenticator<u8>>>()));
        assert!(!is_shared(type_name::<Option<SharedAuthenticator<u8>>>()));
        assert!(!is_shared(type_name::<u8>()));
    }
}
