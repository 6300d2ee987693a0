//! [`TokenIssuer`]: the issuing side. Short-lived access tokens, opaque refresh
//! tokens that rotate, logout and logout everywhere, on the same revocation store
//! the [`JwtAuthenticator`](super::JwtAuthenticator) checks.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::ThumbprintHash;
use serde::ser::SerializeStruct as _;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use tracing::Level;

use super::LOG_TARGET;

use super::{
    Algorithm, ClaimsMapper, DEFAULT_LEEWAY, JwtAuthenticator, JwtAuthenticatorBuilder, KeyError,
    KeySet, MAX_LEEWAY, RevocationUnset, SigningKey, backend,
};
use crate::revocation::{
    CUTOFF_CLAIM, Cutoff, RefreshFamily, RefreshStore, Rotation, SubjectCutoffs, TokenRef,
};
use crate::{AuthError, Authenticated, GrantError, Scopes, TokenError, audit};

/// The lifetime of an access token unless configured: 15 minutes.
///
/// Short enough that a leaked token is soon useless, long enough that a client
/// refreshes a few times an hour. Revocation ends a token sooner.
pub const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(15 * 60);

/// The longest access-token lifetime accepted: 24 hours.
pub const MAX_ACCESS_TTL: Duration = Duration::from_secs(24 * 3600);

/// How long a login session (a refresh-token family) lasts unless configured:
/// 14 days, counted from the login, not from the last refresh.
///
/// Keep it no longer than the revocation store's
/// [`Retention::subject_cutoff`](crate::revocation::Retention::subject_cutoff) (30
/// days by default): "log out everywhere" ends a family through the subject
/// cutoff, so the cutoff must outlive every family it ends.
pub const DEFAULT_REFRESH_TTL: Duration = Duration::from_secs(14 * 24 * 3600);

/// How long after a refresh the refresh token it used up may be presented again,
/// unless configured: 30 seconds. See [`TokenIssuerBuilder::refresh_grace`].
///
/// Long enough for a client to retry after a 503 (the issuer answers a store
/// failure with `Retry-After: 1`) or a lost response; short enough that a
/// predecessor token found later (in a log, a backup, a stolen device's storage)
/// is a reuse, which ends the session.
pub const DEFAULT_REFRESH_GRACE: Duration = Duration::from_secs(30);

/// The longest grace window accepted: 5 minutes.
pub const MAX_REFRESH_GRACE: Duration = Duration::from_secs(300);

/// The `Retry-After` of a refresh that failed because a store could not answer.
const REFRESH_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The header `typ` of every access token: `at+jwt` (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// The component named by an [`AuthError::Unavailable`] raised here.
const COMPONENT: &str = "token issuer";

/// Bytes of randomness in a family id and in the random part of a `jti`: 128 bits.
const ID_BYTES: usize = 16;
/// Bytes of randomness in a refresh token: 256 bits.
const REFRESH_BYTES: usize = 32;
/// The length of [`ID_BYTES`] in unpadded base64url.
const ID_CHARS: usize = 22;
/// The length of [`REFRESH_BYTES`] in unpadded base64url.
const REFRESH_CHARS: usize = 43;

/// Claims the issuer sets itself: an extra claim may not name them.
/// `scp` is here because verifiers merge it into `scope`.
const RESERVED_CLAIMS: [&str; 13] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "sid",
    "roles",
    "scope",
    "scp",
    CUTOFF_CLAIM,
    super::GUEST_CLAIM,
];

/// Issues access tokens and refresh tokens, and ends them.
///
/// - **Access tokens** are JWTs signed with one [`SigningKey`], header `{"alg",
///   "typ": "at+jwt", "kid"}` (`kid` when [configured](TokenIssuerBuilder::key_id)),
///   claims `iss`, `aud`, `sub`, `iat`, `nbf` (= `iat`), `exp` (= `iat` +
///   [`DEFAULT_ACCESS_TTL`] unless configured), `jti`, `sid` (for the tokens of a
///   login), `roles` (an array), `scope` (space-separated, left out when empty),
///   the subject cutoff it was minted under ([`CUTOFF_CLAIM`]) and your extra
///   claims ([`AccessClaims`]). The `jti` is random (128 bits from the operating system)
///   and, for tokens of a login, starts with the login's family id, so that
///   [`logout`](Self::logout) can end the refresh tokens of that login too.
/// - **Refresh tokens** are opaque: 256 random bits in base64url, never JWTs. The
///   [`RefreshStore`] keeps only their SHA-256. Each refresh *rotates*: the
///   presented token is used up and a new one is issued; presenting a used token
///   again is a reuse, which revokes the whole family (RFC 9700 §4.14.2) and fails
///   with 400 `invalid_grant` ([`AuthError::InvalidGrant`]). One exception: a
///   client that never got the answer to a refresh (a store stall, a lost
///   response) may present the token it used up once more within a short
///   [grace window](TokenIssuerBuilder::refresh_grace), and gets a new pair of
///   the same family.
/// - **Revocation** goes through the same [`SubjectCutoffs`] store your
///   [`JwtAuthenticator`] checks, so a logout is refused at once by every instance
///   that shares it (Redis).
///
/// Build it once and share it (`Arc`); every method takes `&self`.
///
/// # The calls a service writes
///
/// ```
/// use std::sync::Arc;
///
/// use auth_core::authenticate;
/// use auth_core::jwt::{AccessClaims, HmacAlgorithm, PrincipalMapper, RolesClaim, SigningKey, TokenIssuer};
/// use auth_core::revocation::{MemoryRefreshStore, MemoryRevocationStore};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// // One revocation store, shared by the issuer and the authenticator.
/// let revocations = Arc::new(MemoryRevocationStore::new());
/// let issuer = TokenIssuer::builder(
///     SigningKey::hmac(HmacAlgorithm::HS256, b"an example secret of 32 bytes...")?,
///     Arc::clone(&revocations),
///     MemoryRefreshStore::new(),
/// )
/// .issuer("https://auth.example.com")
/// .audience("orders-api")
/// .build()?;
///
/// // The verifier of what this issuer signs: keys, `iss`, `aud` and `typ` preset.
/// let authenticator = issuer
///     .authenticator_builder(PrincipalMapper::new().roles(RolesClaim::top_level("roles")))
///     .revocation(Arc::clone(&revocations))
///     .build()?;
///
/// // POST /auth/login, after the password was verified:
/// let pair = issuer
///     .login("user-42", &AccessClaims::new().roles(["admin"]).scope("orders:read"))
///     .await?;
/// let body = serde_json::to_value(&pair)?; // access_token, token_type, expires_in, refresh_token
/// assert_eq!(body["expires_in"], 900);
///
/// // POST /auth/refresh: rotate, then mint with the roles the user has *now*.
/// let grant = issuer.refresh(pair.refresh_token()).await?;
/// assert_eq!(grant.subject(), "user-42");
/// let current_roles = ["customer"]; // re-read from your user store, by grant.subject()
/// let pair = issuer
///     .finish_refresh(grant, &AccessClaims::new().roles(current_roles).scope("orders:read"))
///     .await?;
///
/// // POST /auth/logout, with the access token as bearer credential:
/// let request = http::Request::builder()
///     .header("authorization", format!("Bearer {}", pair.access_token()))
///     .body(())?
///     .into_parts()
///     .0;
/// let user = authenticate(&authenticator, &request).await?;
/// assert_eq!(user.roles(), ["customer"]);
/// issuer.logout(&user).await?; // this access token and its refresh tokens are dead
/// assert!(authenticate(&authenticator, &request).await.is_err());
/// assert!(issuer.refresh(pair.refresh_token()).await.is_err());
///
/// // POST /auth/logout-all (or after a password or role change):
/// issuer.logout_all("user-42").await?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Log out everywhere
///
/// [`logout_all`](Self::logout_all) raises the subject's
/// [cutoff](crate::revocation::cutoff). Every token and login session this
/// issuer mints carries the cutoff that was current then, so a later cutoff
/// revokes it exactly, even when it was stamped by an instance whose clock runs
/// ahead, and a login right after `logout_all` works at once. Tokens of other
/// issuers are judged by `iat`: `logout_all` covers every `iat` up to now plus
/// the [leeway](TokenIssuerBuilder::leeway), what a verifier could accept now.
///
/// # What a refresh knows
///
/// The [`RefreshStore`] keeps the subject, the login time and the scope granted
/// at the login with the family, so any instance that shares the store can
/// refresh it, with no database of its own. It does not keep the roles:
/// [`finish_refresh`](Self::finish_refresh) takes the claims again, so a
/// demoted user's next token carries the new roles; their scope is narrowed to
/// the login's ([`RefreshGrant::scope`]), so a refresh never widens it (RFC 6749
/// §6).
///
/// # Token endpoint responses
///
/// A response that carries a token must not be cached (RFC 6749 §5.1): send
/// [`TOKEN_RESPONSE_HEADERS`] with every login and refresh answer.
///
/// # Audit
///
/// Events with target [`audit::TARGET`](crate::audit::TARGET), naming the
/// subject (`principal`), the `jti` (`token_id`) and the login's `family`, never a
/// token: `decision = "issued"` (with `grant` = `login`, `refresh_token` or
/// `direct`; `refresh_token_retry` for a retry within the grace window),
/// `"refresh_retried"` (a warning: the predecessor came back within the window),
/// `"refresh_refused"` (with a `reason`; a warning for a reuse),
/// `"logged_out"` and `"logged_out_everywhere"`.
///
/// # Failures
///
/// Every method returns [`AuthError`]: 400 `invalid_grant`
/// ([`AuthError::InvalidGrant`], RFC 6749 §5.2) for a refresh token that is
/// malformed, unknown, expired, revoked, reused or whose subject logged out
/// everywhere; 503 ([`AuthError::Unavailable`]) when a store cannot be reached
/// (fail closed; a refresh's says `Retry-After: 1`) or the issuer itself fails
/// ([`IssueError`]).
pub struct TokenIssuer<R, F> {
    key: SigningKey,
    keys: KeySet,
    kid: Option<String>,
    /// The encoded header, the same for every token.
    header: String,
    issuer: String,
    audience: Audience,
    access_ttl: Duration,
    refresh_ttl: Duration,
    refresh_grace: Duration,
    leeway: Duration,
    revocations: R,
    refresh_tokens: F,
}

