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
use auth_core::openapi::{OpenApiError, OpenApiSecurity};
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

#[utoipa::path(get, path = "/health", tag = "meta", responses((status = 200, description = "The service is up")))]
#[public]
async fn health() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/products", tag = "orders", responses((status = 200, description = "The catalogue")))]
#[public]
async fn products(State(app): State<AppState>) -> Result<Json<Vec<Product>>, ApiError> {
    Ok(Json(app.0.db.products()?))
}

/// What a token endpoint answers: the token or the error, never cached (RFC
/// 6749 §5.1, [`TOKEN_RESPONSE_HEADERS`]).
type TokenEndpoint<T> = ([(&'static str, &'static str); 2], Result<Json<T>, ApiError>);

/// A token endpoint's answer with a pair.
type TokenEndpointResponse = TokenEndpoint<TokenResponse>;

#[utoipa::path(post, path = "/auth/login", tag = "auth", responses((status = 200, description = "An access and refresh token pair"), (status = 400, description = "`invalid_grant`, or a malformed body")))]
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

#[utoipa::path(post, path = "/auth/refresh", tag = "auth", responses((status = 200, description = "A new token pair"), (status = 400, description = "`invalid_grant`")))]
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
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204, description = "The token and its refresh family are revoked")))]
#[requires(mechanism("bearer_token"))]
async fn logout(
    user: Authenticated<User>,
    State(app): State<AppState>,
) -> Result<StatusCode, ApiError> {
    app.0.logout(&user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/auth/logout-all", tag = "auth", responses((status = 204, description = "Every token of the caller is revoked")))]
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

#[utoipa::path(get, path = "/me", tag = "auth", responses((status = 200, description = "Who the caller is, and how they came in")))]
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
#[utoipa::path(get, path = "/", tag = "meta", responses((status = 200, description = "The sign-in page", content_type = "text/html")))]
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

#[utoipa::path(post, path = "/auth/session", tag = "auth", responses((status = 200, description = "A session cookie, and its CSRF token in the body"), (status = 400, description = "`invalid_grant`, or a malformed body")))]
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

#[utoipa::path(delete, path = "/auth/session", tag = "auth", responses((status = 204, description = "The session ended; its cookie is cleared")))]
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

#[utoipa::path(post, path = "/auth/guest", tag = "auth", responses((status = 200, description = "A guest token")))]
#[public]
async fn guest(State(app): State<AppState>) -> TokenEndpoint<GuestTokenResponse> {
    (TOKEN_RESPONSE_HEADERS, app.0.guest().await.map(Json))
}

/// API keys cannot make, list or revoke API keys.
#[utoipa::path(post, path = "/auth/api-keys", tag = "api keys", responses((status = 201, description = "The new key, shown once")))]
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

#[utoipa::path(get, path = "/auth/api-keys", tag = "api keys", responses((status = 200, description = "The caller's keys, without their secrets")))]
#[requires(not(mechanism("api_key")))]
async fn list_api_keys(
    user: Authenticated<User>,
    State(app): State<AppState>,
) -> Result<Json<Vec<ApiKeyView>>, ApiError> {
    Ok(Json(app.0.api_key_list(&user).await?))
}

/// Another user's key is a 404, as if it did not exist: the policy hides it
/// ([`crate::policy`]).
#[utoipa::path(delete, path = "/auth/api-keys/{id}", tag = "api keys", params(("id" = i64, Path, description = "The key's id")), responses((status = 204, description = "The key is revoked")))]
#[requires(not(mechanism("api_key")), Revoke(key))]
async fn revoke_api_key(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    key: Loaded<ApiKey>,
) -> Result<StatusCode, ApiError> {
    app.0.revoke_api_key(&key).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/auth/mfa/totp/enroll", tag = "mfa", responses((status = 200, description = "A TOTP secret and its otpauth URI")))]
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

#[utoipa::path(post, path = "/auth/mfa/totp/confirm", tag = "mfa", responses((status = 204, description = "The second factor is enrolled")))]
#[requires(not(mechanism("api_key")))]
async fn totp_confirm(
    user: Authenticated<User>,
    State(app): State<AppState>,
    Json(request): Json<CodeRequest>,
) -> Result<StatusCode, ApiError> {
    app.0.totp_confirm(&user, &request.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/auth/mfa/verify", tag = "mfa", responses((status = 200, description = "A stepped-up token pair, or a rotated session")))]
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
#[utoipa::path(get, path = "/orders", tag = "orders", responses((status = 200, description = "A page of orders")))]
#[requires(scope("orders:read"), check(auth_core::limit::within_plan), state = app.0)]
async fn list_orders(
    user: Authenticated<User>,
    State(app): State<AppState>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<Order>>, ApiError> {
    Ok(Json(app.0.orders(&user, page)?))
}

#[utoipa::path(post, path = "/orders", tag = "orders", responses((status = 201, description = "The new order")))]
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
#[utoipa::path(get, path = "/orders/{id}", tag = "orders", params(("id" = i64, Path, description = "The order's id")), responses((status = 200, description = "The order")))]
#[requires(scope("orders:read"), Read(order), state = app.0.rules)]
async fn get_order(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    order: Loaded<Order>,
) -> Json<Order> {
    Json(order.into_resource())
}

#[utoipa::path(delete, path = "/orders/{id}", tag = "orders", params(("id" = i64, Path, description = "The order's id")), responses((status = 204, description = "The order is deleted")))]
#[requires(scope("orders:write"), Delete(order), state = app.0.rules)]
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
#[utoipa::path(post, path = "/orders/{id}/refund", tag = "orders", params(("id" = i64, Path, description = "The order's id")), responses((status = 200, description = "The refunded order")))]
#[requires(scope("orders:write"), role(Manager), Refund(order), state = app.0.rules)]
async fn refund_order(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    order: Loaded<Order>,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(app.0.refund_order(&order)?))
}

#[utoipa::path(get, path = "/admin/users", tag = "admin", responses((status = 200, description = "A page of users")))]
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
#[utoipa::path(put, path = "/admin/users/{id}/roles", tag = "admin", params(("id" = i64, Path, description = "The user's id")), responses((status = 200, description = "The user, with their new roles")))]
#[requires(role(Admin), not(mechanism("api_key")), mfa, fresh(max_age = 300))]
async fn set_roles(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Json(request): Json<RolesRequest>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(app.0.set_roles(id, &request.roles).await?))
}

/// The OpenAPI document of the service, as served: its operations from the
/// `#[utoipa::path]` annotations, their security and error responses written
/// from the gates ([`auth_core::openapi`]).
#[derive(Debug, Clone)]
struct OpenApiJson(Option<Arc<str>>);

/// The OpenAPI document (3.1). Every operation's `security` and auth error
/// responses are what its handler's gates require, written when the router is
/// built.
#[utoipa::path(get, path = "/openapi.json", tag = "meta", responses((status = 200, description = "The OpenAPI document", content_type = "application/json"), (status = 500, description = "The document could not be written from the gates")))]
#[public]
async fn openapi_json(axum::Extension(doc): axum::Extension<OpenApiJson>) -> Response {
    match doc.0 {
        Some(json) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            json.to_string(),
        )
            .into_response(),
        None => ApiError::Auth(auth_core::AuthError::misconfigured(
            "the OpenAPI document could not be written from the gates",
        ))
        .into_response(),
    }
}

/// The operations of the document: every route of [`secure_router`].
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "orders-api",
        description = "The reference service of auth-core. Each operation's security and 400/401/403/404/429/503 responses are written from its handler's gates."
    ),
    paths(
        page,
        health,
        openapi_json,
        products,
        login,
        refresh,
        logout,
        logout_all,
        session_login,
        session_logout,
        guest,
        create_api_key,
        list_api_keys,
        revoke_api_key,
        totp_enroll,
        totp_confirm,
        mfa_verify,
        me,
        list_orders,
        create_order,
        get_order,
        delete_order,
        refund_order,
        list_users,
        set_roles
    )
)]
struct ApiDoc;

