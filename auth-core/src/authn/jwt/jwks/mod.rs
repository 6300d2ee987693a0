//! [`RemoteKeySet`]: a JWK Set fetched over HTTPS, cached, and kept current.

mod discovery;
mod error;
mod fetch;
mod refresh;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;

use self::fetch::{ClientSettings, HttpFetcher};
use self::refresh::{Location, Policy, Shared};
use super::key_source::Keys;
use super::{Algorithm, KeySet};
use crate::AuthError;

pub use self::error::JwksError;

/// How often the key set is fetched when nothing asks sooner: 10 minutes.
///
/// This is also the longest a removed key stays trusted while the endpoint answers.
/// A shorter `Cache-Control: max-age` on the response brings the next fetch forward
/// (never below [`DEFAULT_MIN_FETCH_INTERVAL`], or the configured minimum).
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(600);

/// The shortest time between two fetches a request can cause: 30 seconds.
///
/// A token with an unknown `kid` (a rotation, or an attacker spraying random ones)
/// causes at most one fetch per interval; every other such token in that interval is
/// refused at once without a fetch. Also the delay before retrying a failed fetch.
pub const DEFAULT_MIN_FETCH_INTERVAL: Duration = Duration::from_secs(30);

/// The longest one fetch may take, connection, TLS, discovery and body included:
/// 10 seconds.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest the TCP connection may take to open: 5 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest response accepted: 256 KiB. A JWK Set of 100 RSA keys is about
/// 50 KiB.
pub const DEFAULT_MAX_JWKS_BYTES: usize = 256 * 1024;

/// The smallest minimum fetch interval accepted.
const MIN_FETCH_INTERVAL_FLOOR: Duration = Duration::from_secs(1);