/// The headers of every token endpoint response, success or error: `Cache-Control:
/// no-store` and `Pragma: no-cache` (RFC 6749 §5.1), so that no cache, proxy or
/// browser history keeps a token.
///
/// ```
/// use auth_core::jwt::TOKEN_RESPONSE_HEADERS;
///
/// let mut response = http::Response::builder().status(200);
/// for (name, value) in TOKEN_RESPONSE_HEADERS {
///     response = response.header(name, value);
/// }
/// let response = response.body(())?;
/// assert_eq!(response.headers()["cache-control"], "no-store");
/// assert_eq!(response.headers()["pragma"], "no-cache");
/// # Ok::<(), http::Error>(())
/// ```
pub const TOKEN_RESPONSE_HEADERS: [(&str, &str); 2] =
    [("cache-control", "no-store"), ("pragma", "no-cache")];

impl<R, F> TokenIssuer<R, F> {
    /// Starts configuring an issuer that signs with `key`, records revocations in
    /// `revocations` (the store your authenticator checks) and keeps refresh-token
    /// families in `refresh_tokens`. An issuer (`iss`) and an audience (`aud`) are
    /// required before [`build`](TokenIssuerBuilder::build).
    pub fn builder(key: SigningKey, revocations: R, refresh_tokens: F) -> TokenIssuerBuilder<R, F> {
        TokenIssuerBuilder {
            key,
            revocations,
            refresh_tokens,
            issuer: None,
            audiences: Vec::new(),
            kid: None,
            access_ttl: DEFAULT_ACCESS_TTL,
            refresh_ttl: DEFAULT_REFRESH_TTL,
            refresh_grace: DEFAULT_REFRESH_GRACE,
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// The keys that verify this issuer's tokens: the signing key's public half
    /// (or its secret, for HMAC), under the configured key id, or as the key for
    /// tokens without `kid`.
    pub fn verifying_keys(&self) -> &KeySet {
        &self.keys
    }

    /// A [`JwtAuthenticator`] builder that verifies this issuer's tokens: its
    /// keys, its `iss`, its audiences, `typ: at+jwt` required, and its
    /// [leeway](TokenIssuerBuilder::leeway) (a smaller one is fine, a larger one
    /// would let through tokens `logout_all` did not cover). Choose the revocation
    /// store (the issuer's, so that logouts take effect) and build it.
    ///
    /// `iss` is pinned to this issuer's: a token signed with its key that claims
    /// another issuer is refused, and calling
    /// [`issuer`](JwtAuthenticatorBuilder::issuer) with another one is a
    /// [`ConfigError::IssuerMismatch`](super::ConfigError::IssuerMismatch) at
    /// `build` (the opt-out is
    /// [`dangerous_accept_any_issuer`](JwtAuthenticatorBuilder::dangerous_accept_any_issuer)).
    ///
    /// See the [type documentation](Self) for an example.
    pub fn authenticator_builder<M: ClaimsMapper>(
        &self,
        mapper: M,
    ) -> JwtAuthenticatorBuilder<M, RevocationUnset> {
        let mut builder = JwtAuthenticator::builder(self.keys.clone(), mapper)
            .pinned_issuer(
                self.issuer.as_str(),
                super::authenticator::KnownIssuer::TokenIssuer,
            )
            .require_type(ACCESS_TOKEN_TYPE)
            .leeway(self.leeway);
        for audience in self.audience.iter() {
            builder = builder.audience(audience);
        }
        builder
    }

    /// The algorithm every token is signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }

    /// The key id (`kid`) in every token's header, if configured.
    pub fn key_id(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The issuer (`iss`) of every token.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The lifetime of access tokens.
    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    /// The lifetime of a login session (refresh-token family), from the login.
    pub fn refresh_ttl(&self) -> Duration {
        self.refresh_ttl
    }

    /// How long after a refresh the token it used up may be retried; see
    /// [`TokenIssuerBuilder::refresh_grace`].
    pub fn refresh_grace(&self) -> Duration {
        self.refresh_grace
    }

    /// The clock skew [`logout_all`](Self::logout_all) covers.
    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// The revocation store, to share it with an authenticator.
    pub fn revocation_store(&self) -> &R {
        &self.revocations
    }

    /// The refresh-token store.
    pub fn refresh_store(&self) -> &F {
        &self.refresh_tokens
    }
}

impl<R, F> TokenIssuer<R, F>
where
    R: SubjectCutoffs,
    F: RefreshStore,
{
    /// Issues the tokens of a login: an access token and the first refresh token of
    /// a new family, for `subject` (your user id), with `claims`. Call it after the
    /// user proved who they are (a password checked against an argon2 hash, ...).
    ///
    /// `subject` must be the user's canonical id, the one your
    /// [`ClaimsMapper`]'s user reports as its
    /// [`canonical_subject`](super::HasSubject::canonical_subject): a token whose
    /// `sub` is another spelling of it is refused by the authenticator. The
    /// scope of `claims` is kept with the family, as the most its refreshes may
    /// grant.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when a store cannot be reached or the issuer
    /// fails ([`IssueError`], also for an empty `subject`).
    pub async fn login(
        &self,
        subject: &str,
        claims: &AccessClaims,
    ) -> Result<TokenPair, AuthError> {
        check_subject(subject)?;
        // Read once, for the family and its first access token alike: a cutoff
        // raised from here on revokes both.
        let cutoff = self.cutoff_now(subject).await?;
        let iat = unix_secs(SystemTime::now());
        let authenticated_at = instant(iat);
        let family = RefreshFamily::new(
            random_id::<ID_BYTES>()?,
            subject,
            authenticated_at,
            authenticated_at
                .checked_add(self.refresh_ttl)
                .unwrap_or(authenticated_at),
        )
        .with_cutoff(cutoff)
        .with_scope(claims.scope.clone());
        let refresh = RefreshSecret::generate()?;
        self.refresh_tokens.register(&family, &refresh.id).await?;
        let token_id = session_token_id(&family.id)?;
        let access = self.mint(subject, iat, token_id, Some(cutoff), claims)?;
        audit_issued(&access, Some(&family), "login");
        Ok(TokenPair {
            access,
            refresh_token: refresh.secret,
            family,
        })
    }

    /// Issues an access token alone, outside any login session (a service
    /// account, a test). [`logout`](Self::logout) revokes it by its `jti`;
    /// [`logout_all`](Self::logout_all) revokes it with the rest of the subject's.
    ///
    /// # Errors
    ///
    /// As [`login`](Self::login).
    pub async fn issue_access_token(
        &self,
        subject: &str,
        claims: &AccessClaims,
    ) -> Result<AccessToken, AuthError> {
        check_subject(subject)?;
        let cutoff = self.cutoff_now(subject).await?;
        let iat = unix_secs(SystemTime::now());
        let access = self.mint(subject, iat, random_id::<ID_BYTES>()?, Some(cutoff), claims)?;
        audit_issued(&access, None, "direct");
        Ok(access)
    }

    /// Issues an access token to a guest: someone who did not sign in, known by
    /// a fresh subject `guest:<random>`, with the scopes of `claims` and the
    /// private claim [`GUEST_CLAIM`](super::GUEST_CLAIM). No refresh token: a
    /// guest asks again when it expires.
    ///
    /// The authenticator gives its principal
    /// [`Mechanism::Guest`](crate::Mechanism::Guest), which `#[requires]`
    /// handlers refuse (403) unless they say `guests = true`. Your
    /// [`ClaimsMapper`] sees the claim through [`Claims::is_guest`](super::Claims::is_guest)
    /// and builds the guest's principal without looking for a user.
    ///
    /// # Errors
    ///
    /// As [`login`](Self::login).
    pub async fn issue_guest_token(&self, claims: &AccessClaims) -> Result<AccessToken, AuthError> {
        let subject = format!("guest:{}", random_id::<ID_BYTES>()?);
        let mut claims = claims.clone();
        claims
            .extra
            .insert(super::GUEST_CLAIM.to_owned(), serde_json::Value::Bool(true));
        self.issue_access_token(&subject, &claims).await
    }

    /// Accepts a refresh token and rotates it: the first step of a refresh.
    ///
    /// The presented token is used up, and the returned [`RefreshGrant`] holds its
    /// successor. Read the user's current roles from your source of truth by
    /// [`RefreshGrant::subject`], then call [`finish_refresh`](Self::finish_refresh)
    /// (or [`reject_refresh`](Self::reject_refresh) when the user is gone or
    /// locked out). Dropping the grant ends the session: its successor token is
    /// never handed out.
    ///
    /// Refused with 400 `invalid_grant` ([`AuthError::InvalidGrant`] with
    /// [`GrantError::RefreshToken`]), and an audit event, when the token is:
    ///
    /// - malformed ([`TokenError::Malformed`]), unknown or expired with its family
    ///   ([`TokenError::Revoked`]), or of a family ended by a logout or a reuse
    ///   ([`TokenError::Revoked`]);
    /// - **used already**: a reuse, a sign that two parties hold the family's
    ///   tokens. The whole family is revoked, so its newest token is refused too
    ///   ([`TokenError::Revoked`], a warning event);
    /// - of a family whose login came before the subject's revocation cutoff
    ///   ("log out everywhere"): the family is revoked
    ///   ([`TokenError::SubjectRevoked`]).
    ///
    /// # A retry after an unknown outcome
    ///
    /// The rotation is not undone if a later step fails (a store times out after
    /// it ran, the response is lost, `finish_refresh` is never called). So the
    /// token it used up, the family's *immediate predecessor*, may be presented
    /// again within the [grace window](TokenIssuerBuilder::refresh_grace) of that
    /// rotation: that is a retry, answered like a refresh, and the successor
    /// issued before is no longer current (presenting it later is a reuse).
    /// After the window, and for any older token, it is a reuse.
    ///
    /// # Errors
    ///
    /// The 400s above; [`AuthError::Unavailable`] with `Retry-After: 1` when a
    /// store cannot be reached: the client may retry with the same token within
    /// the grace window.
    pub async fn refresh(&self, refresh_token: &str) -> Result<RefreshGrant, AuthError> {
        self.rotate(refresh_token)
            .await
            .map_err(|error| error.or_retry_after(REFRESH_RETRY_AFTER))
    }

    async fn rotate(&self, refresh_token: &str) -> Result<RefreshGrant, AuthError> {
        let Some(old_id) = presented_token_id(refresh_token)? else {
            audit_refused(None, "malformed refresh token");
            return Err(refused(TokenError::Malformed));
        };
        let next = RefreshSecret::generate()?;
        let rotation = self
            .refresh_tokens
            .rotate(&old_id, &next.id, self.refresh_grace)
            .await?;
        let retried = matches!(rotation, Rotation::Retried(_));
        match rotation {
            Rotation::Rotated(family) | Rotation::Retried(family) => {
                let login = TokenRef {
                    token_id: None,
                    session_id: None,
                    subject: &family.subject,
                    issued_at: Some(family.authenticated_at),
                    cutoff: family.cutoff,
                };
                match self.revocations.check(&login).await {
                    Ok(()) => {}
                    Err(AuthError::InvalidToken(reason)) => {
                        // Logged out everywhere since this login: end the family for
                        // good. Best effort; the cutoff refuses it anyway.
                        if let Err(failure) = self.refresh_tokens.revoke_family(&family.id).await {
                            tracing::warn!(target: LOG_TARGET, family = %family.id, error = %failure, "could not revoke a refresh family after a subject cutoff");
                        }
                        audit_refused(Some(&family), "subject revoked since the login");
                        return Err(refused(reason));
                    }
                    Err(error) => return Err(error),
                }
                if retried {
                    audit_retried(&family);
                }
                Ok(RefreshGrant {
                    family,
                    refresh_token: next.secret,
                    retried,
                })
            }
            Rotation::Reused(family) => {
                audit_reused(&family);
                // The store revoked the family's refresh tokens; its access tokens
                // die too, as the thief may hold one.
                self.revoke_session(&family.id).await?;
                Err(refused(TokenError::Revoked))
            }
            Rotation::Revoked(family) => {
                audit_refused(Some(&family), "refresh family revoked");
                // Again, idempotently: a reuse whose session revocation failed
                // (a 503) finishes when the token is presented again.
                self.revoke_session(&family.id).await?;
                Err(refused(TokenError::Revoked))
            }
            Rotation::Unknown => {
                audit_refused(None, "unknown or expired refresh token");
                Err(refused(TokenError::Revoked))
            }
        }
    }

    /// Completes a refresh: a new access token with `claims` (read them from your
    /// source of truth, so a role change applies now) and the grant's new refresh
    /// token. The token's scope is that of `claims` narrowed to the scope granted
    /// at the login ([`RefreshGrant::scope`]; pass it to keep the login's scope):
    /// a refresh never widens it. The family, its login time, its end and the
    /// cutoff it was started under stay the same: the new access token carries
    /// that cutoff, so a
    /// [`logout_all`](Self::logout_all) after the login revokes it, even one that
    /// came between [`refresh`](Self::refresh) and this call.
    ///
    /// # Errors
    ///
    /// As [`login`](Self::login).
    #[allow(
        clippy::unused_async,
        reason = "the refresh flow's API; the tokens carry the family's cutoff, so no store is read"
    )]
    pub async fn finish_refresh(
        &self,
        grant: RefreshGrant,
        claims: &AccessClaims,
    ) -> Result<TokenPair, AuthError> {
        let RefreshGrant {
            family,
            refresh_token,
            retried,
        } = grant;
        let iat = unix_secs(SystemTime::now());
        let token_id = session_token_id(&family.id)?;
        let narrowed;
        let claims = match &family.scope {
            Some(granted) => {
                narrowed = claims.clone().narrowed_to(granted);
                &narrowed
            }
            None => claims,
        };
        let access = self.mint(&family.subject, iat, token_id, family.cutoff, claims)?;
        let grant = if retried {
            "refresh_token_retry"
        } else {
            "refresh_token"
        };
        audit_issued(&access, Some(&family), grant);
        Ok(TokenPair {
            access,
            refresh_token,
            family,
        })
    }

    /// Refuses a refresh after [`refresh`](Self::refresh) accepted the token (the
    /// user was deleted or locked out): the whole family is revoked.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the refresh store cannot be reached.
    pub async fn reject_refresh(&self, grant: RefreshGrant) -> Result<(), AuthError> {
        let RefreshGrant { family, .. } = grant;
        self.refresh_tokens
            .revoke_family(&family.id)
            .await
            .map_err(|error| error.or_retry_after(REFRESH_RETRY_AFTER))?;
        audit_refused(Some(&family), "refresh rejected by the application");
        Ok(())
    }

    /// Logs out the session of the access token `user` authenticated with: the
    /// refresh-token family of its login (named in its `jti`) and every access
    /// token of that session (they all carry its `sid`), the presented one and any
    /// earlier one the client kept. Other sessions of the same user go on. A token
    /// outside any session ([`issue_access_token`](Self::issue_access_token)) is
    /// revoked by its `jti`.
    ///
    /// # Retrying
    ///
    /// A logout is several store writes, and a store can fail (or the request be
    /// dropped) between two of them. They run in the one order that keeps every
    /// partial logout safe and retryable: first the refresh family (after which no
    /// new access token can come out of the session), then the session's access
    /// tokens, and last the presented token's `jti`. Until the step that kills the
    /// presented token has run, that token still authenticates the retry; once it
    /// has run, the family is already dead. Every step is idempotent, so a retry
    /// after a partial logout simply finishes it.
    ///
    /// # Errors
    ///
    /// 401 [`TokenError::MissingClaim`]`("jti")` for a credential without token id
    /// (nothing to revoke); [`AuthError::Unavailable`] when a store cannot be
    /// reached: the logout did not take (or took only partly), say so to the
    /// client, which may retry with the same access token.
    pub async fn logout<U>(&self, user: &Authenticated<U>) -> Result<(), AuthError> {
        let info = user.info();
        let Some(token_id) = info.token_id() else {
            return Err(TokenError::MissingClaim("jti").into());
        };
        let now = SystemTime::now();
        let expires_at = info
            .expires_at()
            .unwrap_or_else(|| now.checked_add(self.access_ttl).unwrap_or(now));
        let family = family_of(token_id);
        if let Some(family) = family {
            // Refresh tokens first: from here on no access token of the session can
            // be minted, while the presented one still works for a retry.
            self.refresh_tokens.revoke_family(family).await?;
            // Then every access token of the session, the presented one included.
            self.revoke_session(family).await?;
        }
        // Last, the presented token itself. For a session token of this issuer the
        // session step already covered it (its `sid` is the family id); the `jti`
        // also covers a token that names a family without carrying `sid`.
        self.revocations.revoke_token(token_id, expires_at).await?;
        tracing::event!(
            target: audit::TARGET,
            Level::INFO,
            principal = info.subject(),
            token_id,
            family,
            decision = "logged_out",
        );
        Ok(())
    }

    /// Logs `subject` out everywhere: every access token and every refresh-token
    /// family of a login until now stop working at once, on every instance that
    /// shares the revocation store. A login right after it works at once.
    ///
    /// It raises the subject's [cutoff](crate::revocation::cutoff): the tokens
    /// and families this issuer minted carry the cutoff current then, and any
    /// later one revokes them, whatever their `iat`. A token of another issuer is
    /// revoked when its `iat` is at most now plus the [leeway](Self::leeway), so
    /// that a token stamped by a clock running ahead is covered too. Two calls,
    /// however close, both take effect.
    ///
    /// Also the call after a password change, or a role change that must not wait
    /// for tokens to expire.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unavailable`] when the revocation store cannot be reached.
    pub async fn logout_all(&self, subject: &str) -> Result<(), AuthError> {
        let now = SystemTime::now();
        let covered = now.checked_add(self.leeway).unwrap_or(now);
        self.revocations.revoke_subject(subject, covered).await?;
        tracing::event!(
            target: audit::TARGET,
            Level::INFO,
            principal = subject,
            decision = "logged_out_everywhere",
        );
        Ok(())
    }

    /// Revokes every access token carrying `sid = family_id`, for as long as any
    /// could live: a session lasts at most the refresh TTL, and its last access
    /// token one access TTL more.
    async fn revoke_session(&self, family_id: &str) -> Result<(), AuthError> {
        let now = SystemTime::now();
        let until = now
            .checked_add(self.refresh_ttl.saturating_add(self.access_ttl))
            .unwrap_or(now);
        self.revocations.revoke_token(family_id, until).await
    }

    /// The cutoff a new token of `subject` is marked with: the current one, or
    /// [`Cutoff::NONE`] when the subject has none.
    async fn cutoff_now(&self, subject: &str) -> Result<Cutoff, AuthError> {
        let current = self.revocations.current_cutoff(subject).await?;
        Ok(current.unwrap_or(Cutoff::NONE))
    }

    /// Serializes the claims once and signs them.
    fn mint(
        &self,
        subject: &str,
        iat: u64,
        token_id: String,
        cutoff: Option<Cutoff>,
        claims: &AccessClaims,
    ) -> Result<AccessToken, AuthError> {
        let exp = iat.saturating_add(self.access_ttl.as_secs());
        let payload = Payload {
            iss: &self.issuer,
            aud: &self.audience,
            sub: subject,
            iat,
            nbf: iat,
            exp,
            jti: &token_id,
            sid: family_of(&token_id),
            cutoff: cutoff.map(Cutoff::as_millis),
            roles: &claims.roles,
            scope: claims.scope.as_str(),
            extra: &claims.extra,
        };
        let json = serde_json::to_vec(&payload).map_err(|_| failed(IssueError::Serialize))?;
        let mut token = String::with_capacity(self.header.len() + json.len() * 4 / 3 + 400);
        token.push_str(&self.header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&json, &mut token);
        let signature = self
            .key
            .sign(token.as_bytes())
            .ok_or_else(|| failed(IssueError::Signing))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(AccessToken {
            token,
            token_id,
            issued_at: instant(iat),
            expires_at: instant(exp),
        })
    }
}

impl<R, F> fmt::Debug for TokenIssuer<R, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("algorithm", &self.key.algorithm())
            .field("kid", &self.kid)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("refresh_grace", &self.refresh_grace)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

/// Configures a [`TokenIssuer`]; see [`TokenIssuer::builder`].
#[must_use = "call `.build()` to get the issuer"]
pub struct TokenIssuerBuilder<R, F> {
    key: SigningKey,
    revocations: R,
    refresh_tokens: F,
    issuer: Option<String>,
    audiences: Vec<String>,
    kid: Option<String>,
    access_ttl: Duration,
    refresh_ttl: Duration,
    refresh_grace: Duration,
    leeway: Duration,
}

impl<R, F> TokenIssuerBuilder<R, F> {
    /// The issuer (`iss`) of every token, usually your service's URL. Required.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// An audience (`aud`) of every token: the API that accepts them. Required;
    /// call again for several (`aud` is then an array).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// The key id (`kid`) in every token's header, for key rotation: verifiers
    /// then look the key up by it. Without it tokens carry no `kid`.
    pub fn key_id(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The lifetime of access tokens, in whole seconds: [`DEFAULT_ACCESS_TTL`] (15
    /// minutes) unless set, at most [`MAX_ACCESS_TTL`].
    pub fn access_ttl(mut self, ttl: Duration) -> Self {
        self.access_ttl = ttl;
        self
    }

    /// How long a login session lasts, from the login, in whole seconds:
    /// [`DEFAULT_REFRESH_TTL`] (14 days) unless set; at least the access-token
    /// lifetime. Refreshing does not extend it.
    pub fn refresh_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_ttl = ttl;
        self
    }

    /// How long after a refresh the refresh token it used up may be presented
    /// again, as a retry, in whole milliseconds: [`DEFAULT_REFRESH_GRACE`] (30 s)
    /// unless set, at most [`MAX_REFRESH_GRACE`]; zero turns retries off (every
    /// used token is then a reuse at once).
    ///
    /// A refresh can complete in the store while its answer is lost: the store
    /// answered after the timeout (a 503), or the response never arrived. Within
    /// the window, the client's retry with the token it still holds is answered
    /// with a new pair of the same family instead of ending it as a reuse. Only
    /// the token the family's last rotation used up qualifies (never an older
    /// one), the window runs from that rotation and retries do not extend it, and
    /// each retry replaces the successor issued before, which is used from then
    /// on: a family never has two live refresh tokens. What that gives someone
    /// who stole the used-up token is in `SECURITY.md`: within the window, what
    /// the current token would give, and a reuse that ends the session at the
    /// legitimate client's next refresh.
    pub fn refresh_grace(mut self, grace: Duration) -> Self {
        self.refresh_grace = grace;
        self
    }

    /// The clock skew between the instances that issue and verify tokens, in
    /// whole seconds: [`DEFAULT_LEEWAY`] (30 s, the verifier's default) unless
    /// set, at most [`MAX_LEEWAY`]. [`TokenIssuer::logout_all`] covers every
    /// `iat` up to now plus this; the verifiers of
    /// [`authenticator_builder`](TokenIssuer::authenticator_builder) get it as
    /// their leeway. Keep it at least the leeway of every verifier of these
    /// tokens.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Checks the configuration and builds the issuer.
    ///
    /// # Errors
    ///
    /// An [`IssuerConfigError`] for a missing or empty issuer or audience, an
    /// empty key id, an access-token lifetime outside 1 s to [`MAX_ACCESS_TTL`],
    /// a session shorter than an access token, a grace window above
    /// [`MAX_REFRESH_GRACE`], or a leeway above [`MAX_LEEWAY`].
    pub fn build(self) -> Result<TokenIssuer<R, F>, IssuerConfigError>
    where
        R: SubjectCutoffs,
        F: RefreshStore,
    {
        let issuer = match self.issuer {
            None => return Err(IssuerConfigError::MissingIssuer),
            Some(issuer) if issuer.is_empty() => return Err(IssuerConfigError::EmptyIssuer),
            Some(issuer) => issuer,
        };
        if self.audiences.iter().any(String::is_empty) {
            return Err(IssuerConfigError::EmptyAudience);
        }
        let audience = match <[String; 1]>::try_from(self.audiences) {
            Ok([one]) => Audience::One(one),
            Err(none) if none.is_empty() => return Err(IssuerConfigError::MissingAudience),
            Err(several) => Audience::Several(several),
        };
        let access_ttl = Duration::from_secs(self.access_ttl.as_secs());
        if access_ttl.is_zero() || access_ttl > MAX_ACCESS_TTL {
            return Err(IssuerConfigError::AccessTtl {
                seconds: self.access_ttl.as_secs(),
                maximum: MAX_ACCESS_TTL.as_secs(),
            });
        }
        let refresh_ttl = Duration::from_secs(self.refresh_ttl.as_secs());
        if refresh_ttl < access_ttl {
            return Err(IssuerConfigError::RefreshTtl {
                seconds: refresh_ttl.as_secs(),
                minimum: access_ttl.as_secs(),
            });
        }
        let refresh_grace = Duration::from_millis(
            u64::try_from(self.refresh_grace.as_millis()).unwrap_or(u64::MAX),
        );
        if refresh_grace > MAX_REFRESH_GRACE {
            return Err(IssuerConfigError::RefreshGrace {
                seconds: self.refresh_grace.as_secs(),
                maximum: MAX_REFRESH_GRACE.as_secs(),
            });
        }
        let leeway = Duration::from_secs(self.leeway.as_secs());
        if leeway > MAX_LEEWAY {
            return Err(IssuerConfigError::Leeway {
                seconds: leeway.as_secs(),
                maximum: MAX_LEEWAY.as_secs(),
            });
        }
        let verifying = self.key.verifying_key().clone();
        let keys = match &self.kid {
            Some(kid) if kid.is_empty() => return Err(IssuerConfigError::EmptyKeyId),
            Some(kid) => KeySet::new().with_key(kid.as_str(), verifying)?,
            None => KeySet::single(verifying),
        };
        let mut header = serde_json::json!({
            "alg": self.key.algorithm().as_str(),
            "typ": ACCESS_TOKEN_TYPE,
        });
        if let (Some(kid), Value::Object(members)) = (&self.kid, &mut header) {
            members.insert("kid".to_owned(), Value::String(kid.clone()));
        }
        Ok(TokenIssuer {
            key: self.key,
            keys,
            kid: self.kid,
            header: URL_SAFE_NO_PAD.encode(header.to_string()),
            issuer,
            audience,
            access_ttl,
            refresh_ttl,
            refresh_grace,
            leeway,
            revocations: self.revocations,
            refresh_tokens: self.refresh_tokens,
        })
    }
}

impl<R, F> fmt::Debug for TokenIssuerBuilder<R, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenIssuerBuilder")
            .field("algorithm", &self.key.algorithm())
            .field("kid", &self.kid)
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("refresh_grace", &self.refresh_grace)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

/// What an access token grants besides its subject: roles, scope and extra
/// claims. Read them from your source of truth at login and at every refresh.
///
/// ```
/// use auth_core::jwt::{AccessClaims, ClaimError};
///
/// let claims = AccessClaims::new()
///     .roles(["customer"])
///     .scope("orders:read orders:write")
///     .claim("tenant", "acme")?;
///
/// // The issuer's own claims cannot be overridden.
/// assert!(matches!(AccessClaims::new().claim("sub", "admin"), Err(ClaimError::Reserved(_))));
/// # let _ = claims;
/// # Ok::<(), ClaimError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessClaims {
    roles: Vec<String>,
    scope: Scopes,
    extra: Map<String, Value>,
}

impl AccessClaims {
    /// No roles, no scope, no extra claims.
    pub fn new() -> Self {
        AccessClaims::default()
    }

