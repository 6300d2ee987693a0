//! [`JwtAuthenticator`]: the bearer-JWT [`Authenticator`], and its builder.

use std::sync::Arc;
use std::time::Duration;

use http::request::Parts;

use super::bearer::{CookieSource, CredentialSource};
use super::cache::TokenCache;
use super::jws::TypeRule;
use super::validation::{self, Validation};
use super::{Claims, ClaimsMapper, ConfigError, HasSubject as _, KeySet, KeySource};
use crate::authn::cookie_header;
use crate::authn::cross_site::{self, CrossSiteCheck};
use crate::revocation::{RevocationStore, TokenRef};
use crate::{AuthError, Authenticator, Identity, Mechanism, TokenError};

/// The `Retry-After` of a request refused because the revocation store or the
/// user store could not answer (503): soon, as a refresh's.
const STORE_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// The clock skew tolerated on `exp`, `nbf` and `iat` unless configured: 30 seconds.
///
/// Hosts that sync their clocks (NTP) drift by well under a second; 30 s covers a VM
/// resumed from suspend or a container host with a lazy clock, and adds 3% to a
/// 15-minute access token. Set 0 when every host syncs.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// The largest leeway accepted: 5 minutes. More defeats short-lived tokens.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// The largest token accepted unless configured: 8 KiB, checked before any parsing.
///
/// A JWT with an RS256 signature and a dozen claims is well under 2 KiB; 8 KiB also
/// matches the header size limit of common proxies.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;

/// How many verified tokens are cached unless configured: 4 096.
///
/// A hit skips the signature check (HS256 ≈ 7 µs, RS256 ≈ 45 µs, ES256 ≈ 110 µs
/// on a 2 GHz core) for ≈ 0.5 µs; revocation, expiry and the claims mapper still
/// run on every request, so a cached token is refused the moment it is revoked,
/// expires or its subject changes. At most ≈ 4 096 × (token + claims) bytes, a few
/// MiB. The figures are in the repository's `BENCHMARKS.md`.
pub const DEFAULT_VERIFIED_TOKEN_CACHE: usize = 4_096;

/// Verifies bearer JWTs and maps their claims to your user type.
///
/// For each request, in order:
///
/// 1. the credential: `Authorization: Bearer <token>` (RFC 6750 §2.1), or the
///    configured cookie; never the URL query. None is
///    [`AuthError::MissingCredentials`]; two are [`AuthError::InvalidRequest`];
/// 2. the size, before any parsing ([`DEFAULT_MAX_TOKEN_BYTES`]);
/// 3. the JWS: three segments of canonical base64url, a header without duplicate
///    members or unknown `crit`, the key its `kid` names, `alg` equal to that key's
///    pinned algorithm, `typ` when required, and one signature verification;
/// 4. the claims, parsed once: `exp` required, `nbf`, `iat`, `iss`, `aud`, each of
///    its registered type ([`Claims`]);
/// 5. the [`RevocationStore`], on every request, cached token or not;
/// 6. your [`ClaimsMapper`], which builds or reloads the user, and the user's
///    [canonical subject](super::HasSubject), which must be the `sub` exactly
///    (`"01"` or `" 1"` for user `"1"` is refused), so that revocation, which
///    keys on `sub`, sees one identity per user;
/// 7. for a token read from the cookie, on an unsafe method (anything but `GET`,
///    `HEAD`, `OPTIONS`, `TRACE`) or a WebSocket handshake: the cross-site check,
///    `Sec-Fetch-Site: same-origin` or a trusted `Origin` (see
///    [`cookie`](JwtAuthenticatorBuilder::cookie)).
///
/// Every failure of 2–4 is [`AuthError::InvalidToken`] with the [`TokenError`]
/// kind; a revocation store or user store that cannot answer fails closed with
/// [`AuthError::Unavailable`]; a request that fails 7 is [`AuthError::Forbidden`]
/// (403), never an anonymous request, and the audit event says which header failed.
/// It runs last so that a bad token is a 401 wherever it came from.
///
/// Every default is listed on [`JwtAuthenticatorBuilder`]; the
/// [module documentation](super) shows configurations.
pub struct JwtAuthenticator<M, S> {
    keys: KeySource,
    validation: Validation,
    typ: Option<TypeRule>,
    credentials: CredentialSource,
    max_token_bytes: usize,
    cache: Option<TokenCache>,
    tenant_claim: Option<&'static str>,
    revocation: S,
    mapper: M,
}

