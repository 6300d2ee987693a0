//! [`Sessions`]: making, rotating and ending sessions, and their data, for the
//! endpoints that do it (login, step-up, logout).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};

use super::{ConfigError, Opened, SessionCookie, SessionId, SessionRecord, SessionStore, csrf};
use crate::{AuthError, TokenError};

/// The clock sessions are timed by.
type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The sessions of a service: its [`SessionStore`], its [`SessionCookie`] and its
/// timeouts. Cheap to clone (clones share everything); give one clone to the
/// [`SessionAuthenticator`](super::SessionAuthenticator) and keep one for the
/// login, step-up and logout endpoints.
///
/// ```
/// use auth_core::session::{MemorySessionStore, Sessions};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sessions = Sessions::builder(MemorySessionStore::new()).cookie_name("sid").build()?;
///
/// // At login, after checking the password: a fresh session, never the client's id.
/// let new = sessions.login("user-1", &["pwd"], None).await?;
/// // Send `new.cookie()` as `Set-Cookie`, and `new.csrf_token()` in the body.
/// assert!(new.cookie().to_str()?.starts_with("__Host-sid="));
///
/// // The client sends the cookie back; the data API writes one key at a time.
/// let mut headers = http::HeaderMap::new();
/// headers.insert("cookie", format!("__Host-sid={}", new.id().expose_secret()).parse()?);
/// let id = sessions.id(&headers)?;
/// sessions.set(&id, "theme", "dark").await?;
/// assert_eq!(sessions.increment(&id, "visits", 1).await?, 1);
///
/// // Logout: the session is gone, and the browser is told to forget the cookie.
/// let clear = sessions.logout(&headers).await?;
/// assert!(clear.to_str()?.ends_with("Max-Age=0"));
/// assert!(sessions.get(&id, "theme").await.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Sessions<S> {
    inner: Arc<Inner<S>>,
}

struct Inner<S> {
    store: S,
    cookie: SessionCookie,
    idle: Duration,
    absolute: Duration,
    clock: Clock,
}

impl<S> Clone for Sessions<S> {
    fn clone(&self) -> Self {
        Sessions {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S> fmt::Debug for Sessions<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("cookie", &self.inner.cookie.name())
            .field("idle_timeout", &self.inner.idle)
            .field("absolute_timeout", &self.inner.absolute)
            .finish_non_exhaustive()
    }
}

/// Sets up [`Sessions`]. Every default is the secure one:
///
/// | setting | default | why |
/// |---|---|---|
/// | cookie | `__Host-session`; `Secure; HttpOnly; SameSite=Lax; Path=/`, no `Domain` ([`SessionCookie`]) | only this host, only over HTTPS, no script access |
/// | idle timeout | 30 minutes ([`Sessions::DEFAULT_IDLE_TIMEOUT`]) | an unattended browser stops being signed in |
/// | absolute timeout | 12 hours ([`Sessions::DEFAULT_ABSOLUTE_TIMEOUT`]) | a stolen id stops working, however busy |
/// | clock | [`SystemTime::now`] | tests inject their own |
#[must_use]
pub struct SessionsBuilder<S> {
    store: S,
    cookie_name: String,
    idle: Duration,
    absolute: Duration,
    clock: Clock,
}

impl<S> fmt::Debug for SessionsBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionsBuilder")
            .field("cookie_name", &self.cookie_name)
            .field("idle_timeout", &self.idle)
            .field("absolute_timeout", &self.absolute)
            .finish_non_exhaustive()
    }
}

impl<S: SessionStore> SessionsBuilder<S> {
    /// Names the cookie `__Host-<name>` (default `__Host-session`). `name` must be
    /// an RFC 6265 token, else `build` fails with
    /// [`ConfigError::InvalidCookieName`].
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// Ends a session unused for `timeout` (default 30 minutes). Each
    /// authenticated request restarts it.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle = timeout;
        self
    }

    /// Ends a session `timeout` after its login, however it is used (default 12
    /// hours). Rotation does not restart it.
    pub fn absolute_timeout(mut self, timeout: Duration) -> Self {
        self.absolute = timeout;
        self
    }

    /// Times sessions by `now` instead of [`SystemTime::now`]: for tests, which
    /// can then expire a session without sleeping. A store with its own expiry
    /// (Redis) still forgets sessions by its own clock at the instants this clock
    /// gave.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(now);
        self
    }

    /// The sessions.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidCookieName`], [`ConfigError::ZeroTimeout`] or
    /// [`ConfigError::IdleLongerThanAbsolute`].
    pub fn build(self) -> Result<Sessions<S>, ConfigError> {
        let cookie = SessionCookie::new(&self.cookie_name)?;
        for (which, timeout) in [("idle", self.idle), ("absolute", self.absolute)] {
            if timeout.is_zero() {
                return Err(ConfigError::ZeroTimeout { which });
            }
        }
        if self.idle > self.absolute {
            return Err(ConfigError::IdleLongerThanAbsolute);
        }
        Ok(Sessions {
            inner: Arc::new(Inner {
                store: self.store,
                cookie,
                idle: self.idle,
                absolute: self.absolute,
                clock: self.clock,
            }),
        })
    }
}