    /// The `roles` claim (an array; empty unless set). Verifiers read it with
    /// [`RolesClaim::top_level("roles")`](super::RolesClaim::top_level).
    #[must_use]
    pub fn roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// The `scope` claim: OAuth scopes separated by spaces (RFC 6749 §3.3, RFC
    /// 9068 §2.2.3), normalized to single spaces. Left out of the token when
    /// empty.
    #[must_use]
    pub fn scope(mut self, scope: &str) -> Self {
        self.scope = Scopes::from_space_separated(scope);
        self
    }

    /// The same claims, their scope cut down to the scopes in `granted`.
    fn narrowed_to(mut self, granted: &Scopes) -> Self {
        let narrowed: Scopes = self.scope.iter().filter(|s| granted.contains(s)).collect();
        self.scope = narrowed;
        self
    }

    /// Adds the claim `name` with `value`, serialized to JSON now.
    ///
    /// # Errors
    ///
    /// [`ClaimError::Reserved`] for a claim the issuer sets (`iss`, `sub`, `aud`,
    /// `exp`, `nbf`, `iat`, `jti`, `sid`, `roles`, `scope`, `scp`,
    /// [`CUTOFF_CLAIM`], and [`GUEST_CLAIM`](super::GUEST_CLAIM), which only
    /// [`TokenIssuer::issue_guest_token`] writes); [`ClaimError::WrongType`] for an
    /// `amr` that is not an array of strings, an `acr` that is not a string or an
    /// `auth_time` that is not a number of seconds (verifiers would refuse the
    /// token); [`ClaimError::NotJson`] when `value` does not serialize.
    pub fn claim(
        mut self,
        name: impl Into<String>,
        value: impl Serialize,
    ) -> Result<Self, ClaimError> {
        let name = name.into();
        if RESERVED_CLAIMS.contains(&name.as_str()) {
            return Err(ClaimError::Reserved(name));
        }
        let value = serde_json::to_value(value).map_err(|_| ClaimError::NotJson(name.clone()))?;
        match name.as_str() {
            "amr"
                if !value
                    .as_array()
                    .is_some_and(|a| a.iter().all(Value::is_string)) =>
            {
                return Err(ClaimError::WrongType {
                    claim: "amr",
                    expected: "an array of strings",
                });
            }
            "acr" if !value.is_string() => {
                return Err(ClaimError::WrongType {
                    claim: "acr",
                    expected: "a string",
                });
            }
            "auth_time" if !value.is_u64() => {
                return Err(ClaimError::WrongType {
                    claim: "auth_time",
                    expected: "a non-negative whole number of seconds",
                });
            }
            _ => {}
        }
        self.extra.insert(name, value);
        Ok(self)
    }
}

/// Why [`AccessClaims::claim`] refused a claim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimError {
    /// The issuer sets this claim itself.
    #[error("`{0}` is set by the issuer; it cannot be an extra claim")]
    Reserved(String),
    /// A registered claim of the wrong JSON type.
    #[error("the `{claim}` claim must be {expected}")]
    WrongType {
        /// The claim.
        claim: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// The value does not serialize to JSON.
    #[error("the `{0}` claim does not serialize to JSON")]
    NotJson(String),
}

/// A signed access token, and what it says about its own lifetime.
///
/// Its [`Debug`](fmt::Debug) output leaves the token out: it is a bearer
/// credential.
#[derive(Clone)]
pub struct AccessToken {
    token: String,
    token_id: String,
    issued_at: SystemTime,
    expires_at: SystemTime,
}

impl AccessToken {
    /// The compact JWT, for the client.
    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// The compact JWT, owned.
    pub fn into_string(self) -> String {
        self.token
    }