impl JwtAuthenticator<(), RevocationUnset> {
    /// Starts configuring an authenticator that trusts `keys` (a [`KeySet`], or with
    /// the `jwks` feature a remote key set, see [`KeySource`]) and maps claims with
    /// `mapper`. Choosing how tokens are revoked is required before
    /// [`build`](JwtAuthenticatorBuilder::build).
    pub fn builder<M: ClaimsMapper>(
        keys: impl Into<KeySource>,
        mapper: M,
    ) -> JwtAuthenticatorBuilder<M, RevocationUnset> {
        let keys = keys.into();
        let pinned_issuer = keys.issuer().map(|issuer| PinnedIssuer {
            issuer: issuer.to_owned(),
            by: KnownIssuer::Discovery,
        });
        JwtAuthenticatorBuilder {
            keys,
            mapper,
            revocation: RevocationUnset(()),
            issuer: None,
            pinned_issuer,
            any_issuer: false,
            audiences: Vec::new(),
            leeway: DEFAULT_LEEWAY,
            typ: None,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            cookie: None,
            trusted_origins: Vec::new(),
            cross_site_check: true,
            cache_capacity: Some(DEFAULT_VERIFIED_TOKEN_CACHE),
            tenant_claim: None,
        }
    }
}

impl<M, S> JwtAuthenticator<M, S>
where
    M: ClaimsMapper,
    S: RevocationStore,
{
    /// Verifies `token` outside of an HTTP request (a WebSocket message, a queue
    /// job): every check of [`authenticate`](Authenticator::authenticate) but the
    /// credential extraction.
    ///
    /// The [`Identity`] it returns proves nothing by itself; only
    /// [`crate::authenticate`] makes an [`Authenticated`](crate::Authenticated).
    ///
    /// # Errors
    ///
    /// As [`authenticate`](Authenticator::authenticate).
    pub async fn verify(&self, token: &str) -> Result<Identity<M::User>, AuthError> {
        self.verify_bytes(token.as_bytes()).await
    }

    /// The trusted keys now; `None` while a remote key set has never been fetched.
    pub fn keys(&self) -> Option<Arc<KeySet>> {
        self.keys.keys()
    }

    async fn verify_bytes(&self, token: &[u8]) -> Result<Identity<M::User>, AuthError> {
        if token.len() > self.max_token_bytes {
            return Err(TokenError::TooLarge.into());
        }
        let now = validation::unix_now();
        let keys = self.keys.current().await?;
        // Entries are keyed by the key set's generation: a token whose key was
        // removed by a rotation is verified again, and refused.
        if let Some(cache) = &self.cache
            && let Some(claims) = cache.get(token, now, keys.generation)
        {
            return self.admit(&claims).await;
        }
        let (payload, generation) = self.keys.verify(keys, token, self.typ.as_ref()).await?;
        let claims = Claims::parse(&payload)?;
        self.validation.check(&claims, now)?;
        if let Some(cache) = &self.cache {
            cache.insert(
                token,
                Arc::new(claims.clone().into_owned()),
                now,
                generation,
            );
        }
        self.admit(&claims).await
    }

    /// The checks that run on every request, cached token or not.
    async fn admit(&self, claims: &Claims<'_>) -> Result<Identity<M::User>, AuthError> {
        let token = TokenRef {
            token_id: claims.token_id(),
            session_id: claims.session_id(),
            subject: claims.subject(),
            issued_at: claims.issued_at(),
            cutoff: claims.subject_cutoff(),
        };
        // A store that cannot answer is a 503; the client may try again shortly.
        self.revocation
            .check(&token)
            .await
            .map_err(|error| error.or_retry_after(STORE_RETRY_AFTER))?;
        let user = self
            .mapper
            .map(claims)
            .await
            .map_err(|error| error.or_retry_after(STORE_RETRY_AFTER))?;
        // Revocation above keyed on `sub`: that is sound only if `sub` is the one
        // spelling of the user's id. Another spelling (`"01"` for `"1"`) would be a
        // second identity that a "log out everywhere" of the first does not reach.
        if user.canonical_subject() != claims.subject() {
            return Err(TokenError::InvalidClaim("sub").into());
        }

        let mechanism = if claims.is_guest()? {
            Mechanism::Guest
        } else {
            Mechanism::BearerToken
        };
        let mut identity = Identity::new(user, claims.subject(), mechanism)
            .expires_at(claims.expires_at())
            .scopes(claims.scopes())
            .amr(claims.amr());
        if let Some(acr) = claims.acr()? {
            identity = identity.acr(acr);
        }
        if let Some(id) = claims.token_id() {
            identity = identity.token_id(id);
        }
        if let Some(at) = claims.issued_at() {
            identity = identity.issued_at(at);
        }
        if let Some(at) = claims.auth_time() {
            identity = identity.auth_time(at);
        }
        if let Some(name) = self.tenant_claim {
            let tenant: String = claims.get(name)?.ok_or(TokenError::MissingClaim(name))?;
            if tenant.is_empty() {
                return Err(TokenError::InvalidClaim(name).into());
            }
            identity = identity.tenant(tenant);
        }
        Ok(identity)
    }
}

