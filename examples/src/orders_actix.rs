//! `orders-actix`: the orders service on actix-web, with the same policies
//! ([`crate::policy`]) and service ([`crate::service`]) as the axum one, unchanged.
//!
//! A subset of the endpoints: enough to show every kind of gate.
//!
//! Every answer besides success is the service's JSON error, actix's own
//! rejections included: JSON, path and query errors go through
//! [`crate::extract`]'s error handlers, a body larger than
//! `ORDERS_API_MAX_BODY_BYTES` is a 413, an unknown route a 404 and a wrong method
//! a 405 with `Allow` (the default service, from the route table).

use std::sync::Arc;

use actix_web::dev::ResourceDef;
use actix_web::http::{Method, StatusCode, header};
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};
use auth_core::actix::{SecureRoute, SecureScope, delete, get, post, put};
use auth_core::jwt::TOKEN_RESPONSE_HEADERS;
use auth_core::limit::{HasPlanLimits, PlanLimits};
use auth_core::{Authenticated, Loaded, public, requires};

use crate::access::roles::{Admin, Manager};
use crate::actix_body_deadline::body_deadline;
use crate::domain::{Delete, NewOrder, Order, Read, Refund, User};
use crate::error::ApiError;
use crate::extract::{self, Json};
use crate::page::{Page, PageQuery};
use crate::service::{
    CodeRequest, LoginRequest, RefreshRequest, RolesRequest, Service, SteppedUp, TokenResponse,
};
use crate::stores::PlanLimitStores;

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.parts().0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let (_, code, description, challenge) = self.parts();
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/json");
        if let Some(challenge) = challenge {
            response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, challenge));
        }
        if let Some(seconds) = self.retry_after() {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.body(ApiError::body(code, description))
    }
}

#[public]
async fn health() -> &'static str {
    "ok"
}

/// The request's headers as `http` 1.x types, which the session API reads.
fn headers(request: &HttpRequest) -> http::HeaderMap {
    request
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            let name = http::HeaderName::from_bytes(name.as_str().as_bytes()).ok()?;
            let value = http::HeaderValue::from_bytes(value.as_bytes()).ok()?;
            Some((name, value))
        })
        .collect()
}

/// Adds the no-store headers of a token response.
fn no_store(mut response: HttpResponse) -> HttpResponse {
    for (name, value) in TOKEN_RESPONSE_HEADERS {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static(name),
            actix_web::http::header::HeaderValue::from_static(value),
        );
    }
    response
}

#[requires(not(mechanism("api_key")))]
async fn totp_enroll(
    user: Authenticated<User>,
    app: web::Data<Arc<Service>>,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(
        HttpResponse::Ok().json(app.totp_enroll(&user).await?),
    ))
}

#[requires(not(mechanism("api_key")))]
async fn totp_confirm(
    user: Authenticated<User>,
    app: web::Data<Arc<Service>>,
    Json(request): Json<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    app.totp_confirm(&user, &request.code).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[requires(not(mechanism("api_key")))]
async fn mfa_verify(
    user: Authenticated<User>,
    http: HttpRequest,
    app: web::Data<Arc<Service>>,
    Json(request): Json<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(
        match app
            .totp_verify(&user, &headers(&http), &request.code)
            .await?
        {
            SteppedUp::Tokens(tokens) => no_store(HttpResponse::Ok().json(tokens)),
            SteppedUp::Session(session) => {
                let mut response =
                    no_store(HttpResponse::Ok().json(crate::service::SessionResponse {
                        csrf_token: session.csrf_token().to_owned(),
                    }));
                if let Ok(cookie) = header::HeaderValue::from_bytes(session.cookie().as_bytes()) {
                    response.headers_mut().insert(header::SET_COOKIE, cookie);
                }
                response
            }
        },
    )
}

/// What a token endpoint answers: the pair or the error, never cached (RFC
/// 6749 §5.1, [`TOKEN_RESPONSE_HEADERS`]).
fn token_endpoint_response(result: Result<TokenResponse, ApiError>) -> HttpResponse {
    let mut response = match result {
        Ok(pair) => HttpResponse::Ok().json(pair),
        Err(error) => error.error_response(),
    };
    for (name, value) in TOKEN_RESPONSE_HEADERS {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static(name),
            actix_web::http::header::HeaderValue::from_static(value),
        );
    }
    response
}

#[public]
async fn login(
    http: HttpRequest,
    app: web::Data<Arc<Service>>,
    Json(request): Json<LoginRequest>,
) -> HttpResponse {
    let client = http.peer_addr().map(|addr| addr.ip());
    token_endpoint_response(app.login(client, &request).await)
}

