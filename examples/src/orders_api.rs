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

use auth_core::axum::{SecureRouter, get, post, put};
use auth_core::jwt::TOKEN_RESPONSE_HEADERS;
use auth_core::{Authenticated, SharedAuthenticator, public, requires};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRef, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::domain::{Delete, NewOrder, Order, Product, Read, User};
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::page::{Page, PageQuery};
use crate::service::{LoginRequest, RefreshRequest, RolesRequest, Service, TokenResponse};

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

/// Loads the order named by the path, for a resource gate. It asks for the
/// principal first, so an unauthenticated caller gets 401, never a 404 that would
/// tell which orders exist.
impl FromRequestParts<AppState> for Order {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        Authenticated::<User>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let axum::extract::Path(id) = axum::extract::Path::<i64>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::BadRequest("the order id must be an integer").into_response())?;
        match state.0.db.order(id) {
            Ok(Some(order)) => Ok(order),
            Ok(None) => Err(ApiError::NotFound.into_response()),
            Err(error) => Err(ApiError::from(error).into_response()),
        }
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

/// What a token endpoint answers: the pair or the error, never cached (RFC
/// 6749 §5.1, [`TOKEN_RESPONSE_HEADERS`]).
type TokenEndpointResponse = (
    [(&'static str, &'static str); 2],
    Result<Json<TokenResponse>, ApiError>,
);

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

#[requires(authenticated)]
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

#[requires(authenticated)]
async fn me(user: Authenticated<User>) -> Json<User> {
    Json(user.into_user())
}

/// A page of the caller's orders (an admin's: all), through the same policy as
/// one order.
#[requires(scope("orders:read"))]
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

#[requires(scope("orders:read"), Read(order))]
async fn get_order(_user: Authenticated<User>, order: Order) -> Json<Order> {
    Json(order.into_resource())
}

#[requires(scope("orders:write"), Delete(order))]
async fn delete_order(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    order: Order,
) -> Result<StatusCode, ApiError> {
    app.0.db.delete_order(&order)?;
    Ok(StatusCode::NO_CONTENT)
}

#[requires(role("admin"))]
async fn list_users(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Page<User>>, ApiError> {
    Ok(Json(app.0.users(page)?))
}

#[requires(role("admin"))]
async fn set_roles(
    _user: Authenticated<User>,
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Json(request): Json<RolesRequest>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(app.0.set_roles(id, &request.roles).await?))
}

/// Any path no route serves.
async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// A served path, with a method it does not serve (axum adds `Allow`).
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
    SecureRouter::new()
        .route("/health", get(health))
        .route("/products", get(products))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/logout-all", post(logout_all))
        .route("/me", get(me))
        .route("/orders", get(list_orders).post(create_order))
        .route("/orders/{id}", get(get_order).delete(delete_order))
        .route("/admin/users", get(list_users))
        .route("/admin/users/{id}/roles", put(set_roles))
        .with_state(AppState(service))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
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