/// The longest refresh interval accepted: a key the provider removed stays trusted
/// this long.
const MAX_REFRESH_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// A JWK Set fetched from a URL (or found through OIDC discovery),
/// cached, refreshed in the background, and re-fetched when a token names an
/// unknown `kid`, at most once per interval.
///
/// Give it to [`JwtAuthenticator::builder`](super::JwtAuthenticator::builder) in
/// place of a [`KeySet`]:
///
/// ```no_run
/// use auth_core::jwt::{Algorithm, JwtAuthenticator, PrincipalMapper, RemoteKeySet};
/// use auth_core::revocation::MemoryRevocationStore;
///
/// # async fn configure() -> Result<(), Box<dyn std::error::Error>> {
/// // Fetched now: an error here means the endpoint could not be used at startup.
/// let keys = RemoteKeySet::from_url("https://login.example.com/.well-known/jwks.json")
///     .pin_algorithm(Algorithm::RS256) // RS256 keys only; also for keys without `alg`
///     .fetch()
///     .await?;
///
/// let authenticator = JwtAuthenticator::builder(keys, PrincipalMapper::new())
///     .issuer("https://login.example.com/")
///     .audience("orders-api")
///     .revocation(MemoryRevocationStore::new())
///     .build()?;
/// # let _ = authenticator;
/// # Ok(())
/// # }
/// ```
///
/// Or from the issuer's OIDC discovery document, whose `issuer` must be
/// exactly the configured one:
///
/// ```no_run
/// # async fn configure() -> Result<(), Box<dyn std::error::Error>> {
/// use auth_core::jwt::RemoteKeySet;
///
/// let keys = RemoteKeySet::from_issuer("https://keycloak.example.com/realms/shop")
///     .fetch() // GET <issuer>/.well-known/openid-configuration, then its `jwks_uri`
///     .await?;
/// # Ok(())
/// # }
/// ```
///
/// # What a request sees
///
/// Requests verify with the cached keys and never wait for the network, except:
///
/// - a token whose `kid` is not in the cached set, when the last fetch is older than
///   the [minimum interval](RemoteKeySetBuilder::min_fetch_interval): it waits for
///   one fetch (bounded by the [timeout](RemoteKeySetBuilder::timeout)), shared with
///   every other request that needs it, and is verified again with the new keys.
///   Within the interval it is refused at once (401 `invalid_token`);
/// - no key set was ever fetched (see [`start_empty`](RemoteKeySetBuilder::start_empty)):
///   the same one fetch, and a 503 ([`AuthError::Unavailable`], component
///   `"key set"`) if it fails.
///
/// # When the endpoint fails
///
/// A fetch that fails — connection refused, slow beyond the timeout, a status other
/// than 200, a redirect, a body over the size limit, a document the JWK Set loader
/// refuses — changes no key: the cached set stays in use, a `tracing` warning says
/// why, and the next attempt comes after the minimum interval. The loader's rules
/// all apply ([`KeySet::from_jwk_set`]): keys not for signatures are skipped, and a
/// key that claims to verify but cannot be trusted refuses the whole document. An
/// identical document changes nothing; a changed one replaces the whole set, so a
/// key removed by the provider stops verifying at the next fetch, and tokens cached
/// by the [verified-token cache](super::JwtAuthenticatorBuilder::verified_token_cache)
/// are verified again.
///
/// # Transport
///
/// HTTPS only, on rustls with the AWS-LC provider, trusting the system's root
/// certificates (plus any [added](RemoteKeySetBuilder::add_root_certificate_pem)).
/// `http://` is refused unless [`dangerous_allow_http`](RemoteKeySetBuilder::dangerous_allow_http)
/// is called. Redirects are never followed (the location is configuration, not
/// something a response decides); proxies are not used (`HTTPS_PROXY` is ignored);
/// host names must be ASCII (punycode for internationalized names).
///
/// # Defaults
///
/// | setting | default |
/// |---|---|
/// | [`refresh_interval`](RemoteKeySetBuilder::refresh_interval) | [`DEFAULT_REFRESH_INTERVAL`] (10 min), at most 1 day; earlier on a shorter `Cache-Control: max-age` |
/// | [`min_fetch_interval`](RemoteKeySetBuilder::min_fetch_interval) | [`DEFAULT_MIN_FETCH_INTERVAL`] (30 s), at least 1 s |
/// | [`timeout`](RemoteKeySetBuilder::timeout) | [`DEFAULT_FETCH_TIMEOUT`] (10 s) for a whole fetch |
/// | [`connect_timeout`](RemoteKeySetBuilder::connect_timeout) | [`DEFAULT_CONNECT_TIMEOUT`] (5 s) |
/// | [`max_response_bytes`](RemoteKeySetBuilder::max_response_bytes) | [`DEFAULT_MAX_JWKS_BYTES`] (256 KiB) |
/// | algorithm | each key's own `alg`; [`pin_algorithm`](RemoteKeySetBuilder::pin_algorithm) to pin one |
/// | `http://` | refused |
///
/// Clones share the cache and the background task, which stops when the last clone
/// is dropped. It needs a Tokio runtime (with the timer and I/O drivers enabled).
#[derive(Clone)]
pub struct RemoteKeySet {
    shared: Arc<Shared>,
}

impl RemoteKeySet {
    /// Starts configuring a key set fetched from `url`, an identity provider's
    /// `jwks_uri`.
    pub fn from_url(url: impl Into<String>) -> RemoteKeySetBuilder {
        RemoteKeySetBuilder::new(Target::Jwks(url.into()))
    }

    /// Starts configuring a key set found through OIDC discovery:
    /// `<issuer>/.well-known/openid-configuration` is fetched, its `issuer` must equal
    /// `issuer` exactly, and its `jwks_uri` is then fetched (and kept: discovery is
    /// not repeated once it succeeded).
    pub fn from_issuer(issuer: impl Into<String>) -> RemoteKeySetBuilder {
        RemoteKeySetBuilder::new(Target::Issuer(issuer.into()))
    }

    /// The keys in use now; `None` before the first successful fetch.
    pub fn keys(&self) -> Option<Arc<KeySet>> {
        self.shared.current().map(|keys| keys.set)
    }

    /// The issuer, for a key set configured with [`from_issuer`](Self::from_issuer).
    pub fn issuer(&self) -> Option<&str> {
        match &self.shared.location {
            Location::Issuer { issuer, .. } => Some(issuer),
            Location::Jwks(_) => None,
        }
    }

    /// The keys for a request; one fetch (within the rate limit) if there are none
    /// yet, and 503 if that fails.
    pub(crate) async fn current_or_fetch(&self) -> Result<Keys, AuthError> {
        if let Some(keys) = self.shared.current() {
            return Ok(keys);
        }
        self.shared
            .newer_than(0)
            .await
            .ok_or_else(|| AuthError::unavailable("key set", JwksError::NotFetched))
    }