#[public]
async fn refresh(
    app: web::Data<Arc<Service>>,
    Json(request): Json<RefreshRequest>,
) -> HttpResponse {
    token_endpoint_response(app.refresh(&request).await)
}

#[requires(authenticated, guests = true)]
async fn me(user: Authenticated<User>) -> web::Json<User> {
    web::Json(user.into_user())
}

/// As on orders-api: the plan gate last. Its state is the service, taken from
/// the app data through [`ServiceData`] (a local type the gate's trait is
/// implemented for).
#[requires(scope("orders:read"), check(auth_core::limit::within_plan), state = app)]
async fn list_orders(
    user: Authenticated<User>,
    app: ServiceData,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<Order>>, ApiError> {
    Ok(web::Json(app.0.orders(&user, page.into_inner())?))
}

/// The service from the app's `web::Data<Arc<Service>>`, as a type of this
/// crate: what the plan gate reads ([`HasPlanLimits`]), which `web::Data` cannot
/// implement here.
#[derive(Debug, Clone)]
pub struct ServiceData(pub Arc<Service>);

impl HasPlanLimits for ServiceData {
    type Store = PlanLimitStores;
    fn plan_limits(&self) -> &PlanLimits<PlanLimitStores> {
        &self.0.plan_limits
    }
}

impl actix_web::FromRequest for ServiceData {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(
            request
                .app_data::<web::Data<Arc<Service>>>()
                .map(|service| ServiceData(Arc::clone(service)))
                .ok_or_else(|| {
                    ApiError::from(auth_core::AuthError::misconfigured(
                        "the app has no `web::Data<Arc<Service>>`: configure it with `configure`",
                    ))
                    .into()
                }),
        )
    }
}

#[requires(scope("orders:write"))]
async fn create_order(
    user: Authenticated<User>,
    app: web::Data<Arc<Service>>,
    Json(new): Json<NewOrder>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(app.create_order(&user, &new)?))
}

/// As on orders-api: the order is loaded after the scope gate allowed, from the
/// `web::Data<Arc<Service>>` of the app.
#[requires(scope("orders:read"), Read(order), state = app.rules)]
async fn get_order(
    _user: Authenticated<User>,
    app: web::Data<Arc<Service>>,
    order: Loaded<Order>,
) -> web::Json<Order> {
    web::Json(order.into_resource())
}

#[requires(scope("orders:write"), Delete(order), state = app.rules)]
async fn delete_order(
    _user: Authenticated<User>,
    app: web::Data<Arc<Service>>,
    order: Loaded<Order>,
) -> Result<HttpResponse, ApiError> {
    app.db.delete_order(&order)?;
    Ok(HttpResponse::NoContent().finish())
}

/// As on orders-api: a manager's refund, under 500.00 in their region.
#[requires(scope("orders:write"), role(Manager), Refund(order), state = app.rules)]
async fn refund_order(
    _user: Authenticated<User>,
    app: web::Data<Arc<Service>>,
    order: Loaded<Order>,
) -> Result<web::Json<Order>, ApiError> {
    Ok(web::Json(app.refund_order(&order)?))
}

