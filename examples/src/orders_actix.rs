//! `orders-actix`: the orders service on actix-web, with the same policies
//! ([`crate::policy`]) and service ([`crate::service`]) as the axum one, unchanged.
//!
//! A subset of the endpoints: enough to show every kind of gate.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{App, FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use auth_core::actix::{SecureScope, delete, get, post};
use auth_core::jwt::TOKEN_RESPONSE_HEADERS;
use auth_core::{Authenticated, public, requires};

use crate::domain::{Delete, Order, Read, User};
use crate::error::ApiError;
use crate::service::{LoginRequest, RefreshRequest, Service, TokenResponse};

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
        if let Some(after) = self.retry_after() {
            response.insert_header((actix_web::http::header::RETRY_AFTER, after));
        }
        response.body(ApiError::body(code, description))
    }
}

fn service(request: &HttpRequest) -> Result<Arc<Service>, ApiError> {
    request
        .app_data::<web::Data<Arc<Service>>>()
        .map(|data| Arc::clone(data.get_ref()))
        .ok_or(ApiError::BadRequest("the service is not configured"))
}

/// Loads the order named by the path, after authenticating (401 before 404).
impl FromRequest for Order {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            Authenticated::<User>::extract(&request).await?;
            let id: i64 = request
                .match_info()
                .get("id")
                .and_then(|id| id.parse().ok())
                .ok_or(ApiError::BadRequest("the order id must be an integer"))?;
            service(&request)?
                .db
                .order(id)
                .map_err(ApiError::from)?
                .ok_or_else(|| ApiError::NotFound.into())
        })
    }
}

#[public]
async fn health() -> &'static str {
    "ok"
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
async fn login(app: web::Data<Arc<Service>>, request: web::Json<LoginRequest>) -> HttpResponse {
    token_endpoint_response(app.login(&request).await)
}

#[public]
async fn refresh(app: web::Data<Arc<Service>>, request: web::Json<RefreshRequest>) -> HttpResponse {
    token_endpoint_response(app.refresh(&request).await)
}

#[requires(authenticated)]
async fn me(user: Authenticated<User>) -> web::Json<User> {
    web::Json(user.into_user())
}

#[requires(scope("orders:read"))]
async fn list_orders(
    user: Authenticated<User>,
    app: web::Data<Arc<Service>>,
) -> Result<web::Json<Vec<Order>>, ApiError> {
    let visible = user.filter_authorized::<Read, _>(app.db.orders()?, &())?;
    Ok(web::Json(
        visible
            .into_iter()
            .map(auth_core::Permit::into_resource)
            .collect(),
    ))
}

#[requires(scope("orders:read"), Read(order))]
async fn get_order(_user: Authenticated<User>, order: Order) -> web::Json<Order> {
    web::Json(order.into_resource())
}

#[requires(scope("orders:write"), Delete(order))]
async fn delete_order(
    _user: Authenticated<User>,
    app: web::Data<Arc<Service>>,
    order: Order,
) -> Result<HttpResponse, ApiError> {
    app.db.delete_order(&order)?;
    Ok(HttpResponse::NoContent().finish())
}

#[requires(role("admin"))]
async fn list_users(
    _user: Authenticated<User>,
    app: web::Data<Arc<Service>>,
) -> Result<web::Json<Vec<User>>, ApiError> {
    Ok(web::Json(app.db.users()?))
}

/// The routes, every one through [`SecureScope`].
pub fn routes() -> SecureScope {
    SecureScope::new("")
        .route("/health", get(health))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/me", get(me))
        .route("/orders", get(list_orders))
        .route("/orders/{id}", get(get_order))
        .route("/orders/{id}", delete(delete_order))
        .route("/admin/users", get(list_users))
}

/// Configures an actix `App` with the service.
pub fn configure(service: &Arc<Service>) -> impl FnOnce(&mut web::ServiceConfig) {
    let service = Arc::clone(service);
    move |config: &mut web::ServiceConfig| {
        config
            .app_data(web::Data::new(service.authenticator.clone()))
            .app_data(web::Data::new(service))
            .service(routes());
    }
}

/// Serves the service on `listener` until the process ends.
///
/// # Errors
/// When the listener fails.
pub async fn serve(listener: std::net::TcpListener, service: Arc<Service>) -> std::io::Result<()> {
    actix_web::HttpServer::new(move || App::new().configure(configure(&service)))
        .workers(2)
        .listen(listener)?
        .run()
        .await
}