impl<M, S> Authenticator for JwtAuthenticator<M, S>
where
    M: ClaimsMapper,
    S: RevocationStore,
{
    type User = M::User;

    async fn authenticate(&self, request: &Parts) -> Result<Identity<M::User>, AuthError> {
        let credential = self.credentials.extract(request, self.max_token_bytes)?;
        let identity = self.verify_bytes(credential.token).await?;
        // Last, so that a token that fails verification is a 401 wherever it came
        // from (authentication failure wins, DESIGN G5).
        self.credentials.admit(&credential, request)?;
        Ok(identity)
    }

    /// `Bearer`, and the token cookie when one is configured.
    fn schemes(&self) -> Vec<crate::Scheme> {
        let mut schemes = vec![crate::Scheme::Bearer];
        if let Some(cookie) = &self.credentials.cookie {
            schemes.push(crate::Scheme::cookie(cookie.name.as_str()));
        }
        schemes
    }
}

impl<M, S> std::fmt::Debug for JwtAuthenticator<M, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuthenticator")
            .field("keys", &self.keys)
            .field("validation", &self.validation)
            .field("typ", &self.typ)
            .field("cookie", &self.credentials.cookie)
            .field("max_token_bytes", &self.max_token_bytes)
            .field("cache", &self.cache.is_some())
            .finish_non_exhaustive()
    }
}

/// Configures a [`JwtAuthenticator`]; see [`JwtAuthenticator::builder`].
///
/// # Defaults
///
/// What a builder checks when nothing more is called. Every row is a security
/// decision; the ones that weaken it are named `dangerous_*`.
///
/// | setting | default | why |
/// |---|---|---|
/// | signature, `alg` | always checked; `alg` must be the algorithm pinned to the key | RFC 8725 §3.1; no opt-out (see [`dangerous`](super::dangerous) for non-JWT payloads) |
/// | `exp` | required, checked | a token without `exp` never ends |
/// | `nbf`, `iat` | checked when present (`iat` not in the future) | a future `iat` would dodge a logout-everywhere cutoff |
/// | leeway | [`DEFAULT_LEEWAY`] (30 s), at most [`MAX_LEEWAY`] | clock drift, not token lifetime |
/// | issuer (`iss`) | **pinned** when the keys come from a known issuer: a [`RemoteKeySet::from_issuer`] (OIDC discovery) or [`TokenIssuer::authenticator_builder`](super::TokenIssuer::authenticator_builder); otherwise any, type-checked, unless [`issuer`](Self::issuer) is set | RFC 8725 §3.8: a key trusted for one issuer must not vouch for tokens claiming another; [`dangerous_accept_any_issuer`](Self::dangerous_accept_any_issuer) is the opt-out |
/// | audience (`aud`) | a token that carries one is refused | RFC 7519 §4.1.3; set [`audience`](Self::audience) |
/// | `typ` | not checked | set `at+jwt` ([`require_type`](Self::require_type)) for RFC 9068 access tokens |
/// | size limit | [`DEFAULT_MAX_TOKEN_BYTES`] (8 KiB) | checked before any parsing |
/// | credential | `Authorization: Bearer` only; never the URL query | RFC 6750 §2.3 |
/// | cookie | off ([`cookie`](Self::cookie)) | a cookie is sent by the browser on its own |
/// | cross-site check | on with a cookie: an unsafe method or WebSocket handshake with the cookie needs `Sec-Fetch-Site: same-origin` or an `Origin` from [`trusted_origin`](Self::trusted_origin) (none unless set), else 403 | cross-site request forgery; [`dangerous_without_cross_site_check`](Self::dangerous_without_cross_site_check) is the opt-out |
/// | revocation | must be chosen | [`dangerous_without_revocation`](Self::dangerous_without_revocation) is the explicit opt-out |
/// | verified-token cache | [`DEFAULT_VERIFIED_TOKEN_CACHE`] (4 096 tokens) | a repeated token skips the signature check, never revocation, expiry or the mapper; [`without_verified_token_cache`](Self::without_verified_token_cache) turns it off |
///
#[cfg_attr(
    feature = "jwks",
    doc = "[`RemoteKeySet::from_issuer`]: super::RemoteKeySet::from_issuer"
)]
#[cfg_attr(
    not(feature = "jwks"),
    doc = "[`RemoteKeySet::from_issuer`]: super#rs256-from-a-jwks-url-feature-jwks"
)]
#[must_use = "call `.build()` to get the authenticator"]
pub struct JwtAuthenticatorBuilder<M, S> {
    keys: KeySource,
    mapper: M,
    revocation: S,
    issuer: Option<String>,
    pinned_issuer: Option<PinnedIssuer>,
    any_issuer: bool,
    audiences: Vec<String>,
    leeway: Duration,
    typ: Option<String>,
    max_token_bytes: usize,
    cookie: Option<String>,
    trusted_origins: Vec<String>,
    cross_site_check: bool,
    cache_capacity: Option<usize>,
    tenant_claim: Option<&'static str>,
}

