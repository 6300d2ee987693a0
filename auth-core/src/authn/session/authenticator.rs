//! [`SessionAuthenticator`]: a session cookie verified, its user reloaded, its
//! unsafe requests checked for forgery.

use std::fmt;
use std::sync::Arc;

use http::request::Parts;

use super::{ConfigError, SessionStore, Sessions, csrf};
use crate::authn::cross_site::is_websocket_handshake;
use crate::authn::cross_site::{self, CrossSiteCheck};
use crate::{AuthError, Authenticator, Identity, LoadUser, Mechanism, Scopes, TokenError};

/// The scopes a session grants: a fixed set, or a function of the user.
enum ScopeRule<U> {
    Fixed(Scopes),
    Of(Arc<dyn Fn(&U) -> Scopes + Send + Sync>),
}

/// Authenticates a request by its session cookie.
///
/// For each request, in this order (the first failure answers):
///
/// | step | failure |
/// |---|---|
/// | the cookie `__Host-<name>`, once | absent: [`AuthError::MissingCredentials`] (401, no `error`); twice or not an id: 401 [`TokenError::Malformed`], without a store lookup |
/// | the session in the store | store down: 503 [`AuthError::Unavailable`] with `Retry-After: 1`, never an allow; unknown (never issued, logged out, rotated away): 401 [`TokenError::Revoked`] |
/// | idle and absolute timeouts | 401 [`TokenError::Expired`], and the session is deleted |
/// | the user, reloaded by [`LoadUser`] | gone: 401 [`TokenError::UnknownSubject`]; a demoted user is reloaded demoted |
/// | on an unsafe method or a WebSocket handshake: the cross-site check | 403 [`AuthError::Forbidden`], the audit reason naming the header |
/// | on an unsafe method: the `X-CSRF-Token` header equals the session's token | 403, the audit reason saying missing or wrong token |
/// | the last-seen instant is written (only that field) | session destroyed meanwhile: 401 [`TokenError::Revoked`] |
///
/// So an authentication failure (401) always wins over a forgery refusal (403),
/// and a refused request does not extend the session.
///
/// The [`Identity`] it returns: [`Mechanism::Session`], the session's subject, as
/// `token_id` the session's non-secret [handle](super::SessionId::handle),
/// `issued_at` the login, `expires_at` the sooner of the idle and the absolute
/// expiry, `auth_time`, `amr` and `acr` from the record, and the scopes of
/// [`scopes`](SessionAuthenticatorBuilder::scopes) or
/// [`scopes_of`](SessionAuthenticatorBuilder::scopes_of): **none by default**. A
/// session is a first-party browser login, not a delegated grant, so gates on it
/// are usually roles and permissions of the reloaded user; give scopes only when
/// handlers shared with OAuth clients gate on them.
///
/// ```
/// use auth_core::{authenticate, AuthError, LoadUser};
/// use auth_core::session::{MemorySessionStore, SessionAuthenticator, Sessions};
///
/// struct Users;
/// impl LoadUser for Users {
///     type User = String;
///     async fn load(&self, subject: &str) -> Result<Option<String>, AuthError> {
///         Ok((subject == "user-1").then(|| "Alice".to_owned()))
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sessions = Sessions::builder(MemorySessionStore::new()).cookie_name("sid").build()?;
/// let authenticator = SessionAuthenticator::builder(sessions.clone(), Users)
///     .trusted_origin("https://app.example.com")
///     .build()?;
///
/// let login = sessions.login("user-1", &["pwd"], None).await?;
/// let cookie = format!("__Host-sid={}", login.id().expose_secret());
///
/// // An unsafe request from the app, with the CSRF token of the login response.
/// let (request, ()) = http::Request::post("/orders")
///     .header("cookie", &cookie)
///     .header("origin", "https://app.example.com")
///     .header("x-csrf-token", login.csrf_token())
///     .body(())?
///     .into_parts();
/// let alice = authenticate(&authenticator, &request).await?;
/// assert_eq!(alice.user(), "Alice");
///
/// // The same without the token: a 403, after the session verified.
/// let (forged, ()) = http::Request::post("/orders")
///     .header("cookie", &cookie)
///     .header("origin", "https://app.example.com")
///     .body(())?
///     .into_parts();
/// let refused = authenticate(&authenticator, &forged).await.unwrap_err();
/// assert_eq!(refused.status(), 403);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct SessionAuthenticator<S, L: LoadUser> {
    sessions: Sessions<S>,
    loader: L,
    cross_site: CrossSiteCheck,
    csrf_token: bool,
    scopes: ScopeRule<L::User>,
}

