//! `cargo run -p examples --bin plain`: the orders service with no web framework.
//!
//! Requests are plain `http::request::Parts`, as hyper, tonic or a lambda
//! runtime would hand them over. Routes go through the core's deny-by-default
//! [`SecureRoutes`], which authenticates before any guarded handler runs; a
//! handler checks one order with an explicit `authorize` call right after loading
//! it. Failures are mapped to gRPC status codes the way a tonic service would.

use std::process::ExitCode;
use std::sync::Arc;

use auth_core::mount::SecureRoutes;
use auth_core::{AuthError, Authenticated, Permit, public, requires};
use examples::config::Config;
use examples::domain::{Order, Read, User};
use examples::error::ApiError;
use examples::service::{LoginRequest, Service};

/// What the handlers read: the order id from the path, and the database.
struct Request {
    order_id: Option<i64>,
    service: Arc<Service>,
}

#[public]
fn catalog(request: &Request) -> Result<String, ApiError> {
    let names: Vec<String> = request
        .service
        .db
        .products()?
        .into_iter()
        .map(|p| p.name)
        .collect();
    Ok(names.join(", "))
}

/// Loads one order by id, then authorizes *that* order: the explicit form of a
/// resource gate.
#[requires(scope("orders:read"))]
fn get_order(user: Authenticated<User>, request: &Request) -> Result<String, ApiError> {
    let id = request
        .order_id
        .ok_or(ApiError::BadRequest("an order id is required"))?;
    let order = request.service.db.order(id)?.ok_or(ApiError::NotFound)?;
    let permit: Permit<'_, Read, Order> = user.authorize(order)?;
    Ok(format!(
        "order {} ({}) for user {}",
        permit.id, permit.item, user.id
    ))
}

/// The codes a gRPC (tonic) service answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GrpcCode {
    InvalidArgument,
    Unauthenticated,
    PermissionDenied,
    NotFound,
    Unavailable,
    Internal,
}

/// The one mapping from an auth failure to a gRPC status: the same split as
/// HTTP's 401 / 403 / 404 / 503.
fn grpc_code(error: &AuthError) -> GrpcCode {
    match error.status().as_u16() {
        400 => GrpcCode::InvalidArgument,
        401 => GrpcCode::Unauthenticated,
        403 => GrpcCode::PermissionDenied,
        404 => GrpcCode::NotFound,
        503 => GrpcCode::Unavailable,
        _ => GrpcCode::Internal,
    }
}

fn head(token: Option<&str>) -> http::request::Parts {
    let mut builder = http::Request::builder();
    if let Some(token) = token {
        builder = builder.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    builder.body(()).map_or_else(
        |_| http::Request::new(()).into_parts().0,
        |r| r.into_parts().0,
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("plain: bad configuration: {error}");
            return ExitCode::from(2);
        }
    };
    let service = match Service::start(&config).await {
        Ok(service) => service,
        Err(error) => {
            eprintln!("plain: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let login = |email: &str, password: &str| LoginRequest {
        email: email.to_owned(),
        password: password.to_owned(),
        scope: None,
    };
    let (Ok(alice), Ok(bob)) = (
        service
            .login(None, &login("alice@example.com", "alice-password"))
            .await,
        service
            .login(None, &login("bob@example.com", "bob-password"))
            .await,
    ) else {
        eprintln!("plain: the seeded users could not sign in");
        return ExitCode::FAILURE;
    };

    let routes = SecureRoutes::<&str, User, Request, Result<String, ApiError>>::new()
        .route("GET /products", catalog)
        .route("GET /orders/{id}", get_order);

    let cases = [
        ("GET /products", None, None, "anyone"),
        (
            "GET /orders/{id}",
            Some(1),
            Some(alice.access_token.as_str()),
            "alice, her order",
        ),
        (
            "GET /orders/{id}",
            Some(1),
            Some(bob.access_token.as_str()),
            "bob, alice's order",
        ),
        (
            "GET /orders/{id}",
            Some(99),
            Some(alice.access_token.as_str()),
            "alice, no such order",
        ),
        ("GET /orders/{id}", Some(1), None, "no token"),
        (
            "GET /orders/{id}",
            Some(1),
            Some("not-a-token"),
            "a garbage token",
        ),
    ];
    for (route, order_id, token, who) in cases {
        let request = Request {
            order_id,
            service: Arc::clone(&service),
        };
        let outcome = routes
            .dispatch(&route, &service.authenticator, &head(token), &request)
            .await;
        let line = match outcome {
            None => "no such route".to_owned(),
            Some(Ok(Ok(body))) => format!("OK: {body}"),
            Some(Ok(Err(ApiError::Auth(error))) | Err(error)) => {
                format!(
                    "{:?} ({} {})",
                    grpc_code(&error),
                    error.status().as_u16(),
                    error.code()
                )
            }
            Some(Ok(Err(error))) => format!("{} {}", error.parts().0, error.parts().1),
        };
        println!("{route:<18} {who:<24} -> {line}");
    }
    ExitCode::SUCCESS
}