    /// Its `jti`.
    pub fn token_id(&self) -> &str {
        &self.token_id
    }

    /// Its `iat` (and `nbf`).
    pub fn issued_at(&self) -> SystemTime {
        self.issued_at
    }

    /// Its `exp`.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// Its lifetime, `exp - iat`: the `expires_in` of an OAuth token response.
    pub fn expires_in(&self) -> Duration {
        self.expires_at
            .duration_since(self.issued_at)
            .unwrap_or_default()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token_id", &self.token_id)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The tokens of a login or a refresh: an access token and a refresh token.
///
/// Serializes as an OAuth 2.0 token response (RFC 6749 §5.1):
/// `{"access_token", "token_type": "Bearer", "expires_in", "refresh_token"}`.
/// Its [`Debug`](fmt::Debug) output leaves both tokens out.
#[derive(Clone)]
pub struct TokenPair {
    access: AccessToken,
    refresh_token: String,
    family: RefreshFamily,
}

impl TokenPair {
    /// The access token (a JWT).
    pub fn access_token(&self) -> &str {
        self.access.as_str()
    }

    /// The access token, with its id and lifetime.
    pub fn access(&self) -> &AccessToken {
        &self.access
    }

    /// The refresh token: opaque, for the client to present to
    /// [`TokenIssuer::refresh`], and never to an API.
    pub fn refresh_token(&self) -> &str {
        &self.refresh_token
    }

    /// The access token's lifetime, for `expires_in`.
    pub fn expires_in(&self) -> Duration {
        self.access.expires_in()
    }

    /// The login session (refresh-token family) the tokens belong to.
    pub fn family(&self) -> &RefreshFamily {
        &self.family
    }
}

impl Serialize for TokenPair {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut response = serializer.serialize_struct("TokenPair", 4)?;
        response.serialize_field("access_token", self.access.as_str())?;
        response.serialize_field("token_type", "Bearer")?;
        response.serialize_field("expires_in", &self.expires_in().as_secs())?;
        response.serialize_field("refresh_token", &self.refresh_token)?;
        response.end()
    }
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access", &self.access)
            .field("family", &self.family.id)
            .finish_non_exhaustive()
    }
}

/// A refresh token accepted and rotated by [`TokenIssuer::refresh`]: the
/// subject to reload, and the successor token waiting to be handed out by
/// [`TokenIssuer::finish_refresh`].
///
/// It cannot be built outside this crate. Its [`Debug`](fmt::Debug) output leaves
/// the new token out.
#[must_use = "pass it to `finish_refresh` (or `reject_refresh`): dropping it ends the session"]
pub struct RefreshGrant {
    family: RefreshFamily,
    refresh_token: String,
    retried: bool,
}

impl RefreshGrant {
    /// The subject the session belongs to: look its current roles up by it.
    pub fn subject(&self) -> &str {
        &self.family.subject
    }

