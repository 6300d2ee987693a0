//! The service itself, whatever the framework: stores, token issuance, and the
//! operations behind the `/auth` and `/admin` endpoints. The axum and actix-web
//! apps are thin layers over it.

use std::net::IpAddr;
use std::sync::Arc;

use auth_core::jwt::{
    AccessClaims, Claims, ClaimsMapper, HmacAlgorithm, SigningKey, TokenIssuer, TokenPair,
};
use auth_core::{AuthError, Authenticated, GrantError, SharedAuthenticator, TokenError};
use serde::{Deserialize, Serialize};

use crate::config::{Config, ConnectionLimits, Secret};
use crate::db::{Db, RoleChange};
use crate::domain::{NewOrder, Order, Read, User};
use crate::error::ApiError;
use crate::limits::Limits;
use crate::login_throttle::redis::RedisThrottle;
use crate::login_throttle::{LoginThrottle, Throttle};
use crate::page::{Page, PageQuery};
use crate::password_workers::PasswordWorkers;
use crate::policy::readable_orders;
use crate::stores::{self, RefreshTokens, Revocations};

/// The scopes this service grants; a login gets all of them unless it asks for
/// fewer.
pub const SCOPES: [&str; 2] = ["orders:read", "orders:write"];

/// The roles an administrator may grant.
pub const ROLES: [&str; 2] = ["customer", "admin"];

/// The issuer, with both stores shared with the authenticator.
pub type Issuer = TokenIssuer<Arc<Revocations>, Arc<RefreshTokens>>;

/// Loads the principal of a verified token from the database, on every request:
/// roles come from the source of truth, never from the token, so a demoted admin
/// is refused at once. A validly signed token whose user is gone is a 401. The
/// parse accepts spellings such as `"01"` or `"+1"`; the authenticator then
/// refuses them, because the loaded user's canonical subject is `"1"`.
#[derive(Debug, Clone)]
pub struct UserStore {
    db: Db,
}

impl ClaimsMapper for UserStore {
    type User = User;

    async fn map(&self, claims: &Claims<'_>) -> Result<User, AuthError> {
        let id: i64 = claims
            .subject()
            .parse()
            .map_err(|_| TokenError::InvalidClaim("sub"))?;
        match self.db.user(id) {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(TokenError::UnknownSubject.into()),
            Err(error) => Err(AuthError::unavailable("user store", error)),
        }
    }
}

/// Why the service would not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The database could not be opened.
    #[error("DATABASE_URL: the database cannot be opened: {0}")]
    Db(#[from] crate::db::DbError),
    /// A store (Redis) could not be reached.
    #[error("REDIS_URL: Redis cannot be reached: {0}")]
    Stores(AuthError),
    /// The signing key or the issuer configuration was refused.
    #[error("tokens: {0}")]
    Tokens(String),
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

/// Everything a request handler needs.
#[derive(Debug)]
pub struct Service {
    /// The database.
    pub db: Db,
    /// Issues and revokes tokens.
    pub issuer: Issuer,
    /// Verifies bearer tokens; what the framework extractors run.
    pub authenticator: SharedAuthenticator<User>,
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
}

impl Service {
    /// Opens the database and the stores, and builds the issuer and the
    /// authenticator from `config`.
    ///
    /// # Errors
    /// When the database, Redis or the key configuration fails.
    pub async fn start(config: &Config) -> Result<Arc<Service>, StartError> {
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
        let authenticator = issuer
            .authenticator_builder(UserStore { db: db.clone() })
            .revocation(revocations)
            .build()
            .map_err(|e| StartError::Tokens(e.to_string()))?;
        Ok(Arc::new(Service {
            db,
            issuer,
            authenticator: SharedAuthenticator::new(authenticator).with_realm("orders-api"),
            limits: config.limits,
            connections: config.connections,
            passwords: PasswordWorkers::per_core(),
            login_throttle,
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
        let attempt = self.login_throttle.admit(client, &request.email).await?;
        let (db, email, password) = (
            self.db.clone(),
            request.email.clone(),
            request.password.clone(),
        );
        let user = self
            .passwords
            .run(move || db.verify_login(&email, &password))
            .await??
            .ok_or(ApiError::InvalidCredentials)?;
        attempt.succeeded().await;
        let pair = self
            .issuer
            .login(&user.id.to_string(), &claims_for(&user, &scope))
            .await?;
        Ok(token_response(&pair, scope))
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

    /// `POST /auth/logout-all`: revokes every token of the caller.
    ///
    /// # Errors
    /// 503 when the stores cannot be reached.
    pub async fn logout_all(&self, user: &Authenticated<User>) -> Result<(), ApiError> {
        Ok(self.issuer.logout_all(user.subject()).await?)
    }

    /// `PUT /admin/users/{id}/roles`: changes a user's roles and revokes the
    /// user's older tokens, so no token issued under the old roles survives.
    ///
    /// # Errors
    /// 400 for an unknown role, 404 for an unknown user, 409 when the change
    /// would leave no administrator (nothing changes then).
    pub async fn set_roles(&self, id: i64, roles: &[String]) -> Result<User, ApiError> {
        if roles.is_empty() || roles.iter().any(|r| !ROLES.contains(&r.as_str())) {
            return Err(ApiError::BadRequest(
                "roles must be a non-empty subset of customer, admin",
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
        // Every token issued under the old roles dies now, audited as such.
        self.issuer.logout_all(&id.to_string()).await?;
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
    /// admin's: all). The query is narrowed by the policy's filter, and every
    /// row still goes through the policy; the cursor is the query's, so a page
    /// would only be short of `limit` if the two disagreed.
    ///
    /// # Errors
    /// 400 for a page size out of range; 503 when the policy cannot decide.
    pub fn orders(
        &self,
        user: &Authenticated<User>,
        query: PageQuery,
    ) -> Result<Page<Order>, ApiError> {
        let Page { items, next } = self
            .db
            .orders(readable_orders(user), query.check(&self.limits)?)?;
        let items = user
            .filter_authorized::<Read, _>(items, &())?
            .into_iter()
            .map(auth_core::Permit::into_resource)
            .collect();
        Ok(Page { items, next })
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

fn claims_for(user: &User, scope: &str) -> AccessClaims {
    AccessClaims::new().roles(&user.roles).scope(scope)
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