/// The issuer the keys are known to belong to, and how that is known.
#[derive(Debug, Clone)]
struct PinnedIssuer {
    issuer: String,
    by: KnownIssuer,
}

/// How the issuer of an authenticator's keys is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KnownIssuer {
    /// A remote key set found through OIDC discovery: its document named the
    /// configured issuer.
    Discovery,
    /// The keys of a [`TokenIssuer`](super::TokenIssuer), for its own tokens.
    TokenIssuer,
}

impl KnownIssuer {
    fn as_str(self) -> &'static str {
        match self {
            KnownIssuer::Discovery => "OIDC discovery",
            KnownIssuer::TokenIssuer => "the token issuer",
        }
    }
}

impl<M, S> JwtAuthenticatorBuilder<M, S> {
    /// Requires `iss` to equal `issuer`, exactly: no prefix, substring or
    /// case-insensitive match.
    ///
    /// When the keys come from a known issuer (OIDC discovery,
    /// [`TokenIssuer::authenticator_builder`](super::TokenIssuer::authenticator_builder)),
    /// `iss` is already pinned to it: naming the same issuer again is allowed, naming
    /// another is a [`ConfigError::IssuerMismatch`] at `build`, never a silent
    /// override.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Accepts any `iss` (still type-checked), even when the keys come from a known
    /// issuer that would otherwise be pinned.
    ///
    /// Tokens signed with these keys then pass whoever they claim to come from: a
    /// provider that signs for several tenants (realms, organizations) with one key
    /// set lets every tenant's tokens in. Only when your [`ClaimsMapper`] checks
    /// `iss` itself. Calling [`issuer`](Self::issuer) too is a
    /// [`ConfigError::AnyIssuerConflict`].
    pub fn dangerous_accept_any_issuer(mut self) -> Self {
        self.any_issuer = true;
        self
    }

    /// Pins `iss` to `issuer`, the issuer the keys are known to belong to.
    pub(crate) fn pinned_issuer(mut self, issuer: impl Into<String>, by: KnownIssuer) -> Self {
        self.pinned_issuer = Some(PinnedIssuer {
            issuer: issuer.into(),
            by,
        });
        self
    }