/// A session just made (by [`Sessions::login`]) or moved to a new id (by
/// [`Sessions::rotate`]): what the endpoint sends back.
#[must_use]
pub struct NewSession {
    id: SessionId,
    cookie: HeaderValue,
    csrf_token: String,
    expires_at: SystemTime,
}

impl NewSession {
    /// The `Set-Cookie` value to send with the response.
    pub fn cookie(&self) -> &HeaderValue {
        &self.cookie
    }

    /// The CSRF token, for the response body: the client sends it back in
    /// `X-CSRF-Token` on every unsafe request. Not a secret from the user (the
    /// page reads it), but from other sites: never put it in a URL.
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
    }

    /// The new id (a secret; the cookie carries it).
    pub fn id(&self) -> &SessionId {
        &self.id
    }

    /// The session's non-secret handle, for logs.
    pub fn handle(&self) -> String {
        self.id.handle()
    }

    /// When the session ends if it is not used again: the idle timeout from now,
    /// or the absolute expiry if sooner.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("handle", &self.handle())
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What changes when a session moves to a new id ([`Sessions::rotate`]): always
/// the id and the CSRF token; the subject, data, creation instant and absolute
/// expiry never; `amr`, `acr` and `auth_time` when given (a step-up).
///
/// ```
/// use std::time::SystemTime;
/// use auth_core::session::Rotation;
///
/// // After a second factor:
/// let step_up = Rotation::new()
///     .amr(["pwd", "otp"])
///     .acr("urn:example:mfa")
///     .auth_time(SystemTime::now());
/// # let _ = step_up;
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Rotation {
    amr: Option<Vec<String>>,
    acr: Option<String>,
    auth_time: Option<SystemTime>,
}

impl Rotation {
    /// A new id and CSRF token, nothing else changed (e.g. a role change).
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the authentication methods.
    pub fn amr<I, M>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = M>,
        M: Into<String>,
    {
        self.amr = Some(methods.into_iter().map(Into::into).collect());
        self
    }

    /// Replaces the authentication context class.
    pub fn acr(mut self, acr: impl Into<String>) -> Self {
        self.acr = Some(acr.into());
        self
    }

    /// Sets when the user last actively authenticated.
    pub fn auth_time(mut self, at: SystemTime) -> Self {
        self.auth_time = Some(at);
        self
    }
}

/// A session found live: its record, and the instant it was checked at.
pub(crate) struct Live {
    pub(crate) record: SessionRecord,
    pub(crate) now: SystemTime,
}

impl<S: SessionStore> Sessions<S> {
    /// The default idle timeout: 30 minutes (OWASP's upper bound for most
    /// applications).
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
    /// The default absolute timeout: 12 hours (a working day).
    pub const DEFAULT_ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(12 * 60 * 60);