    /// Keys newer than generation `seen`, fetched if the rate limit allows.
    pub(crate) async fn newer_than(&self, seen: u64) -> Option<Keys> {
        self.shared.newer_than(seen).await
    }
}

impl fmt::Debug for RemoteKeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("RemoteKeySet");
        match &self.shared.location {
            Location::Jwks(url) => debug.field("url", &format_args!("{url}")),
            Location::Issuer { issuer, .. } => debug.field("issuer", issuer),
        };
        let current = self.shared.current();
        debug
            .field(
                "generation",
                &current.as_ref().map_or(0, |keys| keys.generation),
            )
            .field("keys", &current.as_ref().map(|keys| &keys.set))
            .finish_non_exhaustive()
    }
}

enum Target {
    Jwks(String),
    Issuer(String),
}

/// Configures a [`RemoteKeySet`]; see [`RemoteKeySet::from_url`] and
/// [`RemoteKeySet::from_issuer`]. Nothing is checked or fetched until
/// [`fetch`](Self::fetch) or [`start_empty`](Self::start_empty).
#[must_use = "call `.fetch().await` or `.start_empty()` to get the key set"]
pub struct RemoteKeySetBuilder {
    target: Target,
    pinned: Option<Algorithm>,
    refresh_interval: Duration,
    min_fetch_interval: Duration,
    timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: usize,
    allow_http: bool,
    extra_roots_pem: Vec<Vec<u8>>,
}

impl RemoteKeySetBuilder {
    fn new(target: Target) -> Self {
        RemoteKeySetBuilder {
            target,
            pinned: None,
            refresh_interval: DEFAULT_REFRESH_INTERVAL,
            min_fetch_interval: DEFAULT_MIN_FETCH_INTERVAL,
            timeout: DEFAULT_FETCH_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_JWKS_BYTES,
            allow_http: false,
            extra_roots_pem: Vec::new(),
        }
    }