/// The security of every route, read from the router and the authenticator
/// of `service`: what [`openapi`] writes, and what a test checks a served
/// document against ([`OpenApiSecurity::verify`]).
pub fn openapi_security(service: &Arc<Service>) -> OpenApiSecurity {
    secure_router().openapi_security(&AppState(Arc::clone(service)))
}

/// The service's OpenAPI document: the `#[utoipa::path]` operations, with the
/// security schemes, requirements and error responses of the gates.
///
/// # Errors
/// When the document and the router disagree: a route without an operation, an
/// operation without a route ([`OpenApiError`] lists them).
pub fn openapi(service: &Arc<Service>) -> Result<utoipa::openapi::OpenApi, OpenApiError> {
    let mut doc = <ApiDoc as utoipa::OpenApi>::openapi();
    openapi_security(service).apply(&mut doc)?;
    Ok(doc)
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
    let doc = match openapi(&service).map(|doc| doc.to_json()) {
        Ok(Ok(json)) => Some(Arc::from(json)),
        Ok(Err(error)) => {
            tracing::error!(%error, "the OpenAPI document does not serialize");
            None
        }
        Err(error) => {
            tracing::error!(%error, "the OpenAPI document does not match the router");
            None
        }
    };
    secure_router()
        .with_state(AppState(service))
        .layer(axum::Extension(OpenApiJson(doc)))
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
        .route("/openapi.json", get(openapi_json))
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