    /// The scope granted at the login: the most the refreshed token may carry.
    /// Empty for a family started by an earlier version, which kept no scope
    /// (its refreshes carry the scope of the claims you pass).
    pub fn scope(&self) -> &Scopes {
        static NONE: Scopes = Scopes::none();
        self.family.scope.as_ref().unwrap_or(&NONE)
    }

    /// Whether this refresh is a client's retry of a refresh whose answer it
    /// never got (within the [grace window](TokenIssuerBuilder::refresh_grace)).
    pub fn is_retry(&self) -> bool {
        self.retried
    }

    /// The login session: its id, subject, login time and end.
    pub fn family(&self) -> &RefreshFamily {
        &self.family
    }
}

impl fmt::Debug for RefreshGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshGrant")
            .field("family", &self.family)
            .field("retried", &self.retried)
            .finish_non_exhaustive()
    }
}

/// Why the issuer itself failed, carried as the `source` of an
/// [`AuthError::Unavailable`] for `"token issuer"` (a 503).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Random,
    /// The crypto backend refused to sign.
    #[error("the crypto backend refused to sign")]
    Signing,
    /// The refresh token's digest could not be computed.
    #[error("the refresh token digest could not be computed")]
    Digest,
    /// The claims could not be serialized.
    #[error("the claims could not be serialized")]
    Serialize,
    /// A token was asked for an empty subject.
    #[error("the subject must not be empty")]
    EmptySubject,
}