impl<S, L: LoadUser> fmt::Debug for SessionAuthenticator<S, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionAuthenticator")
            .field("sessions", &self.sessions)
            .field("cross_site", &self.cross_site)
            .field("csrf_token", &self.csrf_token)
            .finish_non_exhaustive()
    }
}

/// Sets up a [`SessionAuthenticator`]. Every forgery defense is on unless turned
/// off by a `dangerous_*` method:
///
/// | setting | default | opt-out |
/// |---|---|---|
/// | CSRF token | required in `X-CSRF-Token` on unsafe methods | [`dangerous_without_csrf_token`](Self::dangerous_without_csrf_token) |
/// | cross-site check | unsafe methods and WebSocket handshakes need `Sec-Fetch-Site: same-origin` or a trusted `Origin` (none unless [`trusted_origin`](Self::trusted_origin)) | [`dangerous_without_cross_site_check`](Self::dangerous_without_cross_site_check) |
/// | scopes | none | [`scopes`](Self::scopes), [`scopes_of`](Self::scopes_of) |
#[must_use]
pub struct SessionAuthenticatorBuilder<S, L: LoadUser> {
    sessions: Sessions<S>,
    loader: L,
    trusted_origins: Vec<String>,
    cross_site_check: bool,
    csrf_token: bool,
    scopes: ScopeRule<L::User>,
}

impl<S, L: LoadUser> fmt::Debug for SessionAuthenticatorBuilder<S, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionAuthenticatorBuilder")
            .field("trusted_origins", &self.trusted_origins)
            .field("cross_site_check", &self.cross_site_check)
            .field("csrf_token", &self.csrf_token)
            .finish_non_exhaustive()
    }
}

impl<S: SessionStore, L: LoadUser> SessionAuthenticator<S, L> {
    /// Authenticates by the sessions of `sessions`, reloading each request's user
    /// with `loader`.
    pub fn builder(sessions: Sessions<S>, loader: L) -> SessionAuthenticatorBuilder<S, L> {
        SessionAuthenticatorBuilder {
            sessions,
            loader,
            trusted_origins: Vec::new(),
            cross_site_check: true,
            csrf_token: true,
            scopes: ScopeRule::Fixed(Scopes::none()),
        }
    }

    /// The sessions it verifies.
    pub fn sessions(&self) -> &Sessions<S> {
        &self.sessions
    }

    /// The 403 of a request that may be forged, if it is one.
    fn refuse_forgery(&self, request: &Parts, csrf_token: &str) -> Result<(), AuthError> {
        self.cross_site
            .check(request)
            .map_err(|refusal| AuthError::forbidden(refusal.to_string()))?;
        if self.csrf_token {
            csrf::check(request, csrf_token)
                .map_err(|refusal| AuthError::forbidden(refusal.reason()))?;
        }
        Ok(())
    }
}