    /// Accepts tokens whose `aud` contains `audience`. Call again to accept any of
    /// several. With no audience configured, a token that carries `aud` is refused.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// The clock skew tolerated on `exp`, `nbf` and `iat`, in whole seconds;
    /// [`DEFAULT_LEEWAY`] unless set, at most [`MAX_LEEWAY`].
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Requires the header `typ` to name this media type, e.g. `at+jwt` for OAuth
    /// access tokens (RFC 9068), so an ID token cannot be used as an access token.
    /// Compared case-insensitively, with or without the `application/` prefix.
    pub fn require_type(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Reads the principal's tenant ([`AuthInfo::tenant`](crate::AuthInfo::tenant))
    /// from the claim `name` (a string), for a multi-tenant service: every token
    /// must then carry it, and one without it, or with a non-string or empty
    /// one, is a 401
    /// ([`TokenError::MissingClaim`] / [`TokenError::InvalidClaim`]). Resources
    /// that declare a tenant ([`Resource::TENANT`](crate::Resource::TENANT)) are
    /// then refused (404) across tenants. Unset, principals have no tenant.
    pub fn tenant_claim(mut self, name: &'static str) -> Self {
        self.tenant_claim = Some(name);
        self
    }

    /// The largest token accepted, in bytes; [`DEFAULT_MAX_TOKEN_BYTES`] unless set.
    pub fn max_token_bytes(mut self, max: usize) -> Self {
        self.max_token_bytes = max;
        self
    }

    /// Also reads the token from the cookie `name` (for browser clients). A request
    /// that sends both the header and the cookie is refused as ambiguous.
    ///
    /// A browser sends the cookie by itself with every request to your site,
    /// including those another site's page makes it send (cross-site request
    /// forgery). So on an unsafe method (anything but `GET`, `HEAD`, `OPTIONS` and
    /// `TRACE`, which must then change nothing), and on a WebSocket handshake (a
    /// `GET` whose socket the page that opened it can use), a request whose token
    /// came from the cookie must also show that a trusted page sent it:
    ///
    /// - `Sec-Fetch-Site: same-origin`: sent by a page of this very origin; or
    /// - an `Origin` equal to one given to [`trusted_origin`](Self::trusted_origin),
    ///   whatever `Sec-Fetch-Site` says (a front end on another origin).
    ///
    /// Anything else is a 403 ([`AuthError::Forbidden`]) whose audit event names
    /// the reason: `Sec-Fetch-Site` `cross-site`, `same-site` or `none` without a
    /// trusted `Origin`, an untrusted, `null` or malformed `Origin`, either header
    /// twice, or neither header. `Referer` and `Host` are not consulted.
    ///
    /// With no trusted origin, only browsers that send `Sec-Fetch-Site` (Chrome 76,
    /// Firefox 90, Safari 16.4 and later, over HTTPS or on `localhost`) can use the
    /// cookie on unsafe methods, from pages of the API's own origin. Tokens in the
    /// `Authorization` header are not checked: a page cannot send one it has not
    /// read. Set the cookie `HttpOnly`, `Secure` and `SameSite=Lax` or `Strict`
    /// too; this check does not depend on it.
    ///
    /// ```
    /// use auth_core::jwt::{HmacAlgorithm, JwtAuthenticator, KeySet, PrincipalMapper, VerifyingKey};
    ///
    /// let keys = KeySet::single(VerifyingKey::hmac(HmacAlgorithm::HS256, [7u8; 32])?);
    /// let authenticator = JwtAuthenticator::builder(keys, PrincipalMapper::new())
    ///     .issuer("https://auth.example.com")
    ///     .cookie("access_token")
    ///     .trusted_origin("https://app.example.com") // the SPA, on another origin
    ///     .dangerous_without_revocation()
    ///     .build()?;
    /// # let _ = authenticator;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cookie(mut self, name: impl Into<String>) -> Self {
        self.cookie = Some(name.into());
        self
    }