/// Why [`TokenIssuerBuilder::build`] refused the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerConfigError {
    /// No issuer was set.
    #[error("the issuer (`iss`) is not set")]
    MissingIssuer,
    /// The issuer is the empty string.
    #[error("the issuer must not be empty")]
    EmptyIssuer,
    /// No audience was set.
    #[error("no audience (`aud`) is set")]
    MissingAudience,
    /// An audience is the empty string.
    #[error("an audience must not be empty")]
    EmptyAudience,
    /// The key id is the empty string.
    #[error("the key id must not be empty")]
    EmptyKeyId,
    /// The access-token lifetime is zero or too long.
    #[error("the access-token lifetime is {seconds} s; it must be 1 s to {maximum} s")]
    AccessTtl {
        /// The lifetime asked for, in whole seconds.
        seconds: u64,
        /// The longest accepted.
        maximum: u64,
    },
    /// The session is shorter than an access token.
    #[error(
        "the refresh-token lifetime is {seconds} s; it must be at least the access-token lifetime, {minimum} s"
    )]
    RefreshTtl {
        /// The lifetime asked for, in whole seconds.
        seconds: u64,
        /// The access-token lifetime.
        minimum: u64,
    },
    /// The refresh grace window is above [`MAX_REFRESH_GRACE`].
    #[error("the refresh grace window is {seconds} s; at most {maximum} s is allowed")]
    RefreshGrace {
        /// The window asked for, in whole seconds.
        seconds: u64,
        /// The longest accepted.
        maximum: u64,
    },
    /// The leeway is above [`MAX_LEEWAY`].
    #[error("the leeway is {seconds} s; at most {maximum} s is allowed")]
    Leeway {
        /// The leeway asked for, in whole seconds.
        seconds: u64,
        /// The largest accepted.
        maximum: u64,
    },
    /// The verifying key set could not be built.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// `aud`: one string, or an array for several audiences.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Several(Vec<String>),
}

