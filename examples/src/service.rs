//! The service itself, whatever the framework: stores, token issuance, and the
//! operations behind the `/auth` and `/admin` endpoints. The axum and actix-web
//! apps are thin layers over it.

use std::net::IpAddr;
use std::sync::Arc;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::api_key::{ApiKeyAuthenticator, ApiKeyRecord, ApiKeys, PlaintextKey};
use auth_core::jwt::{
    AccessClaims, Claims, ClaimsMapper, HmacAlgorithm, SigningKey, TokenIssuer, TokenPair,
};
use auth_core::limit::{HasPlanLimits, PlanLimits, Plans};
use auth_core::mfa::{Enrollment, StepUp, Totp, TotpSecret, TotpStore as _};
use auth_core::rbac::RoleTable;
use auth_core::session::{NewSession, Rotation, SessionAuthenticator, Sessions};
use auth_core::{
    AuthError, Authenticated, Chain, GrantError, LoadUser, Mechanism, Permit, Scopes,
    SharedAuthenticator, TokenError,
};
use http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::api_keys::{ApiKey, Revoke};
use crate::config::{Config, ConnectionLimits, Secret};
use crate::db::{Db, RoleChange};
use crate::domain::{FREE_PLAN, NewOrder, Order, PRO_PLAN, Read, Refund, User};
use crate::error::ApiError;
use crate::limits::Limits;
use crate::login_throttle::redis::RedisThrottle;
use crate::login_throttle::{LoginThrottle, Throttle};
use crate::page::{Page, PageQuery};
use crate::password_workers::PasswordWorkers;
use crate::policy::OrderRules;
use crate::stores::{
    self, ApiKeyStores, PlanLimitStores, RefreshTokens, Revocations, SessionStores, TotpStores,
};

/// The session cookie: `__Host-orders_session`.
pub const SESSION_COOKIE: &str = "orders_session";

/// The seeded administrator who has a second factor: `dave@example.com`, user 4.
pub const DAVE: &str = "4";

/// Dave's TOTP secret, base32, for the demo (README): any authenticator app, or
/// `python3 -c 'import pyotp; print(pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").now())'`.
/// A real service never ships one.
pub const DAVE_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// The scopes this service grants; a login gets all of them unless it asks for
/// fewer.
pub const SCOPES: [&str; 2] = ["orders:read", "orders:write"];

/// The most roles one user may hold: a role change lists at most this many.
pub const MAX_ROLES_PER_USER: usize = 16;

/// The issuer, with both stores shared with the authenticator.
pub type Issuer = TokenIssuer<Arc<Revocations>, Arc<RefreshTokens>>;

/// Loads the principal of a verified token from the database, on every request:
/// roles come from the source of truth, never from the token, so a demoted admin
/// is refused at once. A validly signed token whose user is gone is a 401. The
/// parse accepts spellings such as `"01"` or `"+1"`; the authenticator then
/// refuses them, because the loaded user's canonical subject is `"1"`.
///
/// It also resolves the user's roles through the roles file, once per request
/// ([`User::grants`]), so every `role(..)` and `permission(..)` gate after it is
/// a lookup, inheritance included. A stored role the file does not declare is a
/// 500 with an error event: granting less than the record says would hide it.
#[derive(Debug, Clone)]
pub struct UserStore {
    db: Db,
    roles: RoleTable,
}

impl UserStore {
    /// `user` with what its roles grant.
    fn resolved(&self, mut user: User) -> Result<User, AuthError> {
        user.grants = self.roles.grants(&user.roles).map_err(|error| {
            tracing::error!(user = user.id, %error, "a stored role is not in the roles file");
            AuthError::from(error)
        })?;
        Ok(user)
    }
}

impl ClaimsMapper for UserStore {
    type User = User;