    /// Pins every key to `algorithm`: keys without `alg` get it, keys for another
    /// algorithm are skipped ([`KeySet::from_jwk_set_pinned`]). For providers that
    /// publish keys without `alg`, and to accept one algorithm only.
    pub fn pin_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.pinned = Some(algorithm);
        self
    }

    /// How often the key set is fetched in the background;
    /// [`DEFAULT_REFRESH_INTERVAL`] unless set. At least the
    /// [minimum fetch interval](Self::min_fetch_interval), at most 1 day.
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// The shortest time between two fetches caused by requests (unknown `kid`, no
    /// keys yet) or by a short `Cache-Control: max-age`, and the delay before a
    /// failed fetch is retried; [`DEFAULT_MIN_FETCH_INTERVAL`] unless set, at least
    /// 1 s.
    pub fn min_fetch_interval(mut self, interval: Duration) -> Self {
        self.min_fetch_interval = interval;
        self
    }

    /// The longest one fetch may take, discovery, connection, TLS and body
    /// included; [`DEFAULT_FETCH_TIMEOUT`] unless set. A request waiting for a fetch
    /// waits at most this long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest the TCP connection may take to open;
    /// [`DEFAULT_CONNECT_TIMEOUT`] unless set.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest response body accepted, in bytes; [`DEFAULT_MAX_JWKS_BYTES`]
    /// unless set. Applies to the discovery document too.
    pub fn max_response_bytes(mut self, max: usize) -> Self {
        self.max_response_bytes = max;
        self
    }

    /// Also trusts the root certificates in `pem` (one or more `CERTIFICATE`
    /// blocks), for a provider behind a private certificate authority. The system's
    /// roots stay trusted.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots_pem.push(pem.into());
        self
    }

    /// Allows `http://` URLs, for the configured URL, the issuer and a discovered
    /// `jwks_uri`. Anyone on the network path can then replace the keys and forge
    /// every token: only for tests on loopback, or a provider reached over a channel
    /// secured otherwise.
    pub fn dangerous_allow_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    /// Checks the configuration, fetches the key set once, and starts the
    /// background refresh. The service starts only with keys it can verify with.
    ///
    /// # Errors
    ///
    /// A configuration [`JwksError`] (URL, setting, TLS roots, no Tokio runtime), or
    /// the error of the first fetch.
    pub async fn fetch(self) -> Result<RemoteKeySet, JwksError> {
        let shared = self.shared()?;
        shared.fetch_first().await?;
        shared.start_refresher();
        Ok(RemoteKeySet { shared })
    }

    /// Checks the configuration and starts without keys: the first fetch starts at
    /// once in the background. Until one succeeds, requests fail closed with 503
    /// ([`AuthError::Unavailable`], component `"key set"`); a request may itself
    /// cause a fetch, at most once per [minimum interval](Self::min_fetch_interval).
    /// For services that must start while the provider is down.
    ///
    /// # Errors
    ///
    /// A configuration [`JwksError`]; nothing is fetched yet. Call it from inside a
    /// Tokio runtime ([`JwksError::NoRuntime`] otherwise).
    pub fn start_empty(self) -> Result<RemoteKeySet, JwksError> {
        let shared = self.shared()?;
        shared.start_refresher();
        Ok(RemoteKeySet { shared })
    }

    fn shared(self) -> Result<Arc<Shared>, JwksError> {
        if self.min_fetch_interval < MIN_FETCH_INTERVAL_FLOOR {
            return Err(JwksError::InvalidSetting {
                setting: "min_fetch_interval",
                actual: self.min_fetch_interval,
                expected: "at least 1 s: it is what keeps unknown `kid`s from causing a fetch each",
            });
        }
        if self.refresh_interval < self.min_fetch_interval
            || self.refresh_interval > MAX_REFRESH_INTERVAL
        {
            return Err(JwksError::InvalidSetting {
                setting: "refresh_interval",
                actual: self.refresh_interval,
                expected: "at least the minimum fetch interval and at most 1 day (a removed key stays trusted that long)",
            });
        }
        if self.timeout.is_zero() {
            return Err(JwksError::InvalidSetting {
                setting: "timeout",
                actual: self.timeout,
                expected: "more than zero",
            });
        }
        if self.connect_timeout.is_zero() {
            return Err(JwksError::InvalidSetting {
                setting: "connect_timeout",
                actual: self.connect_timeout,
                expected: "more than zero",
            });
        }
        if self.max_response_bytes == 0 {
            return Err(JwksError::ZeroResponseLimit);
        }
        let location = match self.target {
            Target::Jwks(url) => Location::Jwks(fetch::check_url(&url, self.allow_http)?),
            Target::Issuer(issuer) => {
                fetch::check_url(&issuer, self.allow_http)?;
                if issuer.contains('?') {
                    return Err(JwksError::InvalidUrl {
                        url: issuer,
                        reason: "an issuer has no query (OIDC Discovery 1.0 §2)",
                    });
                }
                let discovery = fetch::check_url(&discovery::url(&issuer), self.allow_http)?;
                Location::Issuer { issuer, discovery }
            }
        };
        let runtime = Handle::try_current().map_err(|_| JwksError::NoRuntime)?;
        let fetcher = HttpFetcher::new(&ClientSettings {
            connect_timeout: self.connect_timeout,
            max_response_bytes: self.max_response_bytes,
            allow_http: self.allow_http,
            extra_roots_pem: &self.extra_roots_pem,
        })?;
        Ok(Shared::new(
            location,
            Policy {
                refresh_interval: self.refresh_interval,
                min_fetch_interval: self.min_fetch_interval,
                timeout: self.timeout,
                pinned: self.pinned,
                allow_http: self.allow_http,
            },
            fetcher,
            runtime,
        ))
    }
}

impl fmt::Debug for RemoteKeySetBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("RemoteKeySetBuilder");
        match &self.target {
            Target::Jwks(url) => debug.field("url", url),
            Target::Issuer(issuer) => debug.field("issuer", issuer),
        };
        debug
            .field("pinned", &self.pinned)
            .field("refresh_interval", &self.refresh_interval)
            .field("min_fetch_interval", &self.min_fetch_interval)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("allow_http", &self.allow_http)
            .field("extra_roots", &self.extra_roots_pem.len())
            .finish()
    }
}