    /// Sets up sessions kept in `store`; see [`SessionsBuilder`] for the defaults.
    pub fn builder(store: S) -> SessionsBuilder<S> {
        SessionsBuilder {
            store,
            cookie_name: SessionCookie::DEFAULT_NAME.to_owned(),
            idle: Self::DEFAULT_IDLE_TIMEOUT,
            absolute: Self::DEFAULT_ABSOLUTE_TIMEOUT,
            clock: Arc::new(SystemTime::now),
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// The cookie.
    pub fn cookie(&self) -> &SessionCookie {
        &self.inner.cookie
    }

    /// The idle timeout.
    pub fn idle_timeout(&self) -> Duration {
        self.inner.idle
    }

    /// The absolute timeout.
    pub fn absolute_timeout(&self) -> Duration {
        self.inner.absolute
    }

    pub(crate) fn now(&self) -> SystemTime {
        (self.inner.clock)()
    }

    /// Starts a session for `subject`, who just proved who they are by `amr`
    /// (e.g. `["pwd"]`), at context class `acr` if stated; `auth_time` is now.
    ///
    /// The id is always fresh from the random number generator: a login never
    /// takes over an id the client sent (session fixation). If the request came
    /// with an old session, end it with [`logout`](Self::logout) first.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store or the random number generator
    /// cannot answer.
    pub async fn login(
        &self,
        subject: &str,
        amr: &[&str],
        acr: Option<&str>,
    ) -> Result<NewSession, AuthError> {
        let now = self.now();
        let id = SessionId::generate()?;
        let record = SessionRecord {
            subject: subject.to_owned(),
            created_at: now,
            last_seen_at: now,
            absolute_expiry: now.checked_add(self.inner.absolute).unwrap_or(now),
            csrf_token: csrf::new_token()?,
            amr: amr.iter().map(|&m| m.to_owned()).collect(),
            acr: acr.map(str::to_owned),
            auth_time: now,
        };
        let expires_at = self.expires_at(&record, now);
        self.inner
            .store
            .create(id.key(), &record, expires_at)
            .await?;
        Ok(self.issued(id, record.csrf_token, expires_at))
    }

    /// Moves the session of the request (its cookie in `headers`) to a new id
    /// and CSRF token, applying `rotation`: at every privilege change (step-up,
    /// role change). The old id is dead at once, on every instance sharing the
    /// store; the data carries over.
    ///
    /// # Errors
    ///
    /// As [`rotate_id`](Self::rotate_id), and [`AuthError::MissingCredentials`]
    /// or [`AuthError::InvalidToken`] when `headers` carry no valid cookie.
    pub async fn rotate(
        &self,
        headers: &HeaderMap,
        rotation: Rotation,
    ) -> Result<NewSession, AuthError> {
        self.rotate_id(&self.id(headers)?, rotation).await
    }

    /// Moves the session `old` to a new id; see [`rotate`](Self::rotate).
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidToken`] when `old` is unknown, expired, or was rotated
    /// or destroyed meanwhile (only one of two concurrent rotations wins);
    /// [`AuthError::Unavailable`] when the store cannot answer.
    pub async fn rotate_id(
        &self,
        old: &SessionId,
        rotation: Rotation,
    ) -> Result<NewSession, AuthError> {
        let Live { mut record, now } = self.open(old).await?;
        let new = SessionId::generate()?;
        record.csrf_token = csrf::new_token()?;
        record.last_seen_at = now;
        if let Some(amr) = rotation.amr {
            record.amr = amr;
        }
        if let Some(acr) = rotation.acr {
            record.acr = Some(acr);
        }
        if let Some(at) = rotation.auth_time {
            record.auth_time = at;
        }
        let expires_at = self.expires_at(&record, now);
        if !self
            .inner
            .store
            .rotate(old.key(), new.key(), &record, expires_at)
            .await?
        {
            return Err(TokenError::Revoked.into());
        }
        Ok(self.issued(new, record.csrf_token, expires_at))
    }

    /// Ends the session of the request, if it sent one, and returns the
    /// `Set-Cookie` value that clears the cookie. The same cookie is then a 401
    /// on every instance that shares the store. A request without a valid cookie
    /// still gets the clearing value: logout is idempotent.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer: the session may
    /// still be alive, so do not tell the user they are signed out.
    pub async fn logout(&self, headers: &HeaderMap) -> Result<HeaderValue, AuthError> {
        if let Ok(id) = self.id(headers) {
            self.inner.store.destroy(id.key()).await?;
        }
        Ok(self.inner.cookie.clear())
    }

    /// Ends the session `id`. `false` if there was none.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer.
    pub async fn destroy(&self, id: &SessionId) -> Result<bool, AuthError> {
        self.inner.store.destroy(id.key()).await
    }

    /// Ends every session of `subject` (sign out everywhere; after a password
    /// change), returning how many.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the store cannot answer.
    pub async fn destroy_all_for(&self, subject: &str) -> Result<u64, AuthError> {
        self.inner.store.destroy_all_for(subject).await
    }

    /// The session id in the request's cookie; see [`SessionCookie::id_in`].
    ///
    /// # Errors
    ///
    /// [`AuthError::MissingCredentials`] without the cookie,
    /// [`AuthError::InvalidToken`] when it is sent twice or malformed.
    pub fn id(&self, headers: &HeaderMap) -> Result<SessionId, AuthError> {
        self.inner.cookie.id_in(headers)
    }

    /// The `Set-Cookie` value that clears the cookie.
    pub fn clear_cookie(&self) -> HeaderValue {
        self.inner.cookie.clear()
    }

    /// The value of data key `field` of session `id`, or `None` if unset. Values
    /// are strings: store JSON as its text.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidToken`]`(`[`TokenError::Revoked`]`)` when the session
    /// is gone; [`AuthError::Unavailable`] when the store cannot answer.
    pub async fn get(&self, id: &SessionId, field: &str) -> Result<Option<String>, AuthError> {
        let value = self.inner.store.get(id.key(), field).await?;
        if value.is_none() && self.inner.store.load(id.key()).await?.is_none() {
            return Err(TokenError::Revoked.into());
        }
        Ok(value)
    }

    /// Sets data key `field` of session `id` to `value`, and only that key: a
    /// concurrent request setting another key keeps its write.
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidToken`]`(`[`TokenError::Revoked`]`)` when the session
    /// is gone; [`AuthError::Unavailable`] when the store cannot answer.
    pub async fn set(&self, id: &SessionId, field: &str, value: &str) -> Result<(), AuthError> {
        if self.inner.store.set(id.key(), field, value).await? {
            Ok(())
        } else {
            Err(TokenError::Revoked.into())
        }
    }

    /// Removes data key `field` of session `id`.
    ///
    /// # Errors
    ///
    /// As [`set`](Self::set).
    pub async fn remove(&self, id: &SessionId, field: &str) -> Result<(), AuthError> {
        if self.inner.store.remove(id.key(), field).await? {
            Ok(())
        } else {
            Err(TokenError::Revoked.into())
        }
    }

    /// Adds `by` to the integer in data key `field` (unset counts as 0) in one
    /// atomic step, and returns the sum: concurrent increments all count.
    ///
    /// # Errors
    ///
    /// As [`set`](Self::set), and [`AuthError::Misconfigured`] when the key
    /// holds something other than an integer.
    pub async fn increment(&self, id: &SessionId, field: &str, by: i64) -> Result<i64, AuthError> {
        self.inner
            .store
            .increment(id.key(), field, by)
            .await?
            .ok_or(AuthError::InvalidToken(TokenError::Revoked))
    }

    /// The live session `id`: known to the store, within both timeouts. An
    /// expired session is deleted on the way.
    pub(crate) async fn open(&self, id: &SessionId) -> Result<Live, AuthError> {
        let record = self
            .inner
            .store
            .load(id.key())
            .await?
            .ok_or(AuthError::InvalidToken(TokenError::Revoked))?;
        let now = self.now();
        if self.is_expired(&record, now) {
            if let Err(error) = self.inner.store.destroy(id.key()).await {
                // The answer is a 401 anyway; the store's own expiry catches up.
                tracing::warn!(session = %id.handle(), error = %error, "could not delete an expired session");
            }
            return Err(TokenError::Expired.into());
        }
        Ok(Live { record, now })
    }

    /// [`open`](Self::open) and the touch of a request that is authenticated
    /// at once (a safe method: no CSRF token to check after the session), in one
    /// store call ([`SessionStore::open`]): one round trip on Redis.
    pub(crate) async fn open_and_touch(&self, id: &SessionId) -> Result<Live, AuthError> {
        let now = self.now();
        match self
            .inner
            .store
            .open(id.key(), now, self.inner.idle)
            .await?
        {
            Opened::Live(record) => Ok(Live { record, now }),
            Opened::Missing => Err(AuthError::InvalidToken(TokenError::Revoked)),
            Opened::Expired => {
                if let Err(error) = self.inner.store.destroy(id.key()).await {
                    tracing::warn!(session = %id.handle(), error = %error, "could not delete an expired session");
                }
                Err(TokenError::Expired.into())
            }
        }
    }

    fn is_expired(&self, record: &SessionRecord, now: SystemTime) -> bool {
        super::store::is_expired(record, now, self.inner.idle)
    }

    /// When a session used at `now` ends if unused: the idle timeout from now,
    /// or its absolute expiry if sooner.
    pub(crate) fn expires_at(&self, record: &SessionRecord, now: SystemTime) -> SystemTime {
        super::store::expiry(record, now, self.inner.idle)
    }

    fn issued(&self, id: SessionId, csrf_token: String, expires_at: SystemTime) -> NewSession {
        NewSession {
            cookie: self.inner.cookie.set(&id),
            id,
            csrf_token,
            expires_at,
        }
    }
}