    async fn map(&self, claims: &Claims<'_>) -> Result<User, AuthError> {
        // A guest token (`POST /auth/guest`) has no user behind it.
        if claims.is_guest()? {
            return Ok(User::guest(claims.subject()));
        }
        let id: i64 = claims
            .subject()
            .parse()
            .map_err(|_| TokenError::InvalidClaim("sub"))?;
        match self.db.user(id) {
            Ok(Some(user)) => self.resolved(user),
            Ok(None) => Err(TokenError::UnknownSubject.into()),
            Err(error) => Err(AuthError::unavailable("user store", error)),
        }
    }
}

/// The same source of truth for sessions and API keys, which remember a subject
/// (a user id the service wrote) and nothing else.
impl LoadUser for UserStore {
    type User = User;

    async fn load(&self, subject: &str) -> Result<Option<User>, AuthError> {
        let Ok(id) = subject.parse::<i64>() else {
            return Ok(None);
        };
        if id.to_string() != subject {
            return Ok(None);
        }
        match self.db.user(id) {
            Ok(Some(user)) => self.resolved(user).map(Some),
            Ok(None) => Ok(None),
            Err(error) => Err(AuthError::unavailable("user store", error)),
        }
    }
}

/// Why the service would not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The roles file is unreadable or invalid, or lacks a role a gate names.
    #[error(transparent)]
    Roles(#[from] crate::access::RolesError),
    /// The Cedar policy set of the order rules is refused
    /// (`ORDERS_API_POLICY_ENGINE=cedar`).
    #[error(transparent)]
    Rules(#[from] crate::cedar_orders::CedarRulesError),
    /// The database could not be opened.
    #[error("DATABASE_URL: the database cannot be opened: {0}")]
    Db(#[from] crate::db::DbError),
    /// A store (Redis) could not be reached.
    #[error("REDIS_URL: Redis cannot be reached: {0}")]
    Stores(AuthError),
    /// The signing key or the issuer configuration was refused.
    #[error("tokens: {0}")]
    Tokens(String),
    /// The session, API key or TOTP configuration was refused.
    #[error("authentication: {0}")]
    WaysIn(String),
}

/// A login request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The sign-in email.
    pub email: String,
    /// The password.
    pub password: String,
    /// Space-separated scopes; all of [`SCOPES`] when absent.
    pub scope: Option<String>,
}

/// A refresh request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token of the last pair.
    pub refresh_token: String,
}

/// A role change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesRequest {
    /// The user's new roles.
    pub roles: Vec<String>,
}

/// The answer to a login or a refresh (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// The access token (a JWT).
    pub access_token: String,
    /// The refresh token (opaque).
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The granted scope.
    pub scope: String,
}

/// `POST /auth/session`: a browser sign-in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The sign-in email.
    pub email: String,
    /// The password.
    pub password: String,
}

/// The answer to a session sign-in or rotation: the synchronizer token the page
/// sends back in `X-CSRF-Token` with every unsafe request. The session id is in
/// the `Set-Cookie` header, never in the body.
#[derive(Debug, Serialize)]
pub struct SessionResponse {
    /// The CSRF token.
    pub csrf_token: String,
}

/// `POST /auth/api-keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRequest {
    /// What the key is for.
    pub name: String,
    /// A subset of the caller's scopes; none when absent.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// A new API key: the only time its secret is shown.
#[derive(Debug, Serialize)]
pub struct NewApiKeyResponse {
    /// The key's id (not secret).
    pub id: String,
    /// The key itself, `oak_...`.
    pub key: String,
    /// What it may do.
    pub scopes: Vec<String>,
}

/// One API key in a listing: no secret.
#[derive(Debug, Serialize)]
pub struct ApiKeyView {
    /// The key's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// When it was created (Unix seconds).
    pub created_at: u64,
    /// When it was last used (Unix seconds), if ever.
    pub last_used_at: Option<u64>,
    /// When it expires (Unix seconds), if ever.
    pub expires_at: Option<u64>,
}

impl From<&ApiKeyRecord> for ApiKeyView {
    fn from(record: &ApiKeyRecord) -> Self {
        ApiKeyView {
            id: record.id().to_owned(),
            name: record.name().to_owned(),
            scopes: record.scopes().iter().map(str::to_owned).collect(),
            created_at: unix(record.created_at()),
            last_used_at: record.last_used_at().map(unix),
            expires_at: record.expires_at().map(unix),
        }
    }
}