#[requires(role(Admin), not(mechanism("api_key")))]
async fn list_users(
    _user: Authenticated<User>,
    app: web::Data<Arc<Service>>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<Page<User>>, ApiError> {
    Ok(web::Json(app.users(page.into_inner())?))
}

/// As on orders-api: an admin with a second factor proved in the last five
/// minutes (a step-up token from `POST /auth/mfa/verify`), never an API key.
#[requires(role(Admin), not(mechanism("api_key")), mfa, fresh(max_age = 300))]
async fn set_roles(
    _user: Authenticated<User>,
    app: web::Data<Arc<Service>>,
    id: web::Path<i64>,
    Json(request): Json<RolesRequest>,
) -> Result<web::Json<User>, ApiError> {
    Ok(web::Json(
        app.set_roles(id.into_inner(), &request.roles).await?,
    ))
}

/// Every route: its path, its method, and the handler. The scope is built from
/// it, and so is the 405 of the default service.
fn table() -> [(&'static str, Method, SecureRoute); 14] {
    [
        ("/health", Method::GET, get(health)),
        ("/auth/login", Method::POST, post(login)),
        ("/auth/refresh", Method::POST, post(refresh)),
        ("/auth/mfa/totp/enroll", Method::POST, post(totp_enroll)),
        ("/auth/mfa/totp/confirm", Method::POST, post(totp_confirm)),
        ("/auth/mfa/verify", Method::POST, post(mfa_verify)),
        ("/me", Method::GET, get(me)),
        ("/orders", Method::GET, get(list_orders)),
        ("/orders", Method::POST, post(create_order)),
        ("/orders/{id}", Method::GET, get(get_order)),
        ("/orders/{id}", Method::DELETE, delete(delete_order)),
        ("/orders/{id}/refund", Method::POST, post(refund_order)),
        ("/admin/users", Method::GET, get(list_users)),
        ("/admin/users/{id}/roles", Method::PUT, put(set_roles)),
    ]
}

/// The routes, every one through [`SecureScope`].
pub fn routes() -> SecureScope {
    table()
        .into_iter()
        .fold(SecureScope::new(""), |scope, (path, _, route)| {
            scope.route(path, route)
        })
}

/// The paths of the route table with their methods, for the default service.
#[derive(Debug)]
struct KnownPaths(Vec<(ResourceDef, Method)>);

/// What no route answered: 405 with `Allow` for a known path, else 404. (A
/// `SecureScope` registers one resource per method, so actix alone would say
/// 404 to a wrong method, with an empty body.)
#[public]
async fn fallback(request: HttpRequest, known: web::Data<KnownPaths>) -> HttpResponse {
    let allowed: Vec<&str> = known
        .0
        .iter()
        .filter(|(path, _)| path.is_match(request.path()))
        .map(|(_, method)| method.as_str())
        .collect();
    if allowed.is_empty() {
        return ApiError::NotFound.error_response();
    }
    let mut response = ApiError::MethodNotAllowed.error_response();
    if let Ok(allow) = header::HeaderValue::from_str(&allowed.join(",")) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

/// Configures an actix `App` with the service.
pub fn configure(service: &Arc<Service>) -> impl FnOnce(&mut web::ServiceConfig) {
    let service = Arc::clone(service);
    move |config: &mut web::ServiceConfig| {
        let known = table()
            .into_iter()
            .map(|(path, method, _)| (ResourceDef::new(path), method))
            .collect();
        config
            .app_data(web::Data::new(service.authenticator.clone()))
            .app_data(
                web::JsonConfig::default()
                    .limit(service.limits.max_body_bytes)
                    .error_handler(extract::json_error),
            )
            .app_data(web::PathConfig::default().error_handler(extract::path_error))
            .app_data(web::QueryConfig::default().error_handler(extract::query_error))
            .app_data(web::Data::new(KnownPaths(known)))
            .app_data(web::Data::new(service))
            .service(routes())
            .default_service(web::to(fallback));
    }
}

/// The worker threads of [`serve`].
const WORKERS: usize = 2;

/// Serves the service on `listener` until the process ends (or, from the binary,
/// until `SIGINT` or `SIGTERM`: actix-web handles both), within the service's
/// connection limits, through actix-web's own settings:
///
/// - `ORDERS_API_HEADER_TIMEOUT`: `client_request_timeout`, the time to receive
///   a request head (`408` after it);
/// - no keep-alive: every connection serves one request and closes. actix-web's
///   request timeout covers only a connection's first request head, so on a
///   kept-alive connection a second head sent a byte at a time was never cut
///   off (found by a black-box test: 512 such connections starved `/health`).
///   `ORDERS_API_IDLE_TIMEOUT` therefore has nothing to time out on actix;
/// - `ORDERS_API_MAX_CONNECTIONS`: `max_connections`, which actix-web counts per
///   worker, so each of the two workers gets half (rounded up); at the cap a
///   worker stops accepting;
/// - `client_disconnect_timeout`: one second to close a connection cleanly.
///
/// `ORDERS_API_BODY_TIMEOUT` has no actix-web setting: a middleware applies it
/// ([`crate::actix_body_deadline`]).
///
/// # Errors
/// When the listener fails.
pub async fn serve(listener: std::net::TcpListener, service: Arc<Service>) -> std::io::Result<()> {
    let limits = service.connections;
    let body_timeout = limits.body_timeout;
    actix_web::HttpServer::new(move || {
        App::new()
            // Innermost: anything that no guarded or public handler answered is
            // a 500. (The body deadline's own 408, outside it, is not a handler's.)
            .wrap(actix_web::middleware::from_fn(
                auth_core::actix::require_coverage,
            ))
            .wrap(actix_web::middleware::from_fn(move |request, next| {
                body_deadline(body_timeout, request, next)
            }))
            .configure(configure(&service))
    })
    .workers(WORKERS)
    .client_request_timeout(limits.header_timeout)
    .keep_alive(actix_web::http::KeepAlive::Disabled)
    .client_disconnect_timeout(std::time::Duration::from_secs(1))
    .max_connections(limits.max_connections.div_ceil(WORKERS))
    .listen(listener)?
    .run()
    .await
}