    /// Trusts pages of `origin` to send unsafe requests with the token cookie (see
    /// [`cookie`](Self::cookie)): their `Origin` header passes the cross-site check.
    /// Call again to trust several.
    ///
    /// `origin` is `scheme://host` or `scheme://host:port`, exactly as a browser
    /// sends it: `https` or `http`, no path (not even a trailing `/`), the host in
    /// ASCII (punycode). Scheme and host are compared case-insensitively and a
    /// default port is ignored; nothing else is normalized. No wildcards: each
    /// trusted origin is named. Anything else is a
    /// [`ConfigError::InvalidTrustedOrigin`] at `build`, and a trusted origin without
    /// a cookie is a [`ConfigError::TrustedOriginWithoutCookie`].
    pub fn trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted_origins.push(origin.into());
        self
    }

    /// Accepts the token cookie on unsafe methods from any site: no cross-site
    /// check.
    ///
    /// Any page the user visits can then post to your API as the user. Only when
    /// every state-changing route has its own defense (a synchronizer CSRF token
    /// checked by the handler), or the cookie is `SameSite=Strict` and every
    /// browser you serve honours it, and you accept the rest (sibling subdomains
    /// are "same site"). Has no effect without a [`cookie`](Self::cookie); calling
    /// [`trusted_origin`](Self::trusted_origin) too is a
    /// [`ConfigError::TrustedOriginWithoutCrossSiteCheck`].
    pub fn dangerous_without_cross_site_check(mut self) -> Self {
        self.cross_site_check = false;
        self
    }

    /// Caches up to `capacity` verified tokens ([`DEFAULT_VERIFIED_TOKEN_CACHE`]
    /// unless set), keyed by their exact bytes, until their `exp`: a repeated token
    /// skips signature verification. Revocation, expiry and the claims mapper still
    /// run on every request. Memory is about `capacity` × (token size + claims
    /// size); a capacity below 2 is a [`ConfigError`] at `build`.
    pub fn verified_token_cache(mut self, capacity: usize) -> Self {
        self.cache_capacity = Some(capacity);
        self
    }

    /// Verifies the signature of every token, even one seen a moment ago: no
    /// verified-token cache. Costs one signature check per request; the cache
    /// (on by default) is as strict, so this is for measuring or for a service
    /// that must not hold tokens in memory.
    pub fn without_verified_token_cache(mut self) -> Self {
        self.cache_capacity = None;
        self
    }

    /// Checks every token against `store`: revoked tokens and subjects stop working
    /// at once. Pass an `Arc` of the store to share it with the code that revokes (a
    /// logout handler, the token issuer). See [`crate::revocation`].
    pub fn revocation<T: RevocationStore>(self, store: T) -> JwtAuthenticatorBuilder<M, T> {
        JwtAuthenticatorBuilder {
            keys: self.keys,
            mapper: self.mapper,
            revocation: store,
            issuer: self.issuer,
            pinned_issuer: self.pinned_issuer,
            any_issuer: self.any_issuer,
            audiences: self.audiences,
            leeway: self.leeway,
            typ: self.typ,
            max_token_bytes: self.max_token_bytes,
            cookie: self.cookie,
            trusted_origins: self.trusted_origins,
            cross_site_check: self.cross_site_check,
            cache_capacity: self.cache_capacity,
            tenant_claim: self.tenant_claim,
        }
    }

    /// Checks no revocation: a stolen token works until it expires, and logout
    /// cannot end a session. Only for services whose tokens are short-lived enough
    /// that this is an accepted risk.
    pub fn dangerous_without_revocation(self) -> JwtAuthenticatorBuilder<M, NoRevocation> {
        self.revocation(NoRevocation(()))
    }

    /// Checks the configuration and builds the authenticator.
    ///
    /// Compiles only once revocation was chosen, with
    /// [`revocation`](Self::revocation) or
    /// [`dangerous_without_revocation`](Self::dangerous_without_revocation):
    ///
    /// ```compile_fail
    /// use auth_core::jwt::{HmacAlgorithm, JwtAuthenticator, KeySet, PrincipalMapper, VerifyingKey};
    ///
    /// let keys = KeySet::single(VerifyingKey::hmac(HmacAlgorithm::HS256, [1u8; 32]).unwrap());
    /// let authenticator = JwtAuthenticator::builder(keys, PrincipalMapper::new()).build();
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] for an empty key set, an empty issuer, audience, type or
    /// cookie name, an issuer other than the one the keys belong to, a leeway above
    /// [`MAX_LEEWAY`], a zero size limit, a cache of fewer than 2 entries, a trusted
    /// origin that is not an origin, or contradictory calls (`issuer` with
    /// `dangerous_accept_any_issuer`, `trusted_origin` without `cookie` or with
    /// `dangerous_without_cross_site_check`).
    pub fn build(self) -> Result<JwtAuthenticator<M, S>, ConfigError>
    where
        S: RevocationChoice,
    {
        if self.keys.is_empty_fixed() {
            return Err(ConfigError::EmptyKeySet);
        }
        if self.issuer.as_deref().is_some_and(str::is_empty) {
            return Err(ConfigError::EmptyIssuer);
        }
        let issuer = match (self.pinned_issuer, self.issuer, self.any_issuer) {
            (_, Some(_), true) => return Err(ConfigError::AnyIssuerConflict),
            (_, None, true) => None,
            (Some(pinned), Some(configured), false) if configured != pinned.issuer => {
                return Err(ConfigError::IssuerMismatch {
                    pinned: pinned.issuer,
                    pinned_by: pinned.by.as_str(),
                    configured,
                });
            }
            (Some(pinned), _, false) => Some(pinned.issuer),
            (None, configured, false) => configured,
        };
        if issuer.as_deref().is_some_and(str::is_empty) {
            return Err(ConfigError::EmptyIssuer);
        }
        if self.audiences.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyAudience);
        }
        if self.typ.as_deref().is_some_and(str::is_empty) {
            return Err(ConfigError::EmptyType);
        }
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::LeewayTooLarge {
                seconds: self.leeway.as_secs(),
                maximum: MAX_LEEWAY.as_secs(),
            });
        }
        if self.max_token_bytes == 0 {
            return Err(ConfigError::ZeroMaxTokenSize);
        }
        let cookie = match self.cookie {
            None if !self.trusted_origins.is_empty() => {
                return Err(ConfigError::TrustedOriginWithoutCookie);
            }
            None => None,
            Some(name) if !cookie_header::is_cookie_name(&name) => {
                return Err(ConfigError::InvalidCookieName);
            }
            Some(name) => Some(CookieSource {
                name,
                cross_site: cross_site_check(self.cross_site_check, self.trusted_origins)?,
            }),
        };
        if self.cache_capacity.is_some_and(|capacity| capacity < 2) {
            return Err(ConfigError::CacheCapacity);
        }
        Ok(JwtAuthenticator {
            keys: self.keys,
            validation: Validation {
                issuer,
                audiences: self.audiences,
                leeway_secs: self.leeway.as_secs(),
            },
            typ: self.typ.as_deref().map(TypeRule::new),
            credentials: CredentialSource { cookie },
            max_token_bytes: self.max_token_bytes,
            cache: self.cache_capacity.map(TokenCache::new),
            tenant_claim: self.tenant_claim,
            revocation: self.revocation,
            mapper: self.mapper,
        })
    }
}