/// A guest's token (no refresh token: a guest asks again).
#[derive(Debug, Serialize)]
pub struct GuestTokenResponse {
    /// The access token (a JWT).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// `POST /auth/mfa/totp/enroll`'s answer.
#[derive(Debug, Serialize)]
pub struct EnrollmentResponse {
    /// The shared secret, base32, for manual entry.
    pub secret: String,
    /// The `otpauth://` URI, for a QR code.
    pub otpauth_uri: String,
}

/// A one-time code.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// Six digits from the authenticator app.
    pub code: String,
}

/// What `POST /auth/mfa/verify` answers: new tokens for a bearer caller, a
/// rotated session for a session caller.
#[derive(Debug)]
pub enum SteppedUp {
    /// A new token pair whose `amr` includes `otp`.
    Tokens(TokenResponse),
    /// The rotated session: its cookie and CSRF token.
    Session(NewSession),
}

fn unix(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Everything a request handler needs.
#[derive(Debug)]
pub struct Service {
    /// The database.
    pub db: Db,
    /// Issues and revokes tokens.
    pub issuer: Issuer,
    /// Verifies the caller's one credential: a bearer token (a guest's too), the
    /// session cookie or an API key ([`Chain`]); what the framework extractors run.
    pub authenticator: SharedAuthenticator<User>,
    /// Server-side sessions (`__Host-orders_session`).
    pub sessions: Sessions<Arc<SessionStores>>,
    /// API keys: create, list, revoke.
    pub api_keys: ApiKeys<Arc<ApiKeyStores>>,
    /// The TOTP second factor.
    pub totp: Totp<Arc<TotpStores>>,
    /// Body size, page size and orders per user.
    pub limits: Limits,
    /// How long clients may hold connections, and how many (`ORDERS_API_*_TIMEOUT`,
    /// `ORDERS_API_MAX_CONNECTIONS`): the servers apply them.
    pub connections: ConnectionLimits,
    /// Where passwords are verified: never on an async worker.
    pub passwords: PasswordWorkers,
    /// Login attempts per client and per email: in memory, or in Redis with
    /// `REDIS_URL`.
    pub login_throttle: Throttle,
    /// The roles and permissions (`ORDERS_API_ROLES_FILE`), validated at start.
    pub roles: RoleTable,
    /// The plan tiers' quotas (`ORDERS_API_PLAN_FREE`, `ORDERS_API_PLAN_PRO`)
    /// and their counts: in memory, or in Redis with `REDIS_URL`. What the plan
    /// gate on `GET /orders` reads.
    pub plan_limits: PlanLimits<PlanLimitStores>,
    /// Which engine decides the order rules (`ORDERS_API_POLICY_ENGINE`): the
    /// state of the read, delete and refund policies ([`crate::policy`]).
    pub rules: OrderRules,
}

/// The plan gate (`check(auth_core::limit::within_plan)`) reads the service.
impl HasPlanLimits for Service {
    type Store = PlanLimitStores;
    fn plan_limits(&self) -> &PlanLimits<PlanLimitStores> {
        &self.plan_limits
    }
}

impl Service {
    /// Opens the database and the stores, and builds the issuer and the
    /// authenticator from `config`.
    ///
    /// # Errors
    /// When the roles file, the database, Redis or the key configuration fails.
    pub async fn start(config: &Config) -> Result<Arc<Service>, StartError> {
        let roles = crate::access::load(config.roles_file.as_deref())?;
        let order_rules = OrderRules::start(&config.policy_engine, &roles)?;
        if let Secret::Generated(_) = config.secret {
            tracing::warn!(
                "ORDERS_API_JWT_SECRET is not set: using a random key, so tokens will not \
                 survive a restart and other instances will not accept them"
            );
        }
        if config.redis_url.is_some() && config.database_url.is_none() {
            // Refreshes work across instances without it (the refresh store keeps
            // each session's scope), but users, roles and orders live in each
            // instance's own in-memory database.
            tracing::warn!(
                "REDIS_URL is set but DATABASE_URL is not: each instance has its own \
                 in-memory database, so a role change or a new order on one instance \
                 is not seen by the others; share a DATABASE_URL"
            );
        }
        let db = Db::open(config.database_url.as_deref())?;
        let (revocations, refresh_tokens) = stores::open(config.redis_url.as_deref())
            .await
            .map_err(StartError::Stores)?;
        let revocations = Arc::new(revocations);
        let login_throttle = match config.redis_url.as_deref() {
            None => Throttle::Memory(LoginThrottle::new(config.login_limits)),
            Some(url) => Throttle::Redis(
                RedisThrottle::connect(url, config.login_limits)
                    .await
                    .map_err(StartError::Stores)?,
            ),
        };
        let key = SigningKey::hmac(HmacAlgorithm::HS256, config.secret.bytes())
            .map_err(|e| StartError::Tokens(e.to_string()))?;
        let issuer = TokenIssuer::builder(key, Arc::clone(&revocations), Arc::new(refresh_tokens))
            .issuer(config.issuer.as_str())
            .audience(config.audience.as_str())
            .access_ttl(config.access_ttl)
            .build()
            .map_err(|e| StartError::Tokens(e.to_string()))?;
        let users = UserStore {
            db: db.clone(),
            roles: roles.clone(),
        };
        let bearer = issuer
            .authenticator_builder(users.clone())
            .revocation(revocations)
            .build()
            .map_err(|e| StartError::Tokens(e.to_string()))?;
        let ways = stores::open_ways_in(config.redis_url.as_deref())
            .await
            .map_err(StartError::Stores)?;
        let refused = |e: &dyn std::fmt::Display| StartError::WaysIn(e.to_string());
        let sessions = Sessions::builder(Arc::new(ways.sessions))
            .cookie_name(SESSION_COOKIE)
            .idle_timeout(config.sessions.idle_timeout)
            .absolute_timeout(config.sessions.absolute_timeout)
            .build()
            .map_err(|e| refused(&e))?;
        // A session is a first-party sign-in: every scope the service grants.
        let session = config
            .sessions
            .trusted_origins
            .iter()
            .fold(
                SessionAuthenticator::builder(sessions.clone(), users.clone())
                    .scopes(Scopes::from_space_separated(&SCOPES.join(" "))),
                |builder, origin| builder.trusted_origin(origin.as_str()),
            )
            .build()
            .map_err(|e| refused(&e))?;
        let api_key_store = Arc::new(ways.api_keys);
        let api_key = ApiKeyAuthenticator::new(Arc::clone(&api_key_store), users);
        let totp = Totp::builder("orders-api", Arc::new(ways.totp))
            .build()
            .map_err(|e| refused(&e))?;
        seed_dave_totp(&totp).await.map_err(StartError::Stores)?;
        let plan_limits = plan_limits(config).await?;
        let chain = Chain::new(bearer)
            .or(session)
            .and_then(|chain| chain.or(api_key))
            .map_err(|e| refused(&e))?;
        Ok(Arc::new(Service {
            db,
            issuer,
            authenticator: SharedAuthenticator::new(chain).with_realm("orders-api"),
            sessions,
            api_keys: ApiKeys::new(api_key_store),
            totp,
            limits: config.limits,
            connections: config.connections,
            passwords: PasswordWorkers::per_core(),
            login_throttle,
            roles,
            plan_limits,
            rules: order_rules,
        }))
    }

    /// `POST /auth/login` from `client` (its address, for the throttle): checks
    /// the password, then issues a pair with the requested scope (least
    /// privilege: a narrower scope is honoured, an unknown one refused).
    ///
    /// The attempt is throttled before the password is hashed, and the hash runs
    /// on [`PasswordWorkers`], never on an async worker.
    ///
    /// The scope granted is kept with the session in the refresh store, so any
    /// instance sharing it can refresh the session.
    ///
    /// # Errors
    /// [`ApiError::InvalidCredentials`] (400 `invalid_grant`) for a wrong email or
    /// password alike; [`ApiError::TooManyAttempts`] beyond the login limits.
    pub async fn login(
        &self,
        client: Option<IpAddr>,
        request: &LoginRequest,
    ) -> Result<TokenResponse, ApiError> {
        let scope = granted_scope(request.scope.as_deref())?;
        let user = self
            .check_password(client, &request.email, &request.password)
            .await?;
        let pair = self
            .issuer
            .login(&user.id.to_string(), &password_claims(&user, &scope)?)
            .await?;
        Ok(token_response(&pair, scope))
    }

    /// Checks a password, throttled per client and per email (429 beyond the
    /// limits), on the password workers.
    async fn check_password(
        &self,
        client: Option<IpAddr>,
        email: &str,
        password: &str,
    ) -> Result<User, ApiError> {
        let attempt = self.login_throttle.admit(client, email).await?;
        let (db, email, password) = (self.db.clone(), email.to_owned(), password.to_owned());
        let user = self
            .passwords
            .run(move || db.verify_login(&email, &password))
            .await??
            .ok_or(ApiError::InvalidCredentials)?;
        attempt.succeeded().await;
        Ok(user)
    }

    /// `POST /auth/session`: a password sign-in that makes a server-side
    /// session. The id is fresh (never one the client sent).
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub async fn session_login(
        &self,
        client: Option<IpAddr>,
        request: &SessionRequest,
    ) -> Result<NewSession, ApiError> {
        let user = self
            .check_password(client, &request.email, &request.password)
            .await?;
        Ok(self
            .sessions
            .login(&user.id.to_string(), &["pwd"], None)
            .await?)
    }

    /// `DELETE /auth/session`: ends the caller's session on every instance;
    /// the `Set-Cookie` that clears it.
    ///
    /// # Errors
    /// 503 when the session store cannot answer.
    pub async fn session_logout(&self, headers: &HeaderMap) -> Result<HeaderValue, ApiError> {
        Ok(self.sessions.logout(headers).await?)
    }

    /// `POST /auth/guest`: a token for a guest.
    ///
    /// # Errors
    /// 503 when a store cannot answer.
    pub async fn guest(&self) -> Result<GuestTokenResponse, ApiError> {
        let token = self.issuer.issue_guest_token(&AccessClaims::new()).await?;
        Ok(GuestTokenResponse {
            access_token: token.as_str().to_owned(),
            token_type: "Bearer",
            expires_in: token.expires_in().as_secs(),
        })
    }

    /// `POST /auth/api-keys`: a key for the caller with a subset of the
    /// caller's scopes.
    ///
    /// # Errors
    /// 400 for a bad name or scope, 403 `insufficient_scope` for a scope the
    /// caller lacks, 503 when the store cannot answer.
    pub async fn create_api_key(
        &self,
        user: &Authenticated<User>,
        request: &ApiKeyRequest,
    ) -> Result<NewApiKeyResponse, ApiError> {
        let (key, record): (PlaintextKey, ApiKeyRecord) = self
            .api_keys
            .create(
                user.subject(),
                user.scopes(),
                &request.name,
                &request.scopes,
                None,
            )
            .await
            .map_err(AuthError::from)?;
        Ok(NewApiKeyResponse {
            id: record.id().to_owned(),
            key: key.into_exposed(),
            scopes: record.scopes().iter().map(str::to_owned).collect(),
        })
    }

    /// `GET /auth/api-keys`: the caller's keys, without secrets.
    ///
    /// # Errors
    /// 503 when the store cannot answer.
    pub async fn api_key_list(
        &self,
        user: &Authenticated<User>,
    ) -> Result<Vec<ApiKeyView>, ApiError> {
        let records = self
            .api_keys
            .list(user.subject())
            .await
            .map_err(AuthError::from)?;
        Ok(records.iter().map(ApiKeyView::from).collect())
    }

    /// `DELETE /auth/api-keys/{id}`: revokes the key the permit is for, one of
    /// the caller's own ([`crate::policy`]).
    ///
    /// # Errors
    /// 404 when the key was revoked meanwhile, 503 when the store cannot answer.
    pub async fn revoke_api_key(&self, key: &Permit<'_, Revoke, ApiKey>) -> Result<(), ApiError> {
        Ok(self
            .api_keys
            .revoke(key.0.owner(), key.0.id())
            .await
            .map_err(AuthError::from)?)
    }

    /// `POST /auth/mfa/totp/enroll`: a new (pending) TOTP secret. Replacing an
    /// active factor needs a recent step-up, or a password alone would replace
    /// the second factor.
    ///
    /// # Errors
    /// 401 with an RFC 9470 challenge when the caller has a factor and did not
    /// just prove it; 503 when the store cannot answer.
    pub async fn totp_enroll(
        &self,
        user: &Authenticated<User>,
    ) -> Result<EnrollmentResponse, ApiError> {
        if self.totp.is_enrolled(user.subject()).await? {
            auth_core::gate::mfa(user).into_result()?;
            auth_core::gate::fresh(user, 300).into_result()?;
        }
        let enrollment: Enrollment = self.totp.enroll(user.subject(), &user.email).await?;
        Ok(EnrollmentResponse {
            secret: enrollment.secret_base32(),
            otpauth_uri: enrollment.otpauth_uri().to_owned(),
        })
    }

    /// `POST /auth/mfa/totp/confirm`: activates the pending secret with a code.
    ///
    /// # Errors
    /// 400 `invalid_grant` for a wrong code, 429 after too many.
    pub async fn totp_confirm(
        &self,
        user: &Authenticated<User>,
        code: &str,
    ) -> Result<(), ApiError> {
        Ok(self.totp.confirm(user.subject(), code).await?)
    }

    /// `POST /auth/mfa/verify`: proves the second factor. A bearer caller gets a
    /// new token pair, a session caller a rotated session (the old id is dead
    /// at once), each with `amr` including `otp`, `acr` and a fresh `auth_time`.
    ///
    /// # Errors
    /// 400 `invalid_grant` for a wrong, reused or malformed code; 429 after too
    /// many; 503 when a store cannot answer.
    pub async fn totp_verify(
        &self,
        user: &Authenticated<User>,
        headers: &HeaderMap,
        code: &str,
    ) -> Result<SteppedUp, ApiError> {
        let step: StepUp = self
            .totp
            .verify(user.subject(), code, user.info().amr())
            .await?;
        if user.info().mechanism() == Mechanism::Session {
            let rotation = Rotation::new()
                .amr(step.amr().iter().map(String::as_str))
                .acr(step.acr())
                .auth_time(step.auth_time());
            return Ok(SteppedUp::Session(
                self.sessions.rotate(headers, rotation).await?,
            ));
        }
        let scope = user.scopes().as_str().to_owned();
        let claims = claims_for(user, &scope)
            .claim("amr", step.amr())
            .and_then(|claims| claims.claim("acr", step.acr()))
            .and_then(|claims| claims.claim("auth_time", unix(step.auth_time())))
            .map_err(|_| ApiError::BadRequest("the step-up claims could not be written"))?;
        let pair = self.issuer.login(user.subject(), &claims).await?;
        Ok(SteppedUp::Tokens(token_response(&pair, scope)))
    }

    /// `POST /auth/refresh`: rotates the refresh token and issues a new pair with
    /// the user's *current* roles and the scope granted at the login (kept with
    /// the session in the refresh store). A reused refresh token revokes its
    /// whole family. A retry of a refresh whose answer was lost (a 503) is
    /// answered within the issuer's grace window.
    ///
    /// # Errors
    /// 400 `invalid_grant` for an unknown, expired, revoked or reused refresh
    /// token, or a user who no longer exists; 503 with `Retry-After` when a store
    /// cannot answer.
    pub async fn refresh(&self, request: &RefreshRequest) -> Result<TokenResponse, ApiError> {
        let grant = self.issuer.refresh(&request.refresh_token).await?;
        let user = grant
            .subject()
            .parse::<i64>()
            .ok()
            .and_then(|id| self.db.user(id).transpose())
            .transpose()?;
        let scope = grant.scope().as_str().to_owned();
        let Some(user) = user.filter(|_| !scope.is_empty()) else {
            self.issuer.reject_refresh(grant).await?;
            return Err(AuthError::InvalidGrant(GrantError::RefreshToken(
                TokenError::UnknownSubject,
            ))
            .into());
        };
        let pair = self
            .issuer
            .finish_refresh(grant, &claims_for(&user, &scope))
            .await?;
        Ok(token_response(&pair, scope))
    }

    /// `POST /auth/logout`: revokes this access token and its refresh family.
    ///
    /// # Errors
    /// 503 when the stores cannot be reached.
    pub async fn logout(&self, user: &Authenticated<User>) -> Result<(), ApiError> {
        Ok(self.issuer.logout(user).await?)
    }

    /// `POST /auth/logout-all`: revokes every token of the caller and ends
    /// every server-side session of theirs, on every instance: "log out
    /// everywhere" reaches the browser sessions too (a lost laptop's cookie).
    /// API keys are not sign-ins and stay; they are revoked one by one.
    ///
    /// # Errors
    /// 503 when the stores cannot be reached.
    pub async fn logout_all(&self, user: &Authenticated<User>) -> Result<(), ApiError> {
        self.issuer.logout_all(user.subject()).await?;
        self.sessions.destroy_all_for(user.subject()).await?;
        Ok(())
    }

    /// `PUT /admin/users/{id}/roles`: changes a user's roles and revokes the
    /// user's older tokens, so no token issued under the old roles survives.
    ///
    /// # Errors
    /// 400 for a role the roles file does not declare, 404 for an unknown user,
    /// 409 when the change would leave no administrator (nothing changes then).
    pub async fn set_roles(&self, id: i64, roles: &[String]) -> Result<User, ApiError> {
        if roles.is_empty() || roles.iter().any(|r| self.roles.role(r).is_none()) {
            return Err(ApiError::BadRequest(
                "roles must be a non-empty list of roles the service's roles file declares",
            ));
        }
        let user = match self.db.set_roles(id, roles)? {
            RoleChange::Changed(user) => user,
            RoleChange::NoSuchUser => return Err(ApiError::NotFound),
            RoleChange::LastAdmin => {
                return Err(ApiError::Conflict(
                    "the change would leave no administrator",
                ));
            }
        };
        // Every token and session issued under the old roles dies now, audited
        // as such: a role change is a privilege change.
        self.issuer.logout_all(&id.to_string()).await?;
        self.sessions.destroy_all_for(&id.to_string()).await?;
        Ok(user)
    }

    /// `GET /admin/users`: one page of users.
    ///
    /// # Errors
    /// 400 for a page size out of range.
    pub fn users(&self, query: PageQuery) -> Result<Page<User>, ApiError> {
        Ok(self.db.users(query.check(&self.limits)?)?)
    }

    /// `GET /orders`: one page of the orders the caller may read (their own; an
    /// admin's: all). The policy's filter is the query's `WHERE`: one decision
    /// and one audit event for the list, one page read from the database, and
    /// each row checked against the filter again as it becomes a permit.
    ///
    /// # Errors
    /// 400 for a page size out of range; 403 for a guest; 503 when the rules'
    /// engine cannot answer.
    pub fn orders(
        &self,
        user: &Authenticated<User>,
        query: PageQuery,
    ) -> Result<Page<Order>, ApiError> {
        let page = query.check(&self.limits)?;
        let list = user.authorize_list::<Read, Order>(&self.rules)?;
        let Page { items, next } = self.db.orders(&list, page)?;
        let items = list
            .admit_all(items)?
            .into_iter()
            .map(auth_core::Permit::into_resource)
            .collect();
        Ok(Page { items, next })
    }

    /// `POST /orders/{id}/refund`: records the refund of the order the permit is
    /// for ([`crate::policy`]: a manager's, under 500.00, in their region, within
    /// 30 days), now.
    ///
    /// # Errors
    /// 409 when the order was refunded already.
    pub fn refund_order(&self, order: &Permit<'_, Refund, Order>) -> Result<Order, ApiError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
            });
        self.db
            .refund_order(order, now)?
            .ok_or(ApiError::Conflict("the order was refunded already"))
    }

    /// `POST /orders`: creates an order owned by the caller.
    ///
    /// # Errors
    /// 409 when the caller already has `ORDERS_API_MAX_ORDERS_PER_USER` orders.
    pub fn create_order(
        &self,
        user: &Authenticated<User>,
        new: &NewOrder,
    ) -> Result<Order, ApiError> {
        self.db
            .create_order(user, new, self.limits.max_orders_per_user)?
            .ok_or(ApiError::Conflict(
                "the caller has reached the maximum number of orders",
            ))
    }
}

