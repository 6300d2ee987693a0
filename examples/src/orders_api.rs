//! `orders-api`: the reference service, on axum.
//!
//! Every route is mounted through [`SecureRouter`], so each handler is either
//! `#[requires(..)]` or `#[public]`; a handler with neither does not compile.
//!
//! Every answer besides success is the service's JSON error, the framework's
//! own rejections included: the extractors are [`crate::extract`]'s, an unknown
//! route is a 404 and a wrong method a 405 (with `Allow`), and a body larger
//! than `ORDERS_API_MAX_BODY_BYTES` a 413.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use auth_core::axum::{SecureRouter, delete, get, post, put};
use auth_core::jwt::TOKEN_RESPONSE_HEADERS;
use auth_core::{Authenticated, Loaded, SharedAuthenticator, public, requires};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::access::roles::{Admin, Manager};
use crate::api_keys::{ApiKey, Revoke};
use crate::domain::{Delete, NewOrder, Order, Product, Read, Refund, User};
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::page::{Page, PageQuery};
use crate::service::{
    ApiKeyRequest, ApiKeyView, CodeRequest, EnrollmentResponse, GuestTokenResponse, LoginRequest,
    NewApiKeyResponse, RefreshRequest, RolesRequest, Service, SessionRequest, SessionResponse,
    SteppedUp, TokenResponse,
};

/// The router state: the service, shared by every request.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Service>);

impl FromRef<AppState> for SharedAuthenticator<User> {
    fn from_ref(state: &AppState) -> Self {
        state.0.authenticator.clone()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, description, challenge) = self.parts();
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            ApiError::body(code, description),
        )
            .into_response();
        if let Some(challenge) = challenge.and_then(|c| c.parse().ok()) {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// The loaders' source ([`crate::loaders`]): a `Loaded<Order>` or
/// `Loaded<ApiKey>` takes it from the router state.
impl FromRef<AppState> for Arc<Service> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.0)
    }
}

#[public]
async fn health() -> &'static str {
    "ok"
}

#[public]
async fn products(State(app): State<AppState>) -> Result<Json<Vec<Product>>, ApiError> {
    Ok(Json(app.0.db.products()?))
}

/// What a token endpoint answers: the token or the error, never cached (RFC
/// 6749 §5.1, [`TOKEN_RESPONSE_HEADERS`]).
type TokenEndpoint<T> = ([(&'static str, &'static str); 2], Result<Json<T>, ApiError>);

/// A token endpoint's answer with a pair.
type TokenEndpointResponse = TokenEndpoint<TokenResponse>;

#[public]
async fn login(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Json(request): Json<LoginRequest>,
) -> TokenEndpointResponse {
    (
        TOKEN_RESPONSE_HEADERS,
        app.0.login(Some(client.ip()), &request).await.map(Json),
    )
}

#[public]
async fn refresh(
    State(app): State<AppState>,
    Json(request): Json<RefreshRequest>,
) -> TokenEndpointResponse {
    (
        TOKEN_RESPONSE_HEADERS,
        app.0.refresh(&request).await.map(Json),
    )
}