/// The cross-site check of a cookie: on (the default) with the trusted origins,
/// serialized once here, or off.
fn cross_site_check(on: bool, trusted: Vec<String>) -> Result<CrossSiteCheck, ConfigError> {
    if !on {
        return if trusted.is_empty() {
            Ok(CrossSiteCheck::Off)
        } else {
            Err(ConfigError::TrustedOriginWithoutCrossSiteCheck)
        };
    }
    let trusted = trusted
        .into_iter()
        .map(|origin| {
            cross_site::serialize_origin(origin.as_bytes())
                .ok_or(ConfigError::InvalidTrustedOrigin { origin })
        })
        .collect::<Result<_, _>>()?;
    Ok(CrossSiteCheck::On { trusted })
}

/// The revocation choice of a builder on which neither
/// [`revocation`](JwtAuthenticatorBuilder::revocation) nor
/// [`dangerous_without_revocation`](JwtAuthenticatorBuilder::dangerous_without_revocation)
/// was called yet. It is not a store, so `build` does not compile.
#[derive(Debug)]
pub struct RevocationUnset(());

/// The "store" of an authenticator built with
/// [`dangerous_without_revocation`](JwtAuthenticatorBuilder::dangerous_without_revocation):
/// nothing is ever revoked, and revoking fails. It cannot be constructed directly,
/// so the choice is always spelled out.
#[derive(Debug)]
pub struct NoRevocation(());

impl RevocationStore for NoRevocation {
    async fn revoke_token(&self, _: &str, _: std::time::SystemTime) -> Result<(), AuthError> {
        Err(AuthError::unavailable(
            "revocation store",
            "the authenticator was built without revocation",
        ))
    }

    async fn revoke_subject(&self, _: &str, _: std::time::SystemTime) -> Result<(), AuthError> {
        Err(AuthError::unavailable(
            "revocation store",
            "the authenticator was built without revocation",
        ))
    }

    async fn check(&self, _: &TokenRef<'_>) -> Result<(), AuthError> {
        Ok(())
    }
}

/// A revocation choice was made: implemented for every [`RevocationStore`].
#[diagnostic::on_unimplemented(
    message = "choose how tokens are revoked before `build`",
    label = "no revocation store was chosen",
    note = "call `.revocation(store)` so revoked tokens stop working at once, or, knowingly, `.dangerous_without_revocation()`"
)]
pub trait RevocationChoice: RevocationStore {}

impl<S: RevocationStore> RevocationChoice for S {}