impl Audience {
    fn iter(&self) -> impl Iterator<Item = &str> {
        let all: &[String] = match self {
            Audience::One(one) => std::slice::from_ref(one),
            Audience::Several(several) => several,
        };
        all.iter().map(String::as_str)
    }
}

/// The claims of an access token, in the order they are written.
#[derive(Serialize)]
struct Payload<'a> {
    iss: &'a str,
    aud: &'a Audience,
    sub: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
    jti: &'a str,
    /// The login session (refresh family) of a session token.
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    /// The subject cutoff it was minted under; absent only for the tokens of a
    /// family started without one (an earlier version).
    #[serde(
        rename = "urn:auth-core:cutoff",
        skip_serializing_if = "Option::is_none"
    )]
    cutoff: Option<u64>,
    roles: &'a [String],
    #[serde(skip_serializing_if = "str::is_empty")]
    scope: &'a str,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

/// A new refresh token, and the id the store keeps instead of it.
struct RefreshSecret {
    secret: String,
    id: String,
}

impl RefreshSecret {
    fn generate() -> Result<Self, AuthError> {
        let secret = random_id::<REFRESH_BYTES>()?;
        let id = digest(&secret)?;
        Ok(RefreshSecret { secret, id })
    }
}

/// The store id of a presented refresh token, or `None` when it cannot be one
/// of ours (checked before anything is hashed or looked up).
fn presented_token_id(token: &str) -> Result<Option<String>, AuthError> {
    if token.len() != REFRESH_CHARS || !is_canonical_b64(token, REFRESH_BYTES) {
        return Ok(None);
    }
    digest(token).map(Some)
}