/// The bearer logout: it revokes a token and its refresh family, which a
/// session or an API key has not, so it admits bearer tokens only. A session
/// ends at `DELETE /auth/session`; a 204 here for one would say "logged out"
/// while the session lived on.
#[requires(mechanism("bearer_token"))]
async fn logout(
    user: Authenticated<User>,
    State(app): State<AppState>,
) -> Result<StatusCode, ApiError> {
    app.0.logout(&user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[requires(authenticated)]
async fn logout_all(
    user: Authenticated<User>,
    State(app): State<AppState>,
) -> Result<StatusCode, ApiError> {
    app.0.logout_all(&user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the caller is, and how they came in (`bearer_token`, `session`,
/// `api_key`, `guest`).
#[derive(serde::Serialize)]
struct Me {
    #[serde(flatten)]
    user: User,
    mechanism: &'static str,
    amr: Vec<String>,
}

#[requires(authenticated, guests = true)]
async fn me(user: Authenticated<User>) -> Json<Me> {
    let mechanism = user.info().mechanism().as_str();
    let amr = user.info().amr().to_vec();
    Json(Me {
        user: user.into_user(),
        mechanism,
        amr,
    })
}

/// A page that signs in with a session and makes state-changing requests with
/// its CSRF token: `examples/static/sign-in.html`.
pub const SIGN_IN_PAGE: &str = include_str!("../static/sign-in.html");

/// The sign-in page (`GET /`): a form that makes a session, then uses it. What
/// the browser test drives.
#[public]
async fn page() -> ([(&'static str, &'static str); 2], &'static str) {
    (
        [
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", "no-store"),
        ],
        SIGN_IN_PAGE,
    )
}

#[public]
async fn session_login(
    State(app): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Json(request): Json<SessionRequest>,
) -> Result<Response, ApiError> {
    let session = app.0.session_login(Some(client.ip()), &request).await?;
    Ok(session_response(StatusCode::OK, &session))
}

/// A new or rotated session: its cookie, and its CSRF token in the body.
fn session_response(status: StatusCode, session: &auth_core::session::NewSession) -> Response {
    let body = Json(SessionResponse {
        csrf_token: session.csrf_token().to_owned(),
    });
    let mut response = (status, TOKEN_RESPONSE_HEADERS, body).into_response();
    response
        .headers_mut()
        .insert(axum::http::header::SET_COOKIE, session.cookie().clone());
    response
}

#[requires(mechanism("session"))]
async fn session_logout(
    user: Authenticated<User>,
    State(app): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let clear = app.0.session_logout(&headers).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(axum::http::header::SET_COOKIE, clear);
    Ok(response)
}

#[public]
async fn guest(State(app): State<AppState>) -> TokenEndpoint<GuestTokenResponse> {
    (TOKEN_RESPONSE_HEADERS, app.0.guest().await.map(Json))
}

/// API keys cannot make, list or revoke API keys.
#[requires(not(mechanism("api_key")))]
async fn create_api_key(
    user: Authenticated<User>,
    State(app): State<AppState>,
    Json(request): Json<ApiKeyRequest>,
) -> Result<
    (
        StatusCode,
        [(&'static str, &'static str); 2],
        Json<NewApiKeyResponse>,
    ),
    ApiError,
> {
    let key = app.0.create_api_key(&user, &request).await?;
    Ok((StatusCode::CREATED, TOKEN_RESPONSE_HEADERS, Json(key)))
}

#[requires(not(mechanism("api_key")))]
async fn list_api_keys(
    user: Authenticated<User>,
    State(app): State<AppState>,
) -> Result<Json<Vec<ApiKeyView>>, ApiError> {
    Ok(Json(app.0.api_key_list(&user).await?))
}

/// Another user's key is a 404, as if it did not exist: the policy hides it
/// ([`crate::policy`]).
#[requires(not(mechanism("api_key")), Revoke(key))]
async fn revoke_api_key(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    key: Loaded<ApiKey>,
) -> Result<StatusCode, ApiError> {
    app.0.revoke_api_key(&key).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[requires(not(mechanism("api_key")))]
async fn totp_enroll(
    user: Authenticated<User>,
    State(app): State<AppState>,
) -> Result<([(&'static str, &'static str); 2], Json<EnrollmentResponse>), ApiError> {
    Ok((
        TOKEN_RESPONSE_HEADERS,
        Json(app.0.totp_enroll(&user).await?),
    ))
}

#[requires(not(mechanism("api_key")))]
async fn totp_confirm(
    user: Authenticated<User>,
    State(app): State<AppState>,
    Json(request): Json<CodeRequest>,
) -> Result<StatusCode, ApiError> {
    app.0.totp_confirm(&user, &request.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[requires(not(mechanism("api_key")))]
async fn mfa_verify(
    user: Authenticated<User>,
    State(app): State<AppState>,
    headers: axum::http::HeaderMap,
    Json(request): Json<CodeRequest>,
) -> Result<Response, ApiError> {
    Ok(
        match app.0.totp_verify(&user, &headers, &request.code).await? {
            SteppedUp::Tokens(tokens) => (TOKEN_RESPONSE_HEADERS, Json(tokens)).into_response(),
            SteppedUp::Session(session) => session_response(StatusCode::OK, &session),
        },
    )
}

/// A page of the caller's orders (an admin's: all), through the same policy as
/// one order. The plan gate stands last, so a request refused by the scope is
/// not counted against the caller's plan; past the plan's quota: 429 with
/// `Retry-After`, `RateLimit-Policy` and `RateLimit`.
#[requires(scope("orders:read"), check(auth_core::limit::within_plan), state = app.0)]
async fn list_orders(
    user: Authenticated<User>,
    State(app): State<AppState>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<Order>>, ApiError> {
    Ok(Json(app.0.orders(&user, page)?))
}

#[requires(scope("orders:write"))]
async fn create_order(
    user: Authenticated<User>,
    State(app): State<AppState>,
    Json(new): Json<NewOrder>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    Ok((StatusCode::CREATED, Json(app.0.create_order(&user, &new)?)))
}

/// The order is loaded after the scope gate allowed: without the scope, a
/// missing order and an existing one are both 403. Another customer's is a 403
/// (the policy reveals it).
#[requires(scope("orders:read"), Read(order))]
async fn get_order(_user: Authenticated<User>, order: Loaded<Order>) -> Json<Order> {
    Json(order.into_resource())
}

#[requires(scope("orders:write"), Delete(order))]
async fn delete_order(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    order: Loaded<Order>,
) -> Result<StatusCode, ApiError> {
    app.0.db.delete_order(&order)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A manager refunds an order under 500.00 of their own region
/// ([`crate::policy`]); anyone else, or another order, is a 403. The role gate
/// repeats the policy's first condition so that the roles matrix shows who
/// reaches the route, and a customer is refused before the order is read (403
/// for a missing order too); the order is loaded after both allowed.
#[requires(scope("orders:write"), role(Manager), Refund(order))]
async fn refund_order(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    order: Loaded<Order>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(app.0.refund_order(&order)?))
}

#[requires(role(Admin), not(mechanism("api_key")))]
async fn list_users(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<User>>, ApiError> {
    Ok(Json(app.0.users(page)?))
}

/// A privilege change: an admin who proved a second factor within the last
/// five minutes (else 401 with an RFC 9470 challenge), never an API key.
#[requires(role(Admin), not(mechanism("api_key")), mfa, fresh(max_age = 300))]
async fn set_roles(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Json(request): Json<RolesRequest>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(app.0.set_roles(id, &request.roles).await?))
}

/// Any path no route serves. `#[public]`, so the coverage layer lets its 404
/// through.
#[public]
async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// A served path, with a method it does not serve (axum adds `Allow`).
#[public]
async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The whole service as an axum router.
///
/// Serve it with [`crate::server::serve`] (or, with `axum::serve`, through
/// `into_make_service_with_connect_info::<SocketAddr>()`): the login handler
/// throttles by the client's address, `ConnectInfo<SocketAddr>`, and fails
/// without it rather than throttle by email alone.
pub fn router(service: Arc<Service>) -> axum::Router {
    let max_body_bytes = service.limits.max_body_bytes;
    secure_router()
        .with_state(AppState(service))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        // Anything that no guarded or public handler answered is a 500: a
        // route added later outside `secure_router` cannot answer by mistake.
        .layer(axum::middleware::from_fn(auth_core::axum::require_coverage))
}

/// Every (method, path) the service mounts, for its access matrix
/// (`tests/integration/tests/orders_access_matrix.rs`).
pub fn routes() -> Vec<(http::Method, String)> {
    secure_router().routes().to_vec()
}

/// The service's routes, every one guarded or public.
fn secure_router() -> SecureRouter<AppState> {
    SecureRouter::new()
        .route("/", get(page))
        .route("/health", get(health))
        .route("/products", get(products))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/logout-all", post(logout_all))
        .route("/auth/session", post(session_login).delete(session_logout))
        .route("/auth/guest", post(guest))
        .route("/auth/api-keys", post(create_api_key).get(list_api_keys))
        .route("/auth/api-keys/{id}", delete(revoke_api_key))
        .route("/auth/mfa/totp/enroll", post(totp_enroll))
        .route("/auth/mfa/totp/confirm", post(totp_confirm))
        .route("/auth/mfa/verify", post(mfa_verify))
        .route("/me", get(me))
        .route("/orders", get(list_orders).post(create_order))
        .route("/orders/{id}", get(get_order).delete(delete_order))
        .route("/orders/{id}/refund", post(refund_order))
        .route("/admin/users", get(list_users))
        .route("/admin/users/{id}/roles", put(set_roles))
}

/// Serves the router on `listener` until the process ends, within the
/// service's connection limits ([`crate::server`]).
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
) -> std::io::Result<()> {
    serve_until(listener, service, std::future::pending()).await
}

/// [`serve`] until `shutdown` completes, then lets open requests finish.
///
/// # Errors
/// When the listener fails.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let limits = service.connections;
    crate::server::serve(listener, router(service), limits, shutdown).await
}