/// The plan tiers (`ORDERS_API_PLAN_FREE`, `ORDERS_API_PLAN_PRO`) on their store.
async fn plan_limits(config: &Config) -> Result<PlanLimits<PlanLimitStores>, StartError> {
    let plans = Plans::new()
        .with(FREE_PLAN, config.plans.free)
        .and_then(|plans| plans.with(PRO_PLAN, config.plans.pro))
        .map_err(|e| StartError::WaysIn(e.to_string()))?;
    let store = stores::open_plan_limits(config.redis_url.as_deref())
        .await
        .map_err(StartError::Stores)?;
    Ok(PlanLimits::new(plans, store))
}

fn granted_scope(requested: Option<&str>) -> Result<String, ApiError> {
    let Some(requested) = requested else {
        return Ok(SCOPES.join(" "));
    };
    let wanted: Vec<&str> = requested.split_ascii_whitespace().collect();
    if wanted.is_empty() || wanted.iter().any(|s| !SCOPES.contains(s)) {
        return Err(ApiError::InvalidScope);
    }
    // In the service's order, without duplicates.
    Ok(SCOPES
        .iter()
        .filter(|s| wanted.contains(s))
        .copied()
        .collect::<Vec<_>>()
        .join(" "))
}

/// A password sign-in's claims: `amr` `["pwd"]` and `auth_time` now, which a
/// step-up extends and the `fresh` gate reads. A refresh is no sign-in: its
/// tokens carry neither.
fn password_claims(user: &User, scope: &str) -> Result<AccessClaims, ApiError> {
    claims_for(user, scope)
        .claim("amr", ["pwd"])
        .and_then(|claims| claims.claim("auth_time", unix(SystemTime::now())))
        .map_err(|_| ApiError::BadRequest("the sign-in claims could not be written"))
}

fn claims_for(user: &User, scope: &str) -> AccessClaims {
    AccessClaims::new().roles(&user.roles).scope(scope)
}

/// Gives the seeded admin `dave@example.com` the documented TOTP secret
/// ([`DAVE_TOTP_SECRET`]), unless a factor is already there (another instance, a
/// restart on the same Redis).
async fn seed_dave_totp(totp: &Totp<Arc<TotpStores>>) -> Result<(), AuthError> {
    let store = totp.store();
    let now = SystemTime::now();
    if store.load(DAVE, now).await?.active.is_some() {
        return Ok(());
    }
    let secret = TotpSecret::from_base32(DAVE_TOTP_SECRET).ok_or(AuthError::misconfigured(
        "the demo TOTP secret is not base32",
    ))?;
    store
        .put_pending(DAVE, &secret, Duration::from_secs(60), now)
        .await?;
    store.activate(DAVE, &secret, 0).await?;
    Ok(())
}

fn token_response(pair: &TokenPair, scope: String) -> TokenResponse {
    TokenResponse {
        access_token: pair.access_token().to_owned(),
        refresh_token: pair.refresh_token().to_owned(),
        token_type: "Bearer",
        expires_in: pair.expires_in().as_secs(),
        scope,
    }
}