impl<S: SessionStore, L: LoadUser> SessionAuthenticatorBuilder<S, L> {
    /// Trusts pages of `origin` (`https://host[:port]`, as a browser sends it) to
    /// send unsafe requests with the session cookie: a front end on another
    /// origin. Without one, only pages of this very origin can (`Sec-Fetch-Site:
    /// same-origin`). Call again to trust several. A value that is not an origin
    /// is a [`ConfigError::InvalidTrustedOrigin`] at `build`.
    pub fn trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted_origins.push(origin.into());
        self
    }

    /// Accepts unsafe requests with the cookie from any site, as long as they
    /// carry the CSRF token: no cross-site check. The token alone still stops a
    /// forgery that cannot read it; this drops the defense in depth against one
    /// that can (a script on a sibling subdomain that reads a response). Calling
    /// [`trusted_origin`](Self::trusted_origin) too is a
    /// [`ConfigError::TrustedOriginWithoutCrossSiteCheck`].
    pub fn dangerous_without_cross_site_check(mut self) -> Self {
        self.cross_site_check = false;
        self
    }

    /// Accepts unsafe requests without the `X-CSRF-Token` header: the cross-site
    /// check alone defends against forgery. Only for clients that cannot keep the
    /// token (plain HTML forms without it) and browsers that all send
    /// `Sec-Fetch-Site` or `Origin`.
    pub fn dangerous_without_csrf_token(mut self) -> Self {
        self.csrf_token = false;
        self
    }

    /// Grants `scopes` to every session.
    pub fn scopes(mut self, scopes: Scopes) -> Self {
        self.scopes = ScopeRule::Fixed(scopes);
        self
    }

    /// Grants each session the scopes `of` its reloaded user, e.g. every scope
    /// its roles allow.
    pub fn scopes_of(mut self, of: impl Fn(&L::User) -> Scopes + Send + Sync + 'static) -> Self {
        self.scopes = ScopeRule::Of(Arc::new(of));
        self
    }

    /// The authenticator.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidTrustedOrigin`] or
    /// [`ConfigError::TrustedOriginWithoutCrossSiteCheck`].
    pub fn build(self) -> Result<SessionAuthenticator<S, L>, ConfigError> {
        let cross_site = if self.cross_site_check {
            let trusted = self
                .trusted_origins
                .into_iter()
                .map(|origin| {
                    cross_site::serialize_origin(origin.as_bytes())
                        .ok_or(ConfigError::InvalidTrustedOrigin { origin })
                })
                .collect::<Result<_, _>>()?;
            CrossSiteCheck::On { trusted }
        } else if self.trusted_origins.is_empty() {
            CrossSiteCheck::Off
        } else {
            return Err(ConfigError::TrustedOriginWithoutCrossSiteCheck);
        };
        Ok(SessionAuthenticator {
            sessions: self.sessions,
            loader: self.loader,
            cross_site,
            csrf_token: self.csrf_token,
            scopes: self.scopes,
        })
    }
}

/// How long a client should wait before retrying after the store failed.
const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

impl<S: SessionStore, L: LoadUser> Authenticator for SessionAuthenticator<S, L> {
    type User = L::User;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<L::User>, AuthError> {
        let id = self.sessions.id(&request.headers)?;
        // A safe request (no CSRF token, no cross-site check to pass) is
        // authenticated by the session alone: load and touch in one store call,
        // one round trip on Redis. An unsafe one is touched only after it passed
        // every check, so a refused forgery never extends the session.
        let safe = request.method.is_safe() && !is_websocket_handshake(request);
        let live = if safe {
            self.sessions.open_and_touch(&id).await
        } else {
            self.sessions.open(&id).await
        }
        .map_err(|error| error.or_retry_after(RETRY_AFTER))?;
        let record = live.record;
        let user = self
            .loader
            .load(&record.subject)
            .await
            .map_err(|error| error.or_retry_after(RETRY_AFTER))?
            .ok_or(AuthError::InvalidToken(TokenError::UnknownSubject))?;
        self.refuse_forgery(request, &record.csrf_token)?;
        let expires_at = self.sessions.expires_at(&record, live.now);
        if !safe {
            let touched = self
                .sessions
                .store()
                .touch(id.key(), live.now, expires_at)
                .await
                .map_err(|error| error.or_retry_after(RETRY_AFTER))?;
            if !touched {
                return Err(TokenError::Revoked.into());
            }
        }
        let scopes = match &self.scopes {
            ScopeRule::Fixed(scopes) => scopes.clone(),
            ScopeRule::Of(of) => of(&user),
        };
        let mut identity = Identity::new(user, record.subject, Mechanism::Session)
            .token_id(id.handle())
            .issued_at(record.created_at)
            .expires_at(expires_at)
            .auth_time(record.auth_time)
            .amr(record.amr)
            .scopes(scopes);
        if let Some(acr) = record.acr {
            identity = identity.acr(acr);
        }
        if let Some(tenant) = L::tenant(identity.user()) {
            let tenant = tenant.to_owned();
            identity = identity.tenant(tenant);
        }
        Ok(identity)
    }
    /// The session cookie.
    fn schemes(&self) -> Vec<crate::Scheme> {
        vec![crate::Scheme::cookie(self.sessions.cookie().name())]
    }
}