/// The SHA-256 of a refresh token, base64url: what stores key it by, so that the
/// token itself is never stored or logged.
fn digest(token: &str) -> Result<String, AuthError> {
    let hash =
        (backend::provider().key_utils.compute_digest)(token.as_bytes(), ThumbprintHash::SHA256)
            .map_err(|_| failed(IssueError::Digest))?;
    Ok(URL_SAFE_NO_PAD.encode(hash))
}

/// `N` random bytes from the operating system, base64url.
fn random_id<const N: usize>() -> Result<String, AuthError> {
    let mut bytes = [0_u8; N];
    getrandom::fill(&mut bytes).map_err(|error| {
        tracing::error!(target: LOG_TARGET, component = COMPONENT, error = %error, "the random number generator failed");
        failed(IssueError::Random)
    })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The `jti` of an access token of the session `family_id`: `<family id>.<random>`.
fn session_token_id(family_id: &str) -> Result<String, AuthError> {
    let mut id = random_id::<ID_BYTES>()?;
    id.insert(0, '.');
    id.insert_str(0, family_id);
    Ok(id)
}

/// The family id a session token's `jti` starts with, if it has that shape.
fn family_of(token_id: &str) -> Option<&str> {
    let (family, random) = token_id.split_once('.')?;
    (family.len() == ID_CHARS
        && random.len() == ID_CHARS
        && is_canonical_b64(family, ID_BYTES)
        && is_canonical_b64(random, ID_BYTES))
    .then_some(family)
}

fn is_canonical_b64(text: &str, bytes: usize) -> bool {
    URL_SAFE_NO_PAD
        .decode(text)
        .is_ok_and(|decoded| decoded.len() == bytes)
}

fn check_subject(subject: &str) -> Result<(), AuthError> {
    if subject.is_empty() {
        Err(failed(IssueError::EmptySubject))
    } else {
        Ok(())
    }
}

/// A refresh token refused: 400 `invalid_grant`.
fn refused(reason: TokenError) -> AuthError {
    AuthError::InvalidGrant(GrantError::RefreshToken(reason))
}

fn failed(error: IssueError) -> AuthError {
    tracing::error!(target: LOG_TARGET, component = COMPONENT, error = %error, "token issuance failed");
    AuthError::unavailable(COMPONENT, error)
}

fn audit_issued(access: &AccessToken, family: Option<&RefreshFamily>, grant: &'static str) {
    tracing::event!(
        target: audit::TARGET,
        Level::INFO,
        principal = family.map(|f| f.subject.as_str()),
        token_id = access.token_id(),
        family = family.map(|f| f.id.as_str()),
        grant,
        decision = "issued",
    );
}

fn audit_reused(family: &RefreshFamily) {
    tracing::event!(
        target: audit::TARGET,
        Level::WARN,
        principal = family.subject.as_str(),
        family = family.id.as_str(),
        reason = "refresh token reused: the whole family is revoked",
        decision = "refresh_refused",
    );
}

fn audit_retried(family: &RefreshFamily) {
    tracing::event!(
        target: audit::TARGET,
        Level::WARN,
        principal = family.subject.as_str(),
        family = family.id.as_str(),
        reason = "the refresh token used up by the last rotation was presented again within the grace window: its successor is replaced",
        decision = "refresh_retried",
    );
}

fn audit_refused(family: Option<&RefreshFamily>, reason: &'static str) {
    tracing::event!(
        target: audit::TARGET,
        Level::INFO,
        principal = family.map(|f| f.subject.as_str()),
        family = family.map(|f| f.id.as_str()),
        reason,
        decision = "refresh_refused",
    );
}

/// Seconds since the Unix epoch, rounded down; 0 before 1970.
fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

fn instant(secs: u64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_secs(secs))
        .unwrap_or(UNIX_EPOCH)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn session_token_ids_name_their_family() {
        let family = random_id::<ID_BYTES>().unwrap();
        let jti = session_token_id(&family).unwrap();
        assert_eq!(jti.len(), 2 * ID_CHARS + 1);
        assert_eq!(family_of(&jti), Some(family.as_str()));
        // A plain token id, or anything else, names no family.
        assert_eq!(family_of(&random_id::<ID_BYTES>().unwrap()), None);
        for other in [
            "",
            ".",
            "a.b",
            "../../etc/passwd.x",
            &format!("{family}.{family}x"),
        ] {
            assert_eq!(family_of(other), None, "{other}");
        }
    }

    #[test]
    fn refresh_tokens_are_256_bits_and_stored_by_digest() {
        let token = RefreshSecret::generate().unwrap();
        assert_eq!(token.secret.len(), REFRESH_CHARS);
        assert_ne!(token.secret, token.id);
        assert_eq!(
            presented_token_id(&token.secret).unwrap(),
            Some(token.id.clone())
        );
        // Malformed input is refused before hashing: wrong length, padding,
        // another alphabet, non-zero trailing bits (a second spelling of the token).
        let mut non_canonical = token.secret.clone();
        non_canonical.pop();
        non_canonical.push('B');
        for bad in [
            String::new(),
            "x".to_owned(),
            format!("{}=", token.secret),
            "+".repeat(REFRESH_CHARS),
            non_canonical,
            "A".repeat(10_000),
        ] {
            assert_eq!(presented_token_id(&bad).unwrap(), None, "{bad}");
        }
    }

    #[test]
    fn unix_seconds_round_as_documented() {
        let t = UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(unix_secs(t), 1);
        assert_eq!(unix_secs(instant(7)), 7);
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(1)), 0);
    }

    #[test]
    fn reserved_and_mistyped_claims_are_refused() {
        for name in RESERVED_CLAIMS {
            assert_eq!(
                AccessClaims::new().claim(name, "x"),
                Err(ClaimError::Reserved(name.to_owned()))
            );
        }
        assert!(matches!(
            AccessClaims::new().claim("amr", "pwd"),
            Err(ClaimError::WrongType { claim: "amr", .. })
        ));
        assert!(matches!(
            AccessClaims::new().claim("auth_time", "1"),
            Err(ClaimError::WrongType {
                claim: "auth_time",
                ..
            })
        ));
        assert!(AccessClaims::new().claim("amr", ["pwd", "otp"]).is_ok());
        assert!(
            AccessClaims::new()
                .claim("auth_time", 1_700_000_000)
                .is_ok()
        );
    }
}
